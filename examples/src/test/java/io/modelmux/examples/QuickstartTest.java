package io.modelmux.examples;

import static org.assertj.core.api.Assertions.assertThat;

import io.modelmux.Attempt;
import io.modelmux.ModelRef;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** The quickstart's tour runs offline, does each thing it shows, and prints what happened. */
class QuickstartTest {
  @Test
  void should_load_evict_stream_switch_split_fall_back_and_tabulate() {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();

    Quickstart.Report report = Quickstart.run(new PrintStream(bytes, true, StandardCharsets.UTF_8));

    String out = bytes.toString(StandardCharsets.UTF_8);
    // loading: a progress line that ends with the time and the memory found
    assertThat(out).containsPattern("tiny-lm@1 +loading \\.* loaded in \\d+ ms: \\d+\\.\\d MB (measured|counted)")
        .containsPattern("tiny-lm@2 +loading \\.* loaded in \\d+ ms: \\d+\\.\\d MB (measured|counted)")
        .containsPattern("tiny-gguf@1 +loading \\.* loaded in \\d+ ms: \\d+\\.\\d MB (measured|counted)")
        .containsPattern("all 3 in pool host: \\d+\\.\\d MB of its \\d+\\.\\d MB");
    // the GGUF copy of the weights answers as the DJL one does
    assertThat(report.greedy()).containsOnlyKeys("tiny-lm@1", "tiny-gguf@1");
    assertThat(report.greedy().get("tiny-gguf@1")).hasSize(32).isEqualTo(report.greedy().get("tiny-lm@1"));
    assertThat(out).contains("    identical\n");

    // a budget that holds one model: alternating requests evict, each eviction printed
    assertThat(report.evictions()).isPositive();
    assertThat(Pattern.compile("evicted: \\d+\\.\\d MB freed").matcher(out).results().count()).isEqualTo(report.evictions());

    // streaming: the text printed is the text streamed
    assertThat(report.streamed()).isNotBlank();
    assertThat(out).contains("JULIET:\n" + report.streamed());

    // the alias switch under load: both versions answered, nothing failed
    assertThat(report.aliasFailures()).isZero();
    assertThat(report.servedThroughAlias()).containsOnlyKeys("tiny-lm@1", "tiny-lm@2");
    assertThat(report.servedThroughAlias().values()).allSatisfy(n -> assertThat(n).isGreaterThanOrEqualTo(20));
    assertThat(out).containsPattern("failed +0\\n");

    // the weighted split: every request answered, by both models
    assertThat(report.split()).containsOnlyKeys("tiny-lm@1", "tiny-lm@2");
    assertThat(report.split().values().stream().mapToInt(Integer::intValue).sum()).isEqualTo(100);
    assertThat(report.split().get("tiny-lm@1")).isGreaterThan(report.split().get("tiny-lm@2"));

    // the fallback: the unreachable model refused, the local one answered, said in one line each
    assertThat(report.remoteFailure()).startsWith("BackendException: ").contains("connection refused");
    assertThat(report.fallback().model()).isEqualTo(ModelRef.parse("tiny-lm@1"));
    assertThat(report.fallback().attempts()).first().satisfies(a -> {
      assertThat(a.model()).isEqualTo(ModelRef.parse("llama-8b@latest"));
      assertThat(a.outcome()).isEqualTo(Attempt.Outcome.FAILED);
    });
    assertThat(out).containsPattern(
        "  llama-8b@latest failed (twice )?\\(BackendException, \\d+ ms: could not connect .*connection refused.*\\) -> served by tiny-lm@1 in \\d+ ms");

    // the table: a row per model of each manager, with every column filled
    assertThat(report.tableRows()).containsExactly(
        "main tiny-lm@1", "main tiny-lm@2", "main tiny-gguf@1", "main llama-8b@latest", "budget tiny-lm@1",
        "budget tiny-lm@2");
    String number = " +\\d+";
    String latency = " +\\d+(\\.\\d)? ms";
    assertThat(out)
        .containsPattern("main +tiny-lm@1 +LOADED +ACTIVE +\\d+\\.\\d MB \\w+" + number + " +0" + latency + latency + number
            + " +\\d\\.\\d{8} +1 +0\\n")
        .containsPattern("main +llama-8b@latest +(LOADED|REGISTERED) +(ACTIVE|COLD) +remote" + number + number + " +- +- +- +0\\.00000000" + number + " +0\\n")
        .containsPattern("budget +tiny-lm@2 +(LOADED|REGISTERED) +(ACTIVE|COLD) +\\d+\\.\\d MB \\w+" + number + " +0" + latency
            + latency + number + " +\\d\\.\\d{8}" + number + number + "\\n")
        .containsPattern("tour done in \\d+\\.\\d s");
  }
}
