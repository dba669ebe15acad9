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

/** The one-request command line with a {@code type: openai} model on a local server. */
class RemoteModelCliTest {
  @TempDir static Path dir;
  static HttpServer server;
  static Path config;

  @BeforeAll
  static void start() throws Exception {
    server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    server.createContext(
        "/v1/chat/completions",
        ex -> {
          String body = new String(ex.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
          byte[] answer;
          if (body.contains("\"stream\":true")) {
            ex.getResponseHeaders().add("Content-Type", "text/event-stream");
            answer =
                ("data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Good \"}}]}\n\n"
                        + "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"morrow\"},\"finish_reason\":\"stop\"}]}\n\n"
                        + "data: [DONE]\n\n")
                    .getBytes(StandardCharsets.UTF_8);
          } else {
            ex.getResponseHeaders().add("Content-Type", "application/json");
            answer =
                "{\"model\":\"m\",\"choices\":[{\"index\":0,\"message\":{\"content\":\"Good morrow\"},\"finish_reason\":\"stop\"}]}"
                    .getBytes(StandardCharsets.UTF_8);
          }
          ex.sendResponseHeaders(200, answer.length);
          try (OutputStream out = ex.getResponseBody()) {
            out.write(answer);
          }
        });
    server.start();
    config = dir.resolve("remote.yaml");
    Files.writeString(
        config,
        "models:\n  - id: remote\n    type: openai\n    base_url: http://127.0.0.1:" + server.getAddress().getPort() + "/v1\n");
  }

  @AfterAll
  static void stop() {
    server.stop(0);
  }

  @Test
  void should_serve_one_request_from_an_openai_compatible_server() {
    ModelMuxCliTest.Result r = ModelMuxCliTest.run("run", "--config", config.toString(), "--model", "remote", "--prompt", "Hi");

    assertThat(r.exit()).as(r.err()).isZero();
    assertThat(r.out()).isEqualTo("Good morrow" + System.lineSeparator());
  }

  @Test
  void should_stream_from_an_openai_compatible_server() {
    ModelMuxCliTest.Result r = ModelMuxCliTest.run("run", "--config", config.toString(), "--model", "remote", "--prompt", "Hi", "--stream");

    assertThat(r.exit()).as(r.err()).isZero();
    assertThat(r.out()).isEqualTo("Good morrow" + System.lineSeparator());
  }
}
