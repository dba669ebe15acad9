package io.modelmux.djl;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.condition.OS.LINUX;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.condition.EnabledOnOs;

/**
 * 200 load/generate/unload cycles of the shipped tiny LM leave the process's resident memory
 * within 50 MB of where it started, and no parameter memory waits for the garbage collector.
 *
 * <p>Runs {@link LoadCycleProbe} in a JVM of its own, whose heap is fixed and touched up front
 * ({@code -Xms=-Xmx}, {@code -XX:+AlwaysPreTouch}): otherwise the young generation being touched
 * for the first time (a few MB of garbage per cycle, up to the initial heap size) reads as
 * growth, and other tests in the same JVM would blur the figure. A fixed heap alone would hide
 * the fault this guards against (DJL's {@code .params} loading keeps each weight in a Java direct
 * buffer that only a GC frees; a small heap collects every cycle), so the probe also reports how
 * much direct-buffer memory a loaded model holds: it must be none of its parameters.
 */
@EnabledOnOs(LINUX)
class LoadUnloadMemoryIT {
  @Test
  @Timeout(value = 5, unit = TimeUnit.MINUTES)
  void should_return_the_memory_of_200_load_unload_cycles() throws Exception {
    Map<String, Long> figures = new HashMap<>();
    ForkedProbe.run(LoadCycleProbe.class, List.of("-Xms256m", "-Xmx256m", "-XX:+AlwaysPreTouch"), 300, "200")
        .forEach((k, v) -> figures.put(k, Long.parseLong(v)));
    String out = figures.toString();
    long growthKb = figures.get("end_kb") - figures.get("start_kb");
    assertThat(growthKb).as("VmRSS growth over 200 cycles (KB): %s", out).isLessThan(50 * 1024);
    assertThat(figures.get("footprint")).as(out).isGreaterThan(3_000_000L); // 3.4 MB of parameters + KV cache
    assertThat(figures.get("direct_while_loaded"))
        .as("direct-buffer bytes held by a loaded model (freed only by a GC): %s", out)
        .isLessThan(1L << 20);
  }
}
