package io.modelmux.internal;

import java.util.Collection;
import java.util.Locale;
import java.util.Optional;

/** Finds the name closest to a misspelt one, for "did you mean" hints. Error paths only. */
public final class ClosestMatch {
  /** Names longer than this get no hint. */
  private static final int MAX_LENGTH = 256;

  private ClosestMatch() {}

  /**
   * Returns the candidate with the smallest edit distance to {@code wanted} (case-insensitive),
   * if that distance is at most a third of the longer name's length, or one name contains the
   * other.
   */
  public static Optional<String> find(String wanted, Collection<String> candidates) {
    if (wanted.length() > MAX_LENGTH) {
      return Optional.empty(); // not a misspelling; and the distance would cost length squared
    }
    String w = wanted.toLowerCase(Locale.ROOT);
    String best = null;
    int bestDistance = Integer.MAX_VALUE;
    for (String c : candidates) {
      if (c.length() > MAX_LENGTH) {
        continue;
      }
      String lc = c.toLowerCase(Locale.ROOT);
      int d = distance(w, lc);
      boolean close = d <= Math.max(1, Math.max(w.length(), lc.length()) / 3);
      boolean contains = !w.isEmpty() && (lc.contains(w) || w.contains(lc));
      if ((close || contains) && (d < bestDistance || (d == bestDistance && c.compareTo(best) < 0))) {
        best = c;
        bestDistance = d;
      }
    }
    return Optional.ofNullable(best);
  }

  /** Returns the optimal string alignment distance (Levenshtein plus adjacent swaps). */
  static int distance(String a, String b) {
    int[][] d = new int[a.length() + 1][b.length() + 1];
    for (int i = 0; i <= a.length(); i++) {
      d[i][0] = i;
    }
    for (int j = 0; j <= b.length(); j++) {
      d[0][j] = j;
    }
    for (int i = 1; i <= a.length(); i++) {
      for (int j = 1; j <= b.length(); j++) {
        int cost = a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1;
        int v = Math.min(Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1), d[i - 1][j - 1] + cost);
        if (i > 1
            && j > 1
            && a.charAt(i - 1) == b.charAt(j - 2)
            && a.charAt(i - 2) == b.charAt(j - 1)) {
          v = Math.min(v, d[i - 2][j - 2] + 1);
        }
        d[i][j] = v;
      }
    }
    return d[a.length()][b.length()];
  }
}
