package io.modelmux.examples;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The one-request command line: its output and exit codes are what scripts rely on. */
class ModelMuxCliTest {
  @TempDir static Path dir;
  static Path config;

  @BeforeAll
  static void writeConfig() throws Exception {
    config = dir.resolve("models.yaml");
    Files.writeString(
        config,
        "default_model: tiny\n"
            + "models:\n"
            + "  - id: tiny\n"
            + "    type: djl\n"
            + "    path: classpath:/models/tiny-lm\n"
            + "    device: cpu\n");
  }

  /** What one run printed and returned. */
  record Result(int exit, String out, String err) {}

  static Result run(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int exit = ModelMuxCli.execute(args, new PrintWriter(out, true), new PrintWriter(err, true));
    return new Result(exit, out.toString(), err.toString());
  }

  @Test
  void should_print_only_the_generated_text_on_stdout_and_exit_0() {
    Result r = run("run", "--config", config.toString(), "--prompt", "ROMEO:", "--max-tokens", "20", "--temperature", "0");

    assertThat(r.exit()).isEqualTo(0);
    assertThat(r.out()).endsWith("\n").hasSizeBetween(2, 100);
    assertThat(r.err()).contains("[tiny@latest, LENGTH, 20 tokens,");
  }

  @Test
  void should_stream_the_same_text_as_it_generates() {
    Result plain = run("run", "--config", config.toString(), "--prompt", "JULIET:", "--max-tokens", "30", "--seed", "3");
    Result streamed =
        run("run", "--config", config.toString(), "--prompt", "JULIET:", "--max-tokens", "30", "--seed", "3", "--stream");

    assertThat(streamed.exit()).isZero();
    assertThat(streamed.out()).isEqualTo(plain.out());
  }

  @Test
  void should_print_one_error_line_and_exit_1_when_the_request_fails() {
    Result r = run("run", "--config", config.toString(), "--model", "tiny-lmm", "--prompt", "x");

    assertThat(r.exit()).isEqualTo(1);
    assertThat(r.out()).isEmpty();
    assertThat(r.err().strip().lines()).hasSize(1);
    assertThat(r.err()).startsWith("error: UnknownModelException: unknown model 'tiny-lmm'; did you mean 'tiny'?");
  }

  @Test
  void should_exit_2_on_a_usage_error() {
    Result missing = run("run", "--config", config.toString());
    Result badNumber = run("run", "--config", config.toString(), "--prompt", "x", "--max-tokens", "many");
    Result badValue = run("run", "--config", config.toString(), "--prompt", "x", "--max-tokens", "0");

    assertThat(missing.exit()).isEqualTo(2);
    assertThat(missing.err()).contains("--prompt");
    assertThat(badNumber.exit()).isEqualTo(2);
    assertThat(badValue.exit()).isEqualTo(2);
    assertThat(badValue.err()).contains("maxTokens must be at least 1");
  }

  @Test
  void should_exit_2_on_a_config_error_with_its_location() throws Exception {
    Path broken = dir.resolve("broken.yaml");
    Files.writeString(broken, "models:\n  - id: tiny\n    type: djl\n    pathh: x\n");
    Result r = run("run", "--config", broken.toString(), "--prompt", "x");
    Result absent = run("run", "--config", dir.resolve("absent.yaml").toString(), "--prompt", "x");

    assertThat(r.exit()).isEqualTo(2);
    assertThat(r.err()).startsWith("error: ConfigException: " + broken + ":4:").contains("did you mean 'path'?");
    assertThat(absent.exit()).isEqualTo(2);
    assertThat(absent.err()).contains("absent.yaml");
  }
}
