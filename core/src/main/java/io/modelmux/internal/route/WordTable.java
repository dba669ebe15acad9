package io.modelmux.internal.route;

import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * An immutable open-addressing table of lower-case words and phrases, looked up by a range of
 * characters lower-cased on the fly, so that classifying a prompt allocates nothing per word.
 */
final class WordTable {
  /**
   * What a word is.
   *
   * @param weights its weight for each task, or null
   * @param language whether it names a human language
   * @param endsPhrase whether some phrase ends with it (then the phrases ending here are looked up)
   */
  record Entry(double @Nullable [] weights, boolean language, boolean endsPhrase) {}

  private final String[] keys;
  private final Entry[] values;
  private final int mask;

  WordTable(Map<String, Entry> entries) {
    int size = Integer.highestOneBit(Math.max(4, entries.size() * 3)) << 1;
    keys = new String[size];
    values = new Entry[size];
    mask = size - 1;
    entries.forEach(
        (key, value) -> {
          int i = hash(key) & mask;
          while (keys[i] != null) {
            i = (i + 1) & mask;
          }
          keys[i] = key;
          values[i] = value;
        });
  }

  /**
   * Returns the entry of the words {@code starts[k]..ends[k]} of {@code s} (k from {@code
   * first}, {@code count} of them) joined by single spaces and lower-cased, whose polynomial
   * hash is {@code rawHash} (see {@link #raw} and {@link #join}); null if none. Allocates
   * nothing.
   */
  @Nullable Entry get(char[] s, int[] starts, int[] ends, int first, int count, int rawHash) {
    int len = count - 1;
    for (int k = first; k < first + count; k++) {
      len += ends[k] - starts[k];
    }
    for (int i = mix(rawHash) & mask; ; i = (i + 1) & mask) {
      String key = keys[i];
      if (key == null) {
        return null;
      }
      if (key.length() == len && matches(key, s, starts, ends, first, count)) {
        return values[i];
      }
    }
  }

  private static boolean matches(String key, char[] s, int[] starts, int[] ends, int first, int count) {
    int j = 0;
    for (int k = first; k < first + count; k++) {
      if (k > first && key.charAt(j++) != ' ') {
        return false;
      }
      for (int i = starts[k]; i < ends[k]; i++) {
        if (key.charAt(j++) != lower(s[i])) {
          return false;
        }
      }
    }
    return true;
  }

  /** Returns the polynomial hash (base 31) of the lower-cased characters {@code from} to {@code to}. */
  static int raw(char[] s, int from, int to) {
    int h = 0;
    for (int i = from; i < to; i++) {
      h = 31 * h + lower(s[i]);
    }
    return h;
  }

  /** Returns the hash of {@code left + " " + right} from their hashes and the right one's length. */
  static int join(int left, int right, int rightLength) {
    int h = 31 * left + ' ';
    for (int i = 0; i < rightLength; i++) {
      h *= 31;
    }
    return h + right;
  }

  static char lower(char c) {
    if (c < 128) {
      return c >= 'A' && c <= 'Z' ? (char) (c + 32) : c;
    }
    return Character.toLowerCase(c);
  }

  private static int mix(int h) {
    return h ^ (h >>> 15);
  }

  private static int hash(String s) {
    int h = 0;
    for (int i = 0; i < s.length(); i++) {
      h = 31 * h + s.charAt(i);
    }
    return mix(h);
  }
}
