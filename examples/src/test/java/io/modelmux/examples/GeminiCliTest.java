package io.modelmux.examples;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The one-request command line with a {@code type: gemini} model on a local server. */
class GeminiCliTest {
  @TempDir static Path dir;
  static HttpServer server;
  static Path config;
  static volatile String keySeen;

  static final String ANSWER =
      "{\"candidates\":[{\"content\":{\"role\":\"model\",\"parts\":[{\"text\":\"Fair morrow\"}]},\"finishReason\":\"STOP\"}],"
          + "\"usageMetadata\":{\"promptTokenCount\":2,\"candidatesTokenCount\":2},\"modelVersion\":\"gemini-test\"}";

  /** Two chunks separated by CRLF, no [DONE]: the stream ends when the connection closes. */
  static final String STREAM =
      "data: {\"candidates\":[{\"content\":{\"role\":\"model\",\"parts\":[{\"text\":\"Fair \"}]}}]}\r\n\r\n"
          + "data: {\"candidates\":[{\"content\":{\"role\":\"model\",\"parts\":[{\"text\":\"morrow\"}]},"
          + "\"finishReason\":\"STOP\"}],\"usageMetadata\":{\"promptTokenCount\":2,\"candidatesTokenCount\":2}}\r\n\r\n";

  @BeforeAll
  static void start() throws Exception {
    server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    server.createContext(
        "/v1beta/models/",
        ex -> {
          keySeen = ex.getRequestHeaders().getFirst("x-goog-api-key");
          ex.getRequestBody().readAllBytes();
          boolean stream = ex.getRequestURI().getPath().endsWith(":streamGenerateContent");
          byte[] body = (stream ? STREAM : ANSWER).getBytes(StandardCharsets.UTF_8);
          ex.getResponseHeaders().add("Content-Type", stream ? "text/event-stream" : "application/json");
          ex.sendResponseHeaders(200, body.length);
          try (OutputStream out = ex.getResponseBody()) {
            out.write(body);
          }
        });
    server.start();
    config = dir.resolve("gemini.yaml");
    Files.writeString(
        config,
        "models:\n  - id: gem\n    type: gemini\n    model: gemini-2.0-flash\n    api_key: test-key\n"
            + "    base_url: http://127.0.0.1:" + server.getAddress().getPort() + "\n");
  }

  @AfterAll
  static void stop() {
    server.stop(0);
  }

  @Test
  void should_serve_one_request_from_gemini() {
    ModelMuxCliTest.Result r = ModelMuxCliTest.run("run", "--config", config.toString(), "--model", "gem", "--prompt", "Hi");

    assertThat(r.exit()).as(r.err()).isZero();
    assertThat(r.out()).isEqualTo("Fair morrow" + System.lineSeparator());
    assertThat(keySeen).isEqualTo("test-key");
  }

  @Test
  void should_stream_from_gemini() {
    ModelMuxCliTest.Result r = ModelMuxCliTest.run("run", "--config", config.toString(), "--model", "gem", "--prompt", "Hi", "--stream");

    assertThat(r.exit()).as(r.err()).isZero();
    assertThat(r.out()).isEqualTo("Fair morrow" + System.lineSeparator());
  }
}
