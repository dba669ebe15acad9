package io.modelmux.benchmarks;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Benchmarks do not rot: every benchmark of the built {@code benchmarks.jar} runs once, as a user
 * would run it ({@code java -jar}), in a smoke mode — one fork, no warm-up, one iteration of 100
 * ms, failing on the first error — and each must give a finite score. No timing is asserted.
 * Parameters that only repeat the same code on other data are narrowed to one or two values.
 * About four minutes on 2 cores (77 forks).
 */
class BenchmarksSmokeIT {
  private static final Path JAR = Path.of("target", "benchmarks.jar");

  @Test
  void should_run_every_benchmark_once() throws Exception {
    assertThat(JAR).as("built by the package phase").exists();
    Path json = Path.of("target", "smoke.json");
    Files.deleteIfExists(json);
    Path log = Path.of("target", "smoke.log");

    Process p = new ProcessBuilder(java(), "-jar", JAR.toString(),
        "-f", "1", "-wi", "0", "-i", "1", "-r", "100ms", "-foe", "true", "-rf", "json", "-rff", json.toString(),
        // the smallest and largest registries, one eviction trace: the same code, fewer forks
        "-p", "models=10,10000", "-p", "seed=20261123")
        .redirectErrorStream(true).redirectOutput(log.toFile()).start();
    boolean ended = p.waitFor(6, TimeUnit.MINUTES);
    if (!ended) {
      p.destroyForcibly();
    }
    String output = Files.readString(log, StandardCharsets.UTF_8);
    assertThat(ended).as("the smoke run ended within 6 minutes; its output:%n%s", tail(output)).isTrue();
    assertThat(p.exitValue()).as("the smoke run's exit code; its output:%n%s", tail(output)).isZero();

    Set<String> listed = new TreeSet<>(list());
    Set<String> ran = new TreeSet<>();
    for (JsonNode r : new ObjectMapper().readTree(json.toFile())) {
      ran.add(r.path("benchmark").asText());
      double score = r.path("primaryMetric").path("score").asDouble(Double.NaN);
      assertThat(Double.isFinite(score)).as("score of %s %s", r.path("benchmark").asText(), r.path("params")).isTrue();
    }
    assertThat(ran).as("every benchmark of the jar gave a result").containsExactlyElementsOf(listed);
    assertThat(listed).as("the jar lists its benchmarks").hasSizeGreaterThan(20);
  }

  /** Returns the benchmarks the jar lists ({@code -l}). */
  private static List<String> list() throws Exception {
    Process p = new ProcessBuilder(java(), "-jar", JAR.toString(), "-l").redirectErrorStream(true).start();
    List<String> names = new ArrayList<>();
    for (String line : new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).split("\n")) {
      if (line.strip().matches("[a-zA-Z0-9_.$]+\\.[a-zA-Z0-9_$]+") && !line.startsWith("Benchmarks")) {
        names.add(line.strip());
      }
    }
    assertThat(p.waitFor(1, TimeUnit.MINUTES)).isTrue();
    return names;
  }

  private static String java() {
    return Path.of(System.getProperty("java.home"), "bin", "java" + (File.separatorChar == '\\' ? ".exe" : "")).toString();
  }

  private static String tail(String output) {
    return output.length() <= 4_000 ? output : "…" + output.substring(output.length() - 4_000);
  }
}
