package io.modelmux.spi;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.modelmux.ModelRef;
import java.util.List;
import org.junit.jupiter.api.Test;

class EvictionPolicyTest {
  private static EvictionPolicy.Candidate candidate(String id, long bytes, long lastAccess, long accesses, long cost, double clock) {
    return new EvictionPolicy.Candidate(new ModelRef(id, "1"), bytes, lastAccess, accesses, cost, clock);
  }

  @Test
  void should_evict_the_least_recently_used_with_lru() {
    EvictionPolicy lru = EvictionPolicy.named("LRU");

    EvictionPolicy.Candidate victim =
        lru.victim(List.of(candidate("a", 10, 300, 1, 1, 0), candidate("b", 10, 100, 50, 1, 0), candidate("c", 10, 200, 1, 1, 0)));

    assertThat(victim.model().id()).isEqualTo("b");
    assertThat(lru.name()).isEqualTo("lru");
  }

  @Test
  void should_evict_the_large_cheap_seldom_used_model_first_with_gdsf() {
    EvictionPolicy gdsf = EvictionPolicy.gdsf();
    // big: 8 GB, loads in 2 s, used twice; small: 1 GB, loads in 2 s, used 20 times, least recent.
    EvictionPolicy.Candidate big = candidate("big", 8_000_000_000L, 500, 2, 2_000_000_000L, 0);
    EvictionPolicy.Candidate small = candidate("small", 1_000_000_000L, 100, 20, 2_000_000_000L, 0);

    assertThat(gdsf.victim(List.of(big, small))).isEqualTo(big);
    assertThat(EvictionPolicy.lru().victim(List.of(big, small))).isEqualTo(small);
  }

  @Test
  void should_age_gdsf_values_so_that_old_popularity_fades() {
    EvictionPolicy gdsf = EvictionPolicy.gdsf();
    EvictionPolicy.Candidate first = candidate("first", 100, 1, 1, 100, 0); // value 1
    gdsf.victim(List.of(first));
    gdsf.evicted(first);
    assertThat(gdsf.clock()).isEqualTo(1.0);
    // once popular long ago (clock 0, value 0 + 1.5), against one used once after the inflation (1 + 1)
    EvictionPolicy.Candidate stale = candidate("stale", 100, 2, 3, 50, 0);
    EvictionPolicy.Candidate fresh = candidate("fresh", 100, 3, 1, 100, gdsf.clock());

    assertThat(gdsf.victim(List.of(stale, fresh))).isEqualTo(stale);
  }

  @Test
  void should_name_the_known_policies_for_an_unknown_one() {
    assertThatThrownBy(() -> EvictionPolicy.named("fifo")).hasMessageContaining("use lru or gdsf");
  }
}
