package io.modelmux.internal.observe;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.modelmux.testing.MutableClock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class OutcomeWindowTest {
  private static final long MS = 1_000_000;
  private final MutableClock clock = new MutableClock(Instant.parse("2026-01-01T00:00:00Z"));
  private final OutcomeWindow window = new OutcomeWindow(Duration.ofSeconds(10), clock);

  @Test
  void should_count_requests_failures_and_the_p95_bin() {
    assertThat(window.stats()).isEqualTo(new OutcomeWindow.Stats(0, 0, -1));
    for (int i = 0; i < 100; i++) {
      window.record(i < 5, 10 * MS);
    }

    OutcomeWindow.Stats s = window.stats();
    assertThat(s.requests()).isEqualTo(100);
    assertThat(s.errorRate()).isEqualTo(0.05);
    assertThat(s.p95Millis()).isBetween(10.0, 10 * 1.19); // the upper edge of 10 ms's bin
  }

  @Test
  void should_take_the_95th_percentile_by_rank() {
    for (int i = 0; i < 95; i++) {
      window.record(false, MS);
    }
    for (int i = 0; i < 5; i++) {
      window.record(false, 1_000 * MS);
    }
    assertThat(window.stats().p95Millis()).isEqualTo(1.0);

    window.record(false, 1_000 * MS); // now 6 of 101 are slow: rank 96 is slow
    assertThat(window.stats().p95Millis()).isCloseTo(1_000, within(1_000 * 0.19));
  }

  @Test
  void should_forget_outcomes_older_than_the_window_bucket_by_bucket() {
    window.record(true, MS);
    clock.advance(Duration.ofSeconds(5));
    window.record(false, MS);
    clock.advance(Duration.ofMillis(5_500)); // 10.5 s after the first: its bucket is out

    assertThat(window.stats().requests()).isEqualTo(1);
    assertThat(window.stats().errorRate()).isZero();
    clock.advance(Duration.ofSeconds(5));
    assertThat(window.stats().requests()).isZero();
  }

  @Test
  void should_reset_a_bucket_when_it_is_reused_a_window_later() {
    window.record(true, MS);
    clock.advance(Duration.ofSeconds(10)); // the same bucket, the next lap

    window.record(false, MS);

    assertThat(window.stats()).isEqualTo(new OutcomeWindow.Stats(1, 0, 1.0));
  }

  @Test
  void should_lose_nothing_when_16_threads_record_at_once() throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(16);
    CountDownLatch go = new CountDownLatch(1);
    List<Future<?>> done = new ArrayList<>();
    try {
      for (int t = 0; t < 16; t++) {
        boolean failing = t % 4 == 0;
        done.add(pool.submit(() -> {
          go.await();
          for (int i = 0; i < 10_000; i++) {
            window.record(failing, 5 * MS);
          }
          return null;
        }));
      }
      go.countDown();
      for (Future<?> f : done) {
        f.get(30, TimeUnit.SECONDS);
      }
    } finally {
      pool.shutdownNow();
    }

    OutcomeWindow.Stats s = window.stats();
    assertThat(s.requests()).isEqualTo(160_000);
    assertThat(s.failures()).isEqualTo(40_000);
  }

  @Test
  void should_lose_nothing_when_16_threads_open_a_new_bucket_at_once() throws Exception {
    // the moment a bucket is first used (or reused a lap later) is where outcomes could be
    // erased: race it many times, each round on a fresh bucket
    ExecutorService pool = Executors.newFixedThreadPool(16);
    CyclicBarrier start = new CyclicBarrier(17);
    CyclicBarrier end = new CyclicBarrier(17);
    OutcomeWindow shared = new OutcomeWindow(Duration.ofSeconds(10), clock);
    int rounds = 500;
    try {
      for (int t = 0; t < 16; t++) {
        pool.submit(() -> {
          for (int r = 0; r < rounds; r++) {
            start.await();
            for (int i = 0; i < 5; i++) {
              shared.record(false, MS);
            }
            end.await();
          }
          return null;
        });
      }
      for (int r = 0; r < rounds; r++) {
        start.await(30, TimeUnit.SECONDS);
        end.await(30, TimeUnit.SECONDS);
        assertThat(shared.stats().requests()).as("round %d", r).isEqualTo(80);
        clock.advance(Duration.ofSeconds(10)); // the next round reuses the same bucket a lap on
      }
    } finally {
      pool.shutdownNow();
    }
  }
}
