package io.modelmux.examples;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The command line against misbehaving servers on 127.0.0.1, as a user meets them: one printable
 * {@code error:} line and exit 1, within the configured time.
 */
class HostileServerCliTest {
  @TempDir static Path dir;
  static HttpServer server;
  static HttpServer elsewhere;
  static final AtomicInteger elsewhereRequests = new AtomicInteger();
  static final AtomicInteger stalledRequests = new AtomicInteger();
  static final CountDownLatch release = new CountDownLatch(1);
  static Path config;

  @BeforeAll
  static void start() throws Exception {
    elsewhere = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    elsewhere.createContext("/", ex -> {
      elsewhereRequests.incrementAndGet();
      ex.sendResponseHeaders(200, -1);
      ex.close();
    });
    elsewhere.start();
    server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    server.setExecutor(java.util.concurrent.Executors.newCachedThreadPool());
    server.createContext("/loud/v1/chat/completions", ex -> {
      ex.getRequestBody().readAllBytes();
      byte[] body = "boom\u001b[2J\u001b[31m\u0007\b\nsecond line".getBytes(StandardCharsets.UTF_8);
      ex.sendResponseHeaders(500, body.length);
      try (OutputStream out = ex.getResponseBody()) {
        out.write(body);
      }
    });
    server.createContext("/moved/v1/chat/completions", ex -> {
      ex.getRequestBody().readAllBytes();
      ex.getResponseHeaders().add("Location", "http://127.0.0.1:" + elsewhere.getAddress().getPort() + "/v1/chat/completions");
      ex.sendResponseHeaders(307, -1);
      ex.close();
    });
    server.createContext("/stalled/v1/chat/completions", ex -> {
      stalledRequests.incrementAndGet();
      ex.getRequestBody().readAllBytes();
      ex.getResponseHeaders().add("Content-Type", "application/json");
      ex.sendResponseHeaders(200, 1000);
      OutputStream out = ex.getResponseBody();
      out.write("{\"choices\":[".getBytes(StandardCharsets.UTF_8));
      out.flush();
      try {
        release.await(30, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      try {
        ex.close();
      } catch (RuntimeException e) {
        // the client is gone
      }
    });
    server.start();
    String root = "http://127.0.0.1:" + server.getAddress().getPort();
    config = dir.resolve("hostile.yaml");
    Files.writeString(
        config,
        "models:\n"
            + "  - {id: loud, type: openai, base_url: " + root + "/loud/v1, api_key: sk-cli-test-0123456789}\n"
            + "  - {id: moved, type: openai, base_url: " + root + "/moved/v1, api_key: sk-cli-test-0123456789}\n"
            + "  - {id: stalled, type: openai, base_url: " + root + "/stalled/v1, total_timeout: 2s,"
            + " retry: {max_attempts: 2, backoff: 10ms}}\n");
  }

  @AfterAll
  static void stop() {
    release.countDown();
    server.stop(0);
    elsewhere.stop(0);
  }

  private static void assertOneErrorLine(ModelMuxCliTest.Result r, String type) {
    assertThat(r.exit()).isEqualTo(1);
    assertThat(r.out()).isEmpty();
    assertThat(r.err()).startsWith("error: " + type + ": ").endsWith(System.lineSeparator());
    String line = r.err().substring(0, r.err().length() - System.lineSeparator().length());
    assertThat(line.chars().filter(c -> c < 0x20 || c == 0x7F)).isEmpty();
    assertThat(line).doesNotContain("sk-cli-test-0123456789");
  }

  @Test
  void should_print_a_body_with_terminal_control_characters_on_one_escaped_line() {
    ModelMuxCliTest.Result r = ModelMuxCliTest.run("run", "--config", config.toString(), "--model", "loud", "--prompt", "Hi");

    assertOneErrorLine(r, "BackendException");
    assertThat(r.err()).contains("'boom\\u001b[2J\\u001b[31m\\u0007\\u0008\\nsecond line'");
  }

  @Test
  void should_refuse_a_redirect_and_name_where_it_went() {
    ModelMuxCliTest.Result r = ModelMuxCliTest.run("run", "--config", config.toString(), "--model", "moved", "--prompt", "Hi", "--stream");

    assertOneErrorLine(r, "BackendException");
    assertThat(r.err()).contains("HTTP 307").contains("/v1/chat/completions'").contains("not followed");
    assertThat(elsewhereRequests.get()).isZero();
  }

  @Test
  void should_give_up_on_a_stalled_body_within_total_timeout_on_each_attempt() {
    int before = stalledRequests.get();
    long start = System.nanoTime();
    ModelMuxCliTest.Result r = ModelMuxCliTest.run("run", "--config", config.toString(), "--model", "stalled", "--prompt", "Hi");
    long millis = (System.nanoTime() - start) / 1_000_000;

    assertOneErrorLine(r, "BackendTimeoutException");
    assertThat(r.err()).contains("total_timeout (2000 ms)");
    assertThat(stalledRequests.get() - before).as("a timeout is retried: max_attempts 2").isEqualTo(2);
    assertThat(millis).as("two attempts of 2 s each, and the JVM's start").isLessThan(8000);
  }

  @Test
  void should_give_up_at_the_timeout_asked_for_with_one_error_line() {
    long start = System.nanoTime();
    ModelMuxCliTest.Result r = ModelMuxCliTest.run(
        "run", "--config", config.toString(), "--model", "stalled", "--prompt", "Hi", "--timeout", "500ms");
    long millis = (System.nanoTime() - start) / 1_000_000;

    assertOneErrorLine(r, "DeadlineExceededException");
    assertThat(millis).as("half a second and the JVM's start, not two attempts of total_timeout").isLessThan(3000);
  }

  @Test
  void should_refuse_a_timeout_that_is_not_a_duration_as_a_usage_error() {
    ModelMuxCliTest.Result r = ModelMuxCliTest.run("run", "--config", config.toString(), "--prompt", "Hi", "--timeout", "soon");

    assertThat(r.exit()).isEqualTo(2);
    assertThat(r.out()).isEmpty();
    assertThat(r.err()).contains("--timeout").contains("500ms, 30s or 2m");
  }

  @Test
  void should_keep_a_huge_config_value_to_one_short_line() throws IOException {
    Path huge = dir.resolve("huge.yaml");
    Files.writeString(huge, "default_model: " + "m".repeat(1_000_000) + "\nmodels:\n  - {id: loud, type: openai, base_url: http://127.0.0.1:1/v1}\n");

    ModelMuxCliTest.Result r = ModelMuxCliTest.run("run", "--config", huge.toString(), "--prompt", "Hi");

    assertThat(r.exit()).isEqualTo(2);
    assertThat(r.err()).startsWith("error: ConfigException: ").hasSizeLessThan(700);
  }

  @Test
  void should_point_at_a_misspelt_type_where_it_is_written() throws IOException {
    Path typo = dir.resolve("typo.yaml");
    Files.writeString(typo, "models:\n  - id: remote\n    type: opnai\n    base_url: http://127.0.0.1:1/v1\n");

    ModelMuxCliTest.Result r = ModelMuxCliTest.run("run", "--config", typo.toString(), "--prompt", "Hi");

    assertThat(r.exit()).isEqualTo(2);
    assertThat(r.err()).startsWith("error: UnknownModelTypeException: " + typo + ":3:11: models[0].type: ").contains("Did you mean 'openai'?");
  }
}
