package io.modelmux.examples;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * {@code modelmux serve} as users run it: its own process on the sample models.yaml with the
 * real tiny LM, called over HTTP, then stopped with SIGTERM (what Ctrl-C sends as SIGINT) while
 * a stream is in flight: the stream is finished, then the process exits.
 */
class ServeCliIT {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String KEY = "sk-serve-it-4d3c2b1a";
  private Process process;
  private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

  @AfterEach
  void kill() {
    if (process != null) {
      process.destroyForcibly();
    }
  }

  @Test
  void should_serve_the_sample_models_and_finish_a_stream_in_flight_when_stopped() throws Exception {
    ProcessBuilder pb = new ProcessBuilder(
        Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-cp", System.getProperty("java.class.path"),
        ModelMuxCli.class.getName(), "serve", "--config", "models.yaml", "--port", "0",
        "--api-key-env", "MODELMUX_IT_KEYS");
    pb.environment().put("MODELMUX_IT_KEYS", "sk-other, " + KEY);
    pb.redirectError(ProcessBuilder.Redirect.PIPE);
    process = pb.start();
    List<String> stderr = new ArrayList<>();
    Thread errors = new Thread(() -> {
      try (BufferedReader r = new BufferedReader(new InputStreamReader(process.getErrorStream(), StandardCharsets.UTF_8))) {
        for (String line; (line = r.readLine()) != null; ) {
          synchronized (stderr) {
            stderr.add(line);
          }
        }
      } catch (java.io.IOException e) {
        // the process ended
      }
    });
    errors.start();
    BufferedReader out = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
    String base = out.readLine();
    assertThat(base).as("stderr: %s", stderr).matches("http://127\\.0\\.0\\.1:\\d+/v1");

    HttpResponse<String> models = http.send(request(base + "/models").GET().build(), HttpResponse.BodyHandlers.ofString());
    assertThat(JSON.readTree(models.body()).path("data").findValuesAsText("id"))
        .contains("tiny-lm", "tiny-lm@1", "tiny-lm@2", "llama-8b", "prod", "chat", "chat-canary");
    assertThat(http.send(HttpRequest.newBuilder(URI.create(base + "/models")).GET().build(),
        HttpResponse.BodyHandlers.ofString()).statusCode()).isEqualTo(401);

    HttpResponse<String> whole = http.send(request(base + "/chat/completions").POST(HttpRequest.BodyPublishers.ofString(
        "{\"model\":\"prod\",\"messages\":[{\"role\":\"user\",\"content\":\"ROMEO:\"}],\"max_tokens\":8,\"temperature\":0}"))
        .build(), HttpResponse.BodyHandlers.ofString());
    assertThat(whole.statusCode()).as(whole.body()).isEqualTo(200);
    JsonNode answer = JSON.readTree(whole.body());
    assertThat(answer.path("model").asText()).isEqualTo("tiny-lm@1");
    assertThat(answer.path("choices").get(0).path("message").path("content").asText()).isNotEmpty();

    HttpResponse<Stream<String>> streamed = http.send(request(base + "/chat/completions").POST(HttpRequest.BodyPublishers.ofString(
        "{\"model\":\"tiny-lm@2\",\"messages\":[{\"role\":\"user\",\"content\":\"JULIET:\"}],\"max_tokens\":120,"
            + "\"temperature\":0,\"stream\":true}")).build(), HttpResponse.BodyHandlers.ofLines());
    assertThat(streamed.statusCode()).isEqualTo(200);
    Iterator<String> lines = streamed.body().iterator();
    assertThat(lines.next()).startsWith("data: {");

    // SIGTERM, as Ctrl-C's SIGINT: the shutdown hook drains. Through the handle: Process.destroy()
    // also closes this side of the pipes, and what the process says while it stops would be lost.
    process.toHandle().destroy();

    List<String> rest = new ArrayList<>();
    lines.forEachRemaining(rest::add);
    assertThat(rest).contains("data: [DONE]");
    assertThat(rest.stream().filter(l -> l.contains("\"finish_reason\":\"length\"")).count()).isEqualTo(1);
    assertThat(process.waitFor(60, TimeUnit.SECONDS)).isTrue();
    errors.join(10_000);
    assertThat(process.exitValue()).as("killed by SIGTERM after its shutdown hook").isEqualTo(143);
    synchronized (stderr) {
      assertThat(String.join("\n", stderr))
          .contains("stopping: draining requests in flight (at most 30 s)")
          .contains("ModelMux gateway stopped after")
          .doesNotContain(KEY).doesNotContain("sk-other");
    }
  }

  private static HttpRequest.Builder request(String uri) {
    return HttpRequest.newBuilder(URI.create(uri)).timeout(Duration.ofSeconds(60))
        .header("Authorization", "Bearer " + KEY).header("Content-Type", "application/json");
  }
}
