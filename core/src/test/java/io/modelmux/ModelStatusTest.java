package io.modelmux;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

class ModelStatusTest {
  @Test
  void should_compose_a_status_from_its_statistics() {
    RequestStats requests = RequestStats.builder().inFlight(2).requests(10).failures(3).build();
    MemoryStats memory =
        MemoryStats.builder().bytes(1_000, true).tier(Tier.ACTIVE).pools(Map.of("host", 1_000L)).pinned(true).loads(1)
            .evictions(4).lastLoadTime(Duration.ofMillis(5)).build();

    ModelStatus s =
        ModelStatus.builder(new ModelRef("m", "1"), "echo").state(ModelState.LOADED).primary(true).aliases(List.of("prod"))
            .tags(Set.of("chat")).requestStats(requests).memoryStats(memory).build();

    assertThat(s.requestStats()).isSameAs(requests);
    assertThat(s.memoryStats()).isSameAs(memory);
    assertThat(requests.failureRate()).isEqualTo(0.3);
    assertThat(RequestStats.empty().failureRate()).isZero();
    assertThat(s.inFlight()).isEqualTo(2);
    assertThat(s.bytes()).isEqualTo(1_000);
    assertThat(s.bytesMeasured()).isTrue();
    assertThat(s.loadTime()).contains(Duration.ofMillis(5));
    assertThat(s.toString()).contains("m@1").contains("ACTIVE").contains("pinned").contains("aliases=[prod]");
  }

  @Test
  void should_start_from_a_cold_registered_model_and_check_each_value() {
    ModelStatus s = ModelStatus.builder(new ModelRef("m", "1"), "echo").build();

    assertThat(s.state()).isEqualTo(ModelState.REGISTERED);
    assertThat(s.tier()).isEqualTo(Tier.COLD);
    assertThat(s.requests()).isZero();
    assertThatThrownBy(() -> RequestStats.builder().requests(-1)).hasMessageContaining("requests must not be negative, got -1");
    assertThatThrownBy(() -> MemoryStats.builder().bytes(-5, false)).hasMessageContaining("bytes must not be negative");
    assertThatThrownBy(() -> ModelStatus.builder(new ModelRef("m", "1"), "echo").state(null)).isInstanceOf(NullPointerException.class);
  }
}
