package io.modelmux.djl;

import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * Picks the next token from a row of logits: greedy (argmax) at temperature 0, otherwise
 * temperature, top-k and top-p (nucleus) sampling from a seeded generator, so that the same
 * seed, prompt and options give the same text. One sampler per generation; not thread-safe.
 */
final class Sampler {
  private final double temperature;
  private final int topK;
  private final double topP;
  private final SplittableRandom random;
  private float[] scratch = new float[0];
  private Integer[] order = new Integer[0];

  /**
   * @param temperature 0 for greedy, else positive
   * @param topK how many top tokens to sample from; 0 for all
   * @param topP the nucleus mass in (0, 1]; 1 for all
   * @param seed the seed of the random generator
   */
  Sampler(double temperature, int topK, double topP, long seed) {
    this.temperature = temperature;
    this.topK = topK;
    this.topP = topP;
    this.random = new SplittableRandom(seed);
  }

  boolean isGreedy() {
    return temperature == 0.0;
  }

  /** Returns the chosen token among the first {@code vocab} logits. */
  int sample(float[] logits, int vocab) {
    if (isGreedy()) {
      return argMax(logits, vocab);
    }
    if (scratch.length < vocab) {
      scratch = new float[vocab];
      order = new Integer[vocab];
    }
    int n = vocab;
    for (int i = 0; i < n; i++) {
      order[i] = i;
    }
    // Sort token ids by logit, highest first; ties keep the lower id first (stable sort).
    Arrays.sort(order, 0, n, (a, b) -> Float.compare(logits[b], logits[a]));
    int keep = topK > 0 ? Math.min(topK, n) : n;
    double max = logits[order[0]];
    double total = 0;
    for (int i = 0; i < keep; i++) {
      double p = Math.exp((logits[order[i]] - max) / temperature);
      scratch[i] = (float) p;
      total += p;
    }
    if (topP < 1.0) {
      double cumulative = 0;
      int cut = keep;
      for (int i = 0; i < keep; i++) {
        cumulative += scratch[i] / total;
        if (cumulative >= topP) {
          cut = i + 1;
          break;
        }
      }
      keep = cut;
      total = 0;
      for (int i = 0; i < keep; i++) {
        total += scratch[i];
      }
    }
    double r = random.nextDouble() * total;
    for (int i = 0; i < keep; i++) {
      r -= scratch[i];
      if (r < 0) {
        return order[i];
      }
    }
    return order[keep - 1];
  }

  static int argMax(float[] logits, int vocab) {
    int best = 0;
    float bestValue = logits[0];
    for (int i = 1; i < vocab; i++) {
      if (logits[i] > bestValue) {
        bestValue = logits[i];
        best = i;
      }
    }
    return best;
  }
}
