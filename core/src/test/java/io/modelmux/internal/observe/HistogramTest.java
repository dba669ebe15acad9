package io.modelmux.internal.observe;

import static org.assertj.core.api.Assertions.assertThat;

import io.modelmux.LatencyStats;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import io.modelmux.testing.Threads;
import org.junit.jupiter.api.Test;

class HistogramTest {
  @Test
  void should_put_each_value_in_a_bin_whose_upper_edge_is_within_an_eighth_above_it() {
    Random random = new Random(7);
    for (int i = 0; i < 100_000; i++) {
      long v = i < 1_000 ? i : (long) Math.exp(random.nextDouble() * Math.log(1L << 47));
      int bin = Histogram.bin(v);
      assertThat(bin).isBetween(0, Histogram.BINS - 1);
      long edge = Histogram.upperEdge(bin);
      assertThat(edge).as("upper edge of the bin of %d", v).isGreaterThanOrEqualTo(v);
      assertThat((double) edge).as("upper edge of the bin of %d", v).isLessThanOrEqualTo(v * 1.125 + 1);
      if (bin > 0) {
        assertThat(Histogram.upperEdge(bin - 1)).isLessThan(v);
      }
    }
    assertThat(Histogram.bin(Long.MAX_VALUE)).isEqualTo(Histogram.BINS - 1);
  }

  @Test
  void should_read_percentiles_within_a_bin_of_the_true_ones() {
    Histogram h = new Histogram();
    List<Long> values = new ArrayList<>();
    Random random = new Random(1);
    for (int i = 0; i < 10_000; i++) {
      long v = 1_000_000 + (long) (random.nextGaussian() * 200_000 + 200_000) * (i % 100 == 0 ? 10 : 1);
      values.add(Math.max(0, v));
      h.record(v);
    }
    values.sort(null);
    LatencyStats s = h.stats();
    assertThat(s.count()).isEqualTo(10_000);
    assertWithinABin(s.p50().toNanos(), values.get(4_999));
    assertWithinABin(s.p95().toNanos(), values.get(9_499));
    assertWithinABin(s.p99().toNanos(), values.get(9_899));
    assertThat(s.max().toNanos()).isEqualTo(values.get(9_999));
  }

  private static void assertWithinABin(long read, long truth) {
    assertThat(read).isGreaterThanOrEqualTo(truth);
    assertThat((double) read).isLessThanOrEqualTo(truth * 1.125 + 1);
  }

  @Test
  void should_lose_no_recording_under_16_threads() throws Exception {
    Histogram h = new Histogram();
    Threads.concurrently(16, t -> {
      long value = 1_000L * (t + 1);
      return () -> {
        for (int i = 0; i < 10_000; i++) {
          h.record(value);
        }
        return null;
      };
    });
    assertThat(h.count()).isEqualTo(160_000);
    assertThat(h.sum()).isEqualTo(10_000L * 1_000 * (16 * 17 / 2));
    assertThat(h.stats().max().toNanos()).isEqualTo(16_000);
  }

  @Test
  void should_say_empty_with_nothing_recorded() {
    assertThat(new Histogram().stats()).isEqualTo(LatencyStats.EMPTY);
    assertThat(new Histogram().percentile(0.5)).isEqualTo(-1);
  }
}
