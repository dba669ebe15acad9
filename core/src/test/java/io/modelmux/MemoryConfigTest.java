package io.modelmux;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.modelmux.MemoryConfig.Amount;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class MemoryConfigTest {
  @Test
  void should_build_the_memory_section_in_code_without_nulls() {
    MemoryConfig memory =
        MemoryConfig.builder()
            .budget("2GiB")
            .headroom("10%")
            .keepAlive(Duration.ofMinutes(5))
            .maxLoadedModels(4)
            .eviction("GDSF")
            .pool("cuda:0", Amount.parse("80%"))
            .build();

    assertThat(memory.budget()).contains(Amount.ofBytes(2L << 30));
    assertThat(memory.headroom()).contains(Amount.ofFraction(0.1));
    assertThat(memory.keepAlive()).contains(Duration.ofMinutes(5));
    assertThat(memory.maxLoadedModels()).hasValue(4);
    assertThat(memory.eviction()).isEqualTo("gdsf");
    assertThat(memory.pools()).containsEntry("cuda:0", Amount.ofFraction(0.8));
    assertThat(memory.toBuilder().maxLoadedModels(2).build().budget()).isEqualTo(memory.budget());
    assertThat(MemoryConfig.builder().build().budget()).isEmpty();
  }

  @Test
  void should_check_each_value_at_once() {
    MemoryConfig.Builder b = MemoryConfig.builder();

    assertThatThrownBy(() -> b.maxLoadedModels(0)).hasMessageContaining("maxLoadedModels must be at least 1, got 0");
    assertThatThrownBy(() -> b.eviction("fifo")).hasMessageContaining("lru or gdsf");
    assertThatThrownBy(() -> b.budget("0")).hasMessageContaining("more than 0 bytes");
    assertThatThrownBy(() -> b.budget("lots")).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("'lots'");
    assertThatThrownBy(() -> b.pool(" ", Amount.ofBytes(1))).hasMessageContaining("blank");
  }

  @Test
  void should_take_a_headroom_of_zero_percent_as_none() {
    assertThat(Amount.parse("0%")).isEqualTo(Amount.ofBytes(0));
    assertThat(MemoryConfig.builder().headroom("0%").build().headroom()).contains(Amount.ofBytes(0));
  }
}
