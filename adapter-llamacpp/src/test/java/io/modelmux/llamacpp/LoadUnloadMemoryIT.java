package io.modelmux.llamacpp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.condition.OS.LINUX;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.condition.EnabledOnOs;

/**
 * 50 load/generate/unload cycles of the tiny GGUF leave the process's resident memory within
 * 50 MB of where it started, and every unload ends its runner at once (llama.cpp's memory goes
 * with it). In-process, java-llama.cpp 4.2.0 kept 30 MB per cycle: 1.5 GB over 50.
 *
 * <p>Runs {@link LoadCycleProbe} in a JVM of its own whose heap is fixed and touched up front,
 * so that heap pages touched for the first time do not read as growth.
 */
@EnabledOnOs(LINUX)
class LoadUnloadMemoryIT {
  @Test
  @Timeout(value = 5, unit = TimeUnit.MINUTES)
  void fifty_load_unload_cycles_return_their_memory() throws Exception {
    String classPath = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
    List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-Xms256m", "-Xmx256m", "-XX:+AlwaysPreTouch", "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn",
        "-cp", classPath, LoadCycleProbe.class.getName(), "50"));
    Process p = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.DISCARD).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
    assertThat(p.waitFor(4, TimeUnit.MINUTES)).isTrue();
    assertThat(p.exitValue()).as(out).isZero();
    System.out.println(out);
    Map<String, Long> f = new LinkedHashMap<>();
    for (String pair : out.substring(out.lastIndexOf('\n') + 1).split(" ")) {
      String[] kv = pair.split("=", 2);
      f.put(kv[0], Long.parseLong(kv[1]));
    }
    assertThat(f.get("end_kb") - f.get("start_kb")).as("VmRSS growth over 50 cycles (KB): %s", out).isLessThan(50 * 1024);
    assertThat(f.get("outlived")).as("runners alive after their unload returned: %s", out).isZero();
    assertThat(f.get("measured")).as(out).isGreaterThan(3_400_000L);
  }
}
