package io.modelmux.internal.observe;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class LatencyWindowTest {
  private final LatencyWindow window = new LatencyWindow();

  @Test
  void should_have_no_median_before_the_first_latency() {
    assertThat(window.median()).isEqualTo(-1);
    window.record(7);
    assertThat(window.median()).isEqualTo(7);
  }

  @Test
  void should_take_the_median_of_the_recent_latencies_and_refresh_it_every_16() {
    for (int i = 1; i <= 99; i++) {
      window.record(i);
    }
    assertThat(window.median()).isEqualTo(50);

    for (int i = 0; i < LatencyWindow.REFRESH - 1; i++) {
      window.record(1_000);
    }
    assertThat(window.median()).isEqualTo(50); // read again before 16 more: the cached median
    window.record(1_000);
    assertThat(window.median()).isEqualTo(58); // 115 latencies, 16 of them slow
  }

  @Test
  void should_keep_only_the_last_128() {
    for (int i = 0; i < LatencyWindow.SIZE; i++) {
      window.record(1_000);
    }
    for (int i = 0; i < LatencyWindow.SIZE; i++) {
      window.record(1);
    }
    assertThat(window.median()).isEqualTo(1);
  }
}
