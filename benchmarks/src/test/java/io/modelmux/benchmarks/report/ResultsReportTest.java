package io.modelmux.benchmarks.report;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The results tool: JMH's JSON to tables with ratios and goals, written between markers so that
 * the hand-written text around them stays, and a PNG chart.
 */
class ResultsReportTest {
  @TempDir Path dir;

  private static String result(String method, String mode, double score, double alloc, String params) {
    return "{\"jmhVersion\":\"1.37\",\"benchmark\":\"io.modelmux.benchmarks.ManagerOverheadBenchmark." + method + "\","
        + "\"mode\":\"" + mode + "\",\"threads\":1,\"forks\":2,\"jdkVersion\":\"17.0.15\",\"vmName\":\"OpenJDK 64-Bit Server VM\","
        + "\"vmVersion\":\"17.0.15\",\"params\":{" + params + "},\"primaryMetric\":{\"score\":" + score + ",\"scoreError\":1.5,"
        + "\"scoreUnit\":\"ns/op\"},\"secondaryMetrics\":{\"gc.alloc.rate.norm\":{\"score\":" + alloc + ",\"scoreUnit\":\"B/op\"}}}";
  }

  @Test
  void should_write_tables_with_ratios_and_goals_between_markers_and_keep_the_text_around() throws Exception {
    Path json = dir.resolve("results.json");
    Files.writeString(json, "[" + String.join(",",
        result("baseline", "avgt", 2, 0, ""),
        result("manager", "avgt", 240, 208, ""),
        result("managerWithoutMeters", "avgt", 200, 208, ""),
        result("guarded", "avgt", 600, 240, ""),
        result("cacheHit1Kb", "avgt", 150, 184, "")) + "]");
    Path md = dir.resolve("RESULTS.md");
    Files.writeString(md, "# Benchmark results\n\nHand-written before.\n\n<!-- generated: ManagerOverheadBenchmark -->\nold table\n"
        + "<!-- end generated -->\n\nHand-written after: why the numbers are what they are.\n");
    Path png = dir.resolve("results.png");

    ResultsReport.main(new String[] {json.toString(), md.toString(), png.toString(), "java", "-jar", "benchmarks.jar"});

    String text = Files.readString(md);
    assertThat(text).contains("Hand-written before.").contains("Hand-written after: why the numbers are what they are.")
        .doesNotContain("old table");
    assertThat(text).contains("| manager | 240.0 ± 1.50 ns/op | 208.0 B | baseline | 120.00 | ≤ baseline + 1,000 ns/op,"
        + " ≤ baseline + 1,024 B/op | yes |");
    assertThat(text).contains("| manager | 240.0 ± 1.50 ns/op | 208.0 B | managerWithoutMeters | 1.20 |"
        + " ≤ managerWithoutMeters + 150.0 ns/op | yes |");
    assertThat(text).as("600 is 360 over the manager's 240").contains("| guarded | 600.0 ± 1.50 ns/op | 240.0 B | manager | 2.50 |"
        + " ≤ manager + 300.0 ns/op | no |");
    assertThat(text).contains("| cacheHit1Kb | 150.0 ± 1.50 ns/op | 184.0 B | baseline | 75.00 | ≤ 2,000 ns/op | yes |");
    assertThat(text).contains("<!-- generated: run -->").contains("| command | `java -jar benchmarks.jar` |").contains("| results | 5 |");
    assertThat(text.indexOf("<!-- generated: ManagerOverheadBenchmark -->")).isLessThan(text.indexOf("Hand-written after"));
    byte[] head = Files.readAllBytes(png);
    assertThat(head[1]).isEqualTo((byte) 'P');
    assertThat(head[2]).isEqualTo((byte) 'N');
    assertThat(head[3]).isEqualTo((byte) 'G');

    ResultsReport.main(new String[] {json.toString(), md.toString(), png.toString(), "again"});
    String again = Files.readString(md);
    assertThat(again.split("<!-- generated: ManagerOverheadBenchmark -->", -1)).as("replaced, not appended twice").hasSize(2);
    assertThat(again.split("<!-- generated: run -->", -1)).hasSize(2);
  }

  @Test
  void should_compare_batching_on_with_the_same_benchmark_with_batching_off() throws Exception {
    Path json = dir.resolve("results.json");
    String on = "{\"benchmark\":\"io.modelmux.djl.BatchingBenchmark.clients8\",\"mode\":\"thrpt\",\"threads\":8,"
        + "\"params\":{\"batching\":\"on\"},\"primaryMetric\":{\"score\":28.0,\"scoreError\":1.0,\"scoreUnit\":\"ops/s\"}}";
    String off = on.replace("\"on\"", "\"off\"").replace("28.0", "7.0");
    Files.writeString(json, "[" + off + "," + on + "]");
    Path md = dir.resolve("RESULTS.md");

    ResultsReport.main(new String[] {json.toString(), md.toString(), dir.resolve("c.png").toString()});

    String text = Files.readString(md);
    assertThat(text).contains("| clients8 batching=on t=8 | 28.00 ± 1.00 ops/s | — | clients8 batching=off t=8 | 4.00 |"
        + " ≥ 3.00× batching=off | yes |");
    assertThat(text).contains("| clients8 batching=off t=8 | 7.00 ± 1.00 ops/s | — | — | — | ≥ 3.00× batching=off | — |");
  }

  @Test
  void should_compare_only_results_with_the_same_parameters() throws Exception {
    Path json = dir.resolve("results.json");
    Files.writeString(json, "[" + String.join(",",
        result("baseline", "avgt", 2, 0, "\"models\":\"10\""),
        result("baseline", "avgt", 4, 0, "\"models\":\"1000\""),
        result("cacheHit1Kb", "avgt", 8, 0, "\"models\":\"1000\"")) + "]");
    Path md = dir.resolve("RESULTS.md");

    ResultsReport.main(new String[] {json.toString(), md.toString(), dir.resolve("c.png").toString()});

    assertThat(Files.readString(md)).contains("| cacheHit1Kb models=1000 | 8.00 ± 1.50 ns/op | 0.00 B | baseline models=1000 | 2.00 |");
  }
  @Test
  void should_hold_a_sampled_time_to_its_goal_at_p50_rather_than_its_mean() throws Exception {
    Path json = dir.resolve("results.json");
    String baseline = "{\"benchmark\":\"io.modelmux.benchmarks.GatewayBenchmark.baseline\",\"mode\":\"sample\",\"threads\":1,"
        + "\"params\":{},\"primaryMetric\":{\"score\":0.36,\"scoreError\":0.01,\"scoreUnit\":\"ms/op\","
        + "\"scorePercentiles\":{\"50.0\":0.336,\"99.0\":0.92}}}";
    String gateway = baseline.replace(".baseline", ".gateway").replace("0.36,", "2.0,").replace("0.336", "0.6");
    Files.writeString(json, "[" + baseline + "," + gateway + "]");
    Path md = dir.resolve("RESULTS.md");

    ResultsReport.main(new String[] {json.toString(), md.toString(), dir.resolve("c.png").toString()});

    // mean 2.0 is far over 0.36 + 0.3, but the goal is on p50: 0.6 against 0.336 + 0.3
    assertThat(Files.readString(md)).contains("| gateway (sample) | 2.00 ± 0.0100 ms/op (p50 0.600, p99 0.920); p50 0.600 |")
        .contains("| baseline | 1.79 | ≤ baseline + 0.300 ms/op at p50 | yes |");
  }
}
