package io.modelmux.examples;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The shaded {@code modelmux.jar} merges the {@code META-INF/services} files of the adapters and of
 * the examples, so that it finds every type: the example's own {@code faq} and the built-in ones.
 * Runs after {@code package}, in {@code verify}.
 */
class ModelMuxJarServicesIT {
  @Test
  void should_find_the_faq_type_beside_djl_openai_and_gemini_in_modelmux_jar(@TempDir Path dir) throws Exception {
    Path jar = Path.of("target/modelmux.jar").toAbsolutePath();
    assertThat(jar).as("built by package").isRegularFile();
    Path faq = Files.writeString(dir.resolve("faq.txt"), "refund money back => Refunds take 5 working days.\n");
    Path yaml =
        Files.writeString(
            dir.resolve("models.yaml"),
            """
            models:
              - {id: help, type: faq, path: "%s"}
              - {id: tiny-lm, type: djl, path: "classpath:/models/tiny-lm"}
              - {id: tiny-gguf, type: llamacpp, path: "classpath:/models/tiny-lm.gguf", parallel: 1}
              - {id: llama-8b, type: openai, base_url: "http://127.0.0.1:9/v1", model: llama}
              - {id: gemini-flash, type: gemini, model: gemini-2.0-flash, api_key: never-sent}
            """
                .formatted(faq));
    Path out = dir.resolve("stdout.txt");
    Path err = dir.resolve("stderr.txt");
    ProcessBuilder builder =
        new ProcessBuilder(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-jar", jar.toString(),
                "run", "--config", yaml.toString(), "--model", "help", "--prompt", "Can I get my money back?")
            .redirectOutput(out.toFile())
            .redirectError(err.toFile());

    Process process = builder.start();
    process.getOutputStream().close();
    boolean ended = process.waitFor(2, TimeUnit.MINUTES);
    if (!ended) {
      process.destroyForcibly();
    }

    String stdout = Files.readString(out, StandardCharsets.UTF_8);
    String stderr = Files.readString(err, StandardCharsets.UTF_8);
    assertThat(ended).as("ended within 2 minutes; stderr: %s", stderr).isTrue();
    assertThat(process.exitValue()).as("exit code; stderr: %s", stderr).isZero();
    assertThat(stdout).isEqualTo("Refunds take 5 working days." + System.lineSeparator());
    assertThat(stderr).contains("[help@latest, STOP, 5 tokens");
  }

  /** The shaded jar starts a llama.cpp runner from itself: the GGUF model answers, greedy, and only the answer is on stdout. */
  @Test
  void should_serve_the_tiny_gguf_through_a_runner_started_from_modelmux_jar(@TempDir Path dir) throws Exception {
    Path jar = Path.of("target/modelmux.jar").toAbsolutePath();
    Path yaml = Files.writeString(dir.resolve("models.yaml"),
        "models:\n  - {id: tiny-gguf, type: llamacpp, path: \"classpath:/models/tiny-lm.gguf\", parallel: 1, device: cpu}\n");
    Path out = dir.resolve("stdout.txt");
    Path err = dir.resolve("stderr.txt");
    Process process = new ProcessBuilder(
            Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-jar", jar.toString(),
            "run", "--config", yaml.toString(), "--model", "tiny-gguf", "--prompt", "ROMEO:\n", "--temperature", "0",
            "--max-tokens", "24")
        .redirectOutput(out.toFile())
        .redirectError(err.toFile())
        .start();
    process.getOutputStream().close();
    boolean ended = process.waitFor(2, TimeUnit.MINUTES);
    if (!ended) {
      process.destroyForcibly();
    }
    String stderr = Files.readString(err, StandardCharsets.UTF_8);
    assertThat(ended).as("ended within 2 minutes; stderr: %s", stderr).isTrue();
    assertThat(process.exitValue()).as("exit code; stderr: %s", stderr).isZero();
    assertThat(Files.readString(out, StandardCharsets.UTF_8)).isEqualTo("And then the courter, an" + System.lineSeparator());
    assertThat(stderr).doesNotContain("llama_model_loader").doesNotContain("print_info");
  }
}
