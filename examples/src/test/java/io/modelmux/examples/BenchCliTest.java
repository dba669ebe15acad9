package io.modelmux.examples;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpServer;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code modelmux.jar bench}: the built-in tiny LM (loaded for the round) and a priced model on
 * an OpenAI-compatible server on 127.0.0.1, compared in a table on stdout and a round of JSON
 * Lines in the file.
 */
class BenchCliTest {
  @TempDir static Path dir;
  static HttpServer server;
  static Path config;

  @BeforeAll
  static void start() throws Exception {
    server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    server.createContext("/v1/chat/completions", ex -> {
      String body = new String(ex.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
      byte[] answer;
      if (body.contains("\"stream\":true")) {
        ex.getResponseHeaders().add("Content-Type", "text/event-stream");
        answer = ("data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Good \"}}]}\n\n"
            + "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"morrow\"},\"finish_reason\":\"stop\"}]}\n\n"
            + "data: {\"choices\":[],\"usage\":{\"prompt_tokens\":9,\"completion_tokens\":2,\"total_tokens\":11}}\n\n"
            + "data: [DONE]\n\n").getBytes(StandardCharsets.UTF_8);
      } else {
        ex.getResponseHeaders().add("Content-Type", "application/json");
        answer = ("{\"choices\":[{\"index\":0,\"message\":{\"content\":\"Good morrow\"},\"finish_reason\":\"stop\"}],"
            + "\"usage\":{\"prompt_tokens\":9,\"completion_tokens\":2,\"total_tokens\":11}}").getBytes(StandardCharsets.UTF_8);
      }
      ex.sendResponseHeaders(200, answer.length);
      try (OutputStream out = ex.getResponseBody()) {
        out.write(answer);
      }
    });
    server.start();
    config = dir.resolve("bench.yaml");
    Files.writeString(config,
        "models:\n"
            + "  - {id: tiny-lm, type: djl, path: \"classpath:/models/tiny-lm\"}\n"
            + "  - id: remote\n    type: openai\n    base_url: http://127.0.0.1:" + server.getAddress().getPort() + "/v1\n"
            + "    price: {input: 1.0, output: 2.0}\n");
  }

  @AfterAll
  static void stop() {
    server.stop(0);
  }

  @Test
  void should_print_the_comparison_and_append_json_lines() throws Exception {
    Path prompts = dir.resolve("prompts.txt");
    Files.writeString(prompts, "ROMEO:\n\nJULIET:\n");
    Path out = dir.resolve("round.jsonl");

    ModelMuxCliTest.Result r = ModelMuxCliTest.run(
        "bench", "--config", config.toString(), "--prompts", prompts.toString(), "--out", out.toString(), "--max-tokens", "8");

    assertThat(r.exit()).as(r.err()).isZero();
    List<String> table = r.out().lines().toList();
    assertThat(table.get(0)).startsWith("model").contains("p50 ms").contains("ttft ms").contains("tok/s").contains("cost");
    assertThat(table).anySatisfy(l -> assertThat(l).startsWith("tiny-lm@latest").contains("djl"));
    assertThat(table).anySatisfy(l -> assertThat(l).startsWith("remote@latest").contains("openai").contains("0.000026"));
    assertThat(table).contains("cheapest: remote@latest").anySatisfy(l -> assertThat(l).startsWith("recommendation: use "));
    assertThat(r.err()).contains("appended to " + out);

    List<String> lines = Files.readAllLines(out);
    assertThat(lines).hasSize(3);
    ObjectMapper json = new ObjectMapper();
    JsonNode tiny = json.readTree(lines.get(0));
    assertThat(tiny.path("model").asText()).isEqualTo("tiny-lm");
    assertThat(tiny.path("prompts").asInt()).isEqualTo(2);
    assertThat(tiny.path("errors").asInt()).isZero();
    assertThat(tiny.path("tokens_per_second").asDouble()).isPositive();
    assertThat(json.readTree(lines.get(1)).path("cost").asDouble()).isEqualTo(2 * (9 * 1.0 + 2 * 2.0) / 1e6);
    assertThat(json.readTree(lines.get(2)).path("kind").asText()).isEqualTo("summary");
  }

  @Test
  void should_exit_2_on_a_missing_prompts_file_and_1_when_no_model_can_be_benchmarked() throws Exception {
    ModelMuxCliTest.Result missing = ModelMuxCliTest.run(
        "bench", "--config", config.toString(), "--prompts", dir.resolve("nowhere.txt").toString());
    assertThat(missing.exit()).isEqualTo(2);
    assertThat(missing.err()).startsWith("error: invalid option: --prompts");

    Path onlyLocal = dir.resolve("local.yaml");
    Files.writeString(onlyLocal, "models:\n  - {id: tiny-lm, type: djl, path: \"classpath:/models/tiny-lm\"}\n");
    ModelMuxCliTest.Result skipped = ModelMuxCliTest.run(
        "bench", "--config", onlyLocal.toString(), "--skip-unloaded", "--out", dir.resolve("none.jsonl").toString());
    assertThat(skipped.exit()).isEqualTo(1);
    assertThat(skipped.out()).contains("skipped tiny-lm@latest: a local model that is not loaded");
    assertThat(skipped.err()).contains("error: BenchmarkException: no model could be benchmarked");
  }
}
