package io.modelmux;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class HardwareTest {
  private final ClassLoader loader = getClass().getClassLoader();

  @Test
  void should_read_host_memory_from_the_os() {
    Hardware h = Hardware.detect();

    assertThat(h.hostMemoryBytes()).isGreaterThan(1L << 28);
    assertThat(h.toString()).contains("MiB");
  }

  @Test
  void should_call_apple_silicon_and_jetson_unified_and_others_not() {
    assertThat(Hardware.detect(loader, "Mac OS X", "aarch64", false).unified()).isTrue();
    assertThat(Hardware.detect(loader, "Mac OS X", "x86_64", false).unified()).isFalse();
    assertThat(Hardware.detect(loader, "Linux", "aarch64", true).unified()).as("Jetson").isTrue();
    assertThat(Hardware.detect(loader, "Linux", "amd64", false).unified()).isFalse();
  }
}
