package io.modelmux.http;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class ReplicaSetTest {
  private final AtomicLong now = new AtomicLong(1_000);
  private final ReplicaSet set =
      new ReplicaSet(
          List.of(URI.create("http://a/v1"), URI.create("http://b/v1"), URI.create("http://c/v1")),
          3, Duration.ofSeconds(30), now::get);

  @Test
  void should_prefer_the_replica_with_fewer_requests_in_flight() {
    ReplicaSet two = new ReplicaSet(List.of(URI.create("http://a/v1"), URI.create("http://b/v1")), 3, Duration.ofSeconds(30), now::get);
    ReplicaSet.Replica busy = two.acquire();
    for (int i = 0; i < 20; i++) {
      ReplicaSet.Replica r = two.acquire();
      assertThat(r).isNotSameAs(busy);
      two.done(r, false);
    }
  }

  @Test
  void should_eject_a_replica_after_consecutive_failures_and_take_it_back_after_the_cool_down() {
    ReplicaSet.Replica bad = set.all().get(0);
    for (int i = 0; i < 3; i++) {
      bad.inFlight.incrementAndGet();
      set.done(bad, true);
    }
    assertThat(set.isEjected(bad)).isTrue();
    for (int i = 0; i < 50; i++) {
      ReplicaSet.Replica r = set.acquire();
      assertThat(r).isNotSameAs(bad);
      set.done(r, false);
    }

    now.addAndGet(Duration.ofSeconds(31).toNanos());

    assertThat(set.isEjected(bad)).isFalse();
  }

  @Test
  void should_not_eject_for_failures_that_are_not_consecutive() {
    ReplicaSet.Replica r = set.all().get(1);
    for (int i = 0; i < 10; i++) {
      r.inFlight.incrementAndGet();
      set.done(r, i % 2 == 0);
    }
    assertThat(set.isEjected(r)).isFalse();
  }

  @Test
  void should_try_the_replica_back_soonest_when_all_are_ejected() {
    for (ReplicaSet.Replica r : set.all()) {
      for (int i = 0; i < 3; i++) {
        r.inFlight.incrementAndGet();
        set.done(r, true);
      }
      now.addAndGet(1_000);
    }

    assertThat(set.acquire()).isSameAs(set.all().get(0));
  }
}
