package io.modelmux.internal.route;

/**
 * Weighted rendezvous hashing (highest random weight): each target scores {@code -ln(u) / w}
 * for a pseudo-random {@code u} in (0, 1] drawn from the key and the target, and the lowest
 * score wins. A key keeps its target while the weights stand, and changing one weight moves only
 * the keys that must move to give each target its new share. Allocation-free.
 */
final class RendezvousHash {
  private RendezvousHash() {}

  /** Returns a 64-bit hash of {@code key} (FNV-1a over its characters, then mixed). */
  static long hash(String key) {
    long h = 0xcbf29ce484222325L;
    for (int i = 0; i < key.length(); i++) {
      h ^= key.charAt(i);
      h *= 0x100000001b3L;
    }
    return mix(h);
  }

  /** The finaliser of MurmurHash3: spreads every input bit over every output bit. */
  static long mix(long z) {
    z = (z ^ (z >>> 33)) * 0xff51afd7ed558ccdL;
    z = (z ^ (z >>> 33)) * 0xc4ceb9fe1a85ec53L;
    return z ^ (z >>> 33);
  }

  /**
   * Returns the index of the target {@code keyHash} goes to.
   *
   * @param seeds each target's own hash (of its name), so that a target keeps its keys when others change
   * @param weights each target's weight, positive
   */
  static int choose(long keyHash, long[] seeds, int[] weights) {
    int best = 0;
    double bestScore = Double.MAX_VALUE;
    for (int i = 0; i < seeds.length; i++) {
      long h = mix(keyHash ^ seeds[i]);
      double u = ((h >>> 11) + 1) * 0x1.0p-53; // in (0, 1]
      double score = -Math.log(u) / weights[i];
      if (score < bestScore) {
        bestScore = score;
        best = i;
      }
    }
    return best;
  }

  /** Returns a key's bucket in [0, 10000), for shares such as a canary's percentage. */
  static int bucket(long keyHash) {
    return (int) Long.remainderUnsigned(mix(keyHash ^ 0x5bd1e995L), 10_000);
  }
}
