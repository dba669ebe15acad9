package io.modelmux.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.modelmux.BackendException;
import io.modelmux.BreakerPolicy;
import io.modelmux.CircuitOpenException;
import io.modelmux.GuardStats;
import io.modelmux.InvalidRequestException;
import io.modelmux.testing.MutableClock;
import java.net.URI;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Replicas: least in flight by two random choices, and a circuit breaker per replica with the model's policy. */
class ReplicaSetTest {
  private static final BreakerPolicy POLICY =
      BreakerPolicy.builder().window(4).minimumCalls(4).failureRate(50).openFor(Duration.ofSeconds(30)).build();
  private static final BackendException UNAVAILABLE = new BackendException("503", "m", true, 503, null, null, null);

  private final MutableClock clock = new MutableClock(Instant.parse("2026-11-28T00:00:00Z"));
  private final ReplicaSet set =
      new ReplicaSet(List.of(URI.create("http://a/v1"), URI.create("http://b/v1"), URI.create("http://c/v1")), POLICY, clock, "m");

  private void fail(ReplicaSet.Replica r, int times) {
    for (int i = 0; i < times; i++) {
      assertThat(r.breaker.tryEnter()).isTrue();
      r.inFlight.incrementAndGet();
      set.done(r, 1_000, UNAVAILABLE);
    }
  }

  @Test
  void should_prefer_the_replica_with_fewer_requests_in_flight() {
    ReplicaSet two = new ReplicaSet(List.of(URI.create("http://a/v1"), URI.create("http://b/v1")), POLICY, clock, "m");
    ReplicaSet.Replica busy = two.acquire();
    for (int i = 0; i < 20; i++) {
      ReplicaSet.Replica r = two.acquire();
      assertThat(r).isNotSameAs(busy);
      two.done(r, 1_000, null);
    }
  }

  @Test
  void should_open_a_failing_replicas_circuit_leave_it_out_and_probe_it_after_open_for() {
    ReplicaSet.Replica bad = set.all().get(0);
    fail(bad, 4);
    assertThat(bad.breaker.state()).isEqualTo(GuardStats.CircuitState.OPEN);
    for (int i = 0; i < 50; i++) {
      ReplicaSet.Replica r = set.acquire();
      assertThat(r).isNotSameAs(bad);
      set.done(r, 1_000, null);
    }

    clock.advance(Duration.ofSeconds(30).plusMillis(1));

    boolean probed = false;
    for (int i = 0; i < 50 && !probed; i++) {
      ReplicaSet.Replica r = set.acquire();
      probed = r == bad;
      set.done(r, 1_000, null);
    }
    assertThat(probed).as("the open replica got its probe").isTrue();
    assertThat(bad.breaker.state()).as("the probe succeeded").isEqualTo(GuardStats.CircuitState.CLOSED);
  }

  @Test
  void should_not_count_the_requests_own_faults_against_a_replica() {
    ReplicaSet.Replica r = set.all().get(1);
    for (int i = 0; i < 10; i++) {
      assertThat(r.breaker.tryEnter()).isTrue();
      r.inFlight.incrementAndGet();
      set.done(r, 1_000, new InvalidRequestException("bad prompt", "m", null));
    }
    assertThat(r.breaker.state()).isEqualTo(GuardStats.CircuitState.CLOSED);
  }

  @Test
  void should_name_every_replica_and_its_probe_when_all_are_open() {
    for (ReplicaSet.Replica r : set.all()) {
      fail(r, 4);
      clock.advance(Duration.ofSeconds(1));
    }

    assertThatThrownBy(set::acquire)
        .isInstanceOfSatisfying(CircuitOpenException.class, e -> assertThat(e.retryAfter()).hasValue(Duration.ofSeconds(27)))
        .hasMessageContaining("every replica of model 'm' has an open circuit")
        .hasMessageContaining("http://a/v1 (probe at 2026-11-28T00:00:30Z)")
        .hasMessageContaining("http://c/v1 (probe at 2026-11-28T00:00:32Z)");
  }

  @Test
  void should_keep_no_breaker_of_its_own_for_a_single_server() {
    ReplicaSet one = new ReplicaSet(List.of(URI.create("http://a/v1")), POLICY, clock, "m");
    ReplicaSet.Replica only = one.all().get(0);
    for (int i = 0; i < 10; i++) {
      one.acquire();
      one.done(only, 1_000, UNAVAILABLE);
    }
    assertThat(one.acquire()).as("the manager's breaker judges a model of one server").isSameAs(only);
    assertThat(only.breaker.state()).isEqualTo(GuardStats.CircuitState.DISABLED);
  }
}
