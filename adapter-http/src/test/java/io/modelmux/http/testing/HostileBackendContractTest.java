package io.modelmux.http.testing;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowable;

import io.modelmux.BackendException;
import io.modelmux.BackendTimeoutException;
import io.modelmux.ConfigException;
import io.modelmux.GenerateRequest;
import io.modelmux.ModelMuxException;
import io.modelmux.spi.Completion;
import io.modelmux.spi.ModelAdapter;
import io.modelmux.spi.ModelSpec;
import io.modelmux.testing.RecordingSink;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * What every remote adapter must withstand from a misbehaving or hostile server, against real
 * servers on 127.0.0.1: redirects that would carry the key away, bodies that stall, keys with
 * whitespace or control characters, bodies that echo secrets, hold terminal control characters,
 * are compressed or binary, or are very large; a server that refuses cleartext HTTP/2 upgrades;
 * connections that fail. Each remote adapter's tests extend it, as with {@code
 * ModelAdapterContractTest}.
 */
public abstract class HostileBackendContractTest {
  /** The key the adapter is given; it must never appear in a message. */
  protected static final String KEY = "sk-hostile-test-0123456789abcdef";

  protected FakeServer server;
  private final List<ModelAdapter> adapters = new ArrayList<>();
  private final List<AutoCloseable> others = new ArrayList<>();

  /** Returns a spec of this adapter's type whose server is {@code root} (http://127.0.0.1:PORT), with {@link #KEY}. */
  protected abstract ModelSpec.Builder spec(String root);

  /** Creates the adapter, reading environment variables from {@code environment}. */
  protected abstract ModelAdapter create(ModelSpec spec, Map<String, String> environment);

  /** The path the non-streaming request is sent to. */
  protected abstract String generatePath();

  /** The path the streaming request is sent to. */
  protected abstract String streamPath();

  /** A complete, valid non-streaming answer whose text is {@code text}. */
  protected abstract byte[] answer(String text);

  /** One stream event adding {@code text}, without a finish reason. */
  protected abstract byte[] streamEvent(String text);

  /** What ends a stream well: a finish reason, and an end marker where the protocol has one. */
  protected abstract byte[] streamEnd();

  /** An error body in this protocol's shape with {@code message}. */
  protected abstract byte[] errorBody(int status, String message);

  /** Returns whether the request {@code ex} asks for a stream. */
  protected abstract boolean isStreamRequest(com.sun.net.httpserver.HttpExchange ex);

  /** The request header that carries the key. */
  protected abstract String keyHeader();

  /** The value of {@link #keyHeader()} for {@code key}. */
  protected abstract String keyHeaderValue(String key);

  @BeforeEach
  void startServer() throws IOException {
    server = new FakeServer();
  }

  @AfterEach
  void stopAll() throws Exception {
    adapters.forEach(ModelAdapter::close);
    for (AutoCloseable c : others) {
      c.close();
    }
    server.close();
  }

  protected ModelAdapter adapter(ModelSpec.Builder spec, Map<String, String> environment) {
    ModelAdapter a = create(spec.build(), environment);
    adapters.add(a);
    a.load();
    return a;
  }

  protected ModelAdapter adapter(ModelSpec.Builder spec) {
    return adapter(spec, Map.of());
  }

  protected ModelAdapter adapter() {
    return adapter(spec(server.root()));
  }

  /** Serves non-streaming requests with {@code whole} and streaming ones with {@code streamed}. */
  protected void serve(FakeServer.Answer whole, FakeServer.Answer streamed) {
    FakeServer.Answer answer = ex -> (isStreamRequest(ex) ? streamed : whole).answer(ex);
    server.on(generatePath(), answer);
    server.on(streamPath(), answer);
  }

  private static Completion stream(ModelAdapter a) {
    return a.stream(GenerateRequest.of("Hi"), new RecordingSink());
  }

  /** Asserts that {@code e}, its message, its string form and its printed stack trace hold no {@code secret}. */
  protected static void assertNoSecret(Throwable e, String secret) {
    StringWriter trace = new StringWriter();
    e.printStackTrace(new PrintWriter(trace));
    assertThat(trace.toString()).doesNotContain(secret);
    assertThat(String.valueOf(e.getMessage())).doesNotContain(secret);
  }

  /** Asserts that a message is one bounded, printable line. */
  protected static void assertPrintable(String message) {
    assertThat(message.chars().filter(c -> c < 0x20 || c == 0x7F || (c >= 0x80 && c < 0xA0))).isEmpty();
    assertThat(message.length()).isLessThan(1200);
  }

  // ---- 1. redirects ------------------------------------------------------------------------------

  @ParameterizedTest
  @ValueSource(ints = {301, 302, 303, 307, 308})
  void should_not_follow_a_redirect_to_another_origin_nor_send_it_the_key(int status) throws Exception {
    FakeServer elsewhere = new FakeServer();
    others.add(elsewhere);
    elsewhere.on(generatePath(), FakeServer.body(200, "application/json", answer("from elsewhere")));
    elsewhere.on(streamPath(), FakeServer.body(200, "application/json", answer("from elsewhere")));
    serve(FakeServer.redirect(status, elsewhere.root() + generatePath()), FakeServer.redirect(status, elsewhere.root() + streamPath()));
    ModelAdapter a = adapter(spec(server.root()).option("headers", Map.of("X-Tenant-Token", "tenant-secret-42")));

    Throwable generated = catchThrowable(() -> a.generate(GenerateRequest.of("Hi")));
    Throwable streamed = catchThrowable(() -> stream(a));

    for (Throwable e : List.of(generated, streamed)) {
      assertThat(e).isInstanceOfSatisfying(BackendException.class, b -> {
        assertThat(b.isRetryable()).isFalse();
        assertThat(b.statusCode()).hasValue(status);
      });
      assertThat(e.getMessage()).contains("HTTP " + status).contains(elsewhere.root()).contains("not followed");
      assertNoSecret(e, KEY);
    }
    assertThat(elsewhere.requests.get()).isZero();
    assertThat(server.requests.get()).isEqualTo(2);
    assertThat(server.methods).containsOnly("POST");
  }

  @Test
  void should_say_so_when_a_redirect_has_no_location() {
    server.on(generatePath(), ex -> ex.sendResponseHeaders(307, -1));

    assertThatThrownBy(() -> adapter().generate(GenerateRequest.of("Hi")))
        .isInstanceOf(BackendException.class)
        .hasMessageContaining("HTTP 307")
        .hasMessageContaining("without a Location");
  }

  // ---- 2. timeouts -------------------------------------------------------------------------------

  @Test
  void should_end_a_body_that_stalls_after_its_headers_within_total_timeout() {
    CountDownLatch release = new CountDownLatch(1);
    byte[] answer = answer("never finished");
    server.on(generatePath(), FakeServer.stallAfter(java.util.Arrays.copyOf(answer, answer.length / 2), 10_000_000, "application/json", release));
    ModelAdapter a = adapter(spec(server.root()).option("total_timeout", "1s"));

    long start = System.nanoTime();
    Throwable e = catchThrowable(() -> a.generate(GenerateRequest.of("Hi")));
    long millis = (System.nanoTime() - start) / 1_000_000;
    release.countDown();

    assertThat(e).isInstanceOfSatisfying(BackendTimeoutException.class, t -> {
      assertThat(t.timeout()).isEqualTo("total_timeout");
      assertThat(t.isRetryable()).isTrue();
    });
    assertThat(e.getMessage()).contains("total_timeout (1000 ms)");
    assertThat(millis).isBetween(900L, 3000L);
    FakeServer.awaitUntil(() -> server.clientWentAway); // the exchange was cancelled: the server's writes fail
  }

  @Test
  void should_end_a_body_that_goes_silent_within_idle_timeout() {
    CountDownLatch release = new CountDownLatch(1);
    server.on(generatePath(), FakeServer.stallAfter("{".getBytes(UTF_8), 10_000_000, "application/json", release));
    ModelAdapter a = adapter(spec(server.root()).option("idle_timeout", "500ms"));

    Throwable e = catchThrowable(() -> a.generate(GenerateRequest.of("Hi")));
    release.countDown();

    assertThat(e).isInstanceOfSatisfying(BackendTimeoutException.class, t -> assertThat(t.timeout()).isEqualTo("idle_timeout"));
    FakeServer.awaitUntil(() -> server.clientWentAway);
  }

  @Test
  void should_end_a_stream_that_never_ends_within_total_timeout_counted_from_the_send() {
    server.on(streamPath(), FakeServer.trickle(streamEvent("tick "), 100));
    ModelAdapter a = adapter(spec(server.root()).option("total_timeout", "1200ms").option("idle_timeout", "10s"));

    long start = System.nanoTime();
    Throwable e = catchThrowable(() -> stream(a));
    long millis = (System.nanoTime() - start) / 1_000_000;

    assertThat(e).isInstanceOfSatisfying(BackendTimeoutException.class, t -> {
      assertThat(t.timeout()).isEqualTo("total_timeout");
      assertThat(t.partialText()).startsWith("tick tick ");
    });
    assertThat(millis).isBetween(1100L, 3200L);
    FakeServer.awaitUntil(() -> server.clientWentAway);
  }

  @Test
  void should_not_wait_past_first_byte_timeout_for_a_stream_to_begin() {
    CountDownLatch release = new CountDownLatch(1);
    server.on(streamPath(), ex -> {
      try {
        release.await(30, java.util.concurrent.TimeUnit.SECONDS);
      } catch (InterruptedException ie) {
        Thread.currentThread().interrupt();
      }
    });
    ModelAdapter a = adapter(spec(server.root()).option("first_byte_timeout", "500ms"));

    Throwable e = catchThrowable(() -> stream(a));
    release.countDown();

    assertThat(e).isInstanceOfSatisfying(BackendTimeoutException.class, t -> assertThat(t.timeout()).isEqualTo("first_byte_timeout"));
  }

  @Test
  void should_end_a_stalled_body_at_the_request_deadline_well_before_total_timeout() {
    CountDownLatch release = new CountDownLatch(1);
    byte[] answer = answer("never finished");
    server.on(generatePath(), FakeServer.stallAfter(java.util.Arrays.copyOf(answer, answer.length / 2), 10_000_000, "application/json", release));
    ModelAdapter a = adapter(spec(server.root()).option("total_timeout", "30s"));

    long start = System.nanoTime();
    Throwable e = catchThrowable(() -> a.generate(GenerateRequest.builder().prompt("Hi").timeout(java.time.Duration.ofMillis(300)).build()));
    long millis = (System.nanoTime() - start) / 1_000_000;
    release.countDown();

    assertThat(e).isInstanceOf(io.modelmux.DeadlineExceededException.class).hasMessageContaining("passed its deadline");
    assertThat(millis).as("ended within 50 ms of the deadline, not at total_timeout").isBetween(250L, 350L);
    FakeServer.awaitUntil(() -> server.clientWentAway);
  }

  @Test
  void should_end_a_trickling_stream_at_the_request_deadline() {
    server.on(streamPath(), FakeServer.trickle(streamEvent("tick "), 50));
    ModelAdapter a = adapter(spec(server.root()).option("total_timeout", "30s"));

    long start = System.nanoTime();
    Throwable e = catchThrowable(() -> a.stream(
        GenerateRequest.builder().prompt("Hi").timeout(java.time.Duration.ofMillis(400)).build(), new io.modelmux.testing.RecordingSink()));
    long millis = (System.nanoTime() - start) / 1_000_000;

    assertThat(e).isInstanceOf(io.modelmux.DeadlineExceededException.class).hasMessageContaining("characters");
    assertThat(millis).isBetween(350L, 450L);
    FakeServer.awaitUntil(() -> server.clientWentAway);
  }

  @Test
  void should_not_wait_for_headers_past_the_request_deadline() {
    CountDownLatch release = new CountDownLatch(1);
    server.on(generatePath(), ex -> {
      try {
        release.await(30, java.util.concurrent.TimeUnit.SECONDS);
      } catch (InterruptedException ie) {
        Thread.currentThread().interrupt();
      }
    });
    ModelAdapter a = adapter(spec(server.root()));

    long start = System.nanoTime();
    Throwable e = catchThrowable(() -> a.generate(GenerateRequest.builder().prompt("Hi").timeout(java.time.Duration.ofMillis(300)).build()));
    long millis = (System.nanoTime() - start) / 1_000_000;
    release.countDown();

    assertThat(e).isInstanceOf(io.modelmux.DeadlineExceededException.class);
    assertThat(millis).isBetween(250L, 350L);
  }

  @Test
  void should_end_16_stalled_exchanges_together_within_total_timeout() throws Exception {
    CountDownLatch release = new CountDownLatch(1);
    byte[] answer = answer("never finished");
    server.on(generatePath(), FakeServer.stallAfter(java.util.Arrays.copyOf(answer, answer.length / 2), 10_000_000, "application/json", release));
    ModelAdapter a = adapter(spec(server.root()).option("total_timeout", "1s"));
    java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(16);
    try {
      long start = System.nanoTime();
      List<java.util.concurrent.Future<Throwable>> calls = new ArrayList<>();
      for (int i = 0; i < 16; i++) {
        calls.add(pool.submit(() -> catchThrowable(() -> a.generate(GenerateRequest.of("Hi")))));
      }
      for (java.util.concurrent.Future<Throwable> call : calls) {
        assertThat(call.get(10, java.util.concurrent.TimeUnit.SECONDS))
            .isInstanceOfSatisfying(BackendTimeoutException.class, t -> assertThat(t.timeout()).isEqualTo("total_timeout"));
      }
      assertThat((System.nanoTime() - start) / 1_000_000).isLessThan(4000);
    } finally {
      release.countDown();
      pool.shutdownNow();
    }
  }

  @Test
  void should_end_streams_in_flight_with_an_error_when_the_adapter_is_closed() throws Exception {
    server.on(streamPath(), FakeServer.trickle(streamEvent("tick "), 50));
    ModelAdapter a = adapter();
    java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(8);
    try {
      List<RecordingSink> sinks = new ArrayList<>();
      List<java.util.concurrent.Future<Throwable>> calls = new ArrayList<>();
      for (int i = 0; i < 8; i++) {
        RecordingSink sink = new RecordingSink();
        sinks.add(sink);
        calls.add(pool.submit(() -> catchThrowable(() -> a.stream(GenerateRequest.of("Hi"), sink))));
      }
      FakeServer.awaitUntil(() -> sinks.stream().allMatch(sink -> !sink.pieces.isEmpty()));

      a.close();

      for (java.util.concurrent.Future<Throwable> call : calls) {
        assertThat(call.get(10, java.util.concurrent.TimeUnit.SECONDS))
            .isInstanceOfSatisfying(BackendException.class, b -> assertThat(b.partialText()).startsWith("tick "));
      }
    } finally {
      pool.shutdownNow();
    }
  }

  // ---- 3. keys and headers -----------------------------------------------------------------------

  @Test
  void should_strip_a_key_read_from_the_environment_of_its_newline() {
    server.on(generatePath(), FakeServer.body(200, "application/json", answer("ok")));
    ModelSpec.Builder spec = spec(server.root()).option("api_key", "").option("api_key_env", "HOSTILE_TEST_KEY");
    ModelAdapter a = adapter(spec, Map.of("HOSTILE_TEST_KEY", "  " + KEY + "\n"));

    assertThat(a.generate(GenerateRequest.of("Hi")).text()).isEqualTo("ok");
    assertThat(server.headers.get(0).get(headerName(keyHeader()))).containsExactly(keyHeaderValue(KEY));
  }

  @ParameterizedTest
  @ValueSource(strings = {"sk-abc\ndef-0123456789", "sk-abc\u0007def-0123456789", "sk-abc def-0123456789", "sk-abc\u2011def-0123456789"})
  void should_refuse_a_key_that_cannot_go_in_a_header_naming_the_option_not_the_key(String key) {
    Map<String, String> env = Map.of("HOSTILE_TEST_KEY", key);
    ModelSpec fromEnv = spec(server.root()).option("api_key", "").option("api_key_env", "HOSTILE_TEST_KEY").build();
    ModelSpec fromOption = spec(server.root()).option("api_key", key).build();

    for (ModelSpec spec : List.of(fromEnv, fromOption)) {
      Throwable e = catchThrowable(() -> create(spec, env));
      assertThat(e).isInstanceOf(ConfigException.class).hasMessageContaining("cannot be sent in an HTTP header");
      assertThat(e.getMessage()).contains(spec == fromEnv ? "api_key_env" : "api_key").contains("position 7");
      assertNoSecret(e, key);
      assertNoSecret(e, "def-0123456789");
    }
  }

  // ---- 4. secrets in messages ---------------------------------------------------------------------

  @ParameterizedTest
  @ValueSource(ints = {400, 404, 409, 413, 422, 429, 500, 502, 503})
  void should_keep_the_key_out_of_an_error_that_echoes_it_whatever_the_status(int status) {
    serve(
        FakeServer.body(status, "application/json", errorBody(status, "bad credential " + KEY + " in header")),
        FakeServer.body(status, "text/plain", "rejected: " + keyHeader() + ": " + keyHeaderValue(KEY)));
    ModelAdapter a = adapter();

    Throwable generated = catchThrowable(() -> a.generate(GenerateRequest.of("Hi")));
    Throwable streamed = catchThrowable(() -> stream(a));

    assertThat(generated).isInstanceOf(ModelMuxException.class);
    assertThat(streamed).isInstanceOf(ModelMuxException.class);
    assertNoSecret(generated, KEY);
    assertNoSecret(streamed, KEY);
  }

  @Test
  void should_keep_a_key_echoed_as_a_bare_json_token_out_of_the_parse_error() {
    String bare = "sk0hostile0bare0token0123456789"; // no '-': the JSON parser's message would quote all of it
    serve(
        FakeServer.body(200, "application/json", "{\"answer\": " + bare + "}"),
        FakeServer.body(200, "text/event-stream", "data: {\"answer\": " + bare + "}\n\n"));
    ModelAdapter a = adapter(spec(server.root()).option("api_key", bare));

    Throwable generated = catchThrowable(() -> a.generate(GenerateRequest.of("Hi")));
    Throwable streamed = catchThrowable(() -> stream(a));

    assertThat(generated).isInstanceOf(BackendException.class).hasMessageContaining("not JSON");
    assertThat(streamed).isInstanceOf(BackendException.class).hasMessageContaining("not JSON");
    assertNoSecret(generated, bare);
    assertNoSecret(streamed, bare);
  }

  @Test
  void should_keep_header_values_out_of_every_message_and_of_to_string() {
    String token = "tenant-secret-0042";
    server.on(generatePath(), FakeServer.body(500, "text/plain", "upstream said: X-Tenant-Token=" + token));
    ModelAdapter a = adapter(spec(server.root()).option("headers", Map.of("X-Tenant-Token", token)));

    Throwable e = catchThrowable(() -> a.generate(GenerateRequest.of("Hi")));

    assertThat(e).isInstanceOf(BackendException.class).hasMessageContaining("upstream said");
    assertNoSecret(e, token);
    assertThat(a.toString()).doesNotContain(token).doesNotContain(KEY);
    assertThat(server.headers.get(0).get("X-tenant-token")).containsExactly(token);
  }

  @Test
  void should_not_quote_a_headers_value_of_the_wrong_shape() {
    Throwable e = catchThrowable(() -> create(spec(server.root()).option("headers", "Authorization: Bearer " + KEY).build(), Map.of()));

    assertThat(e).isInstanceOf(ConfigException.class).hasMessageContaining("headers");
    assertNoSecret(e, KEY);
  }

  @ParameterizedTest
  @ValueSource(strings = {"X-Team: a\nInjected: yes", "X-Team: a\rb", "X-Team: a\u0000b"})
  void should_refuse_a_header_value_that_cannot_be_sent_without_showing_it(String header) {
    String[] parts = header.split(": ", 2);
    Throwable e = catchThrowable(() -> create(spec(server.root()).option("headers", Map.of(parts[0], parts[1] + "-secret-part")).build(), Map.of()));

    assertThat(e).isInstanceOf(ConfigException.class).hasMessageContaining("'X-Team'").hasMessageContaining("cannot be sent");
    assertNoSecret(e, "-secret-part");
  }

  @Test
  void should_refuse_headers_the_client_sets_itself() {
    assertThatThrownBy(() -> create(spec(server.root()).option("headers", Map.of("Host", "example.com")).build(), Map.of()))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("'Host'")
        .hasMessageContaining("sets itself");
  }

  @ParameterizedTest
  @ValueSource(strings = {"http://user:" + KEY + "@127.0.0.1:1", "http://127.0.0.1:1/?key=" + KEY, "http://127.0.0.1:1/#" + KEY, "http://[" + KEY})
  void should_never_quote_a_base_url_that_may_hold_credentials(String url) {
    Throwable e = catchThrowable(() -> create(spec(server.root()).option("base_url", url).build(), Map.of()));

    assertThat(e).isInstanceOf(ConfigException.class).hasMessageContaining("base_url");
    assertNoSecret(e, KEY);
  }

  // ---- 5. bounded and printable -------------------------------------------------------------------

  @Test
  void should_escape_terminal_control_characters_from_an_error_body() {
    server.on(generatePath(), FakeServer.body(500, "text/plain", "boom\u001b[2J\u001b[31mred\u0007\b\b\r\nsecond line\u202Eevil"));

    Throwable e = catchThrowable(() -> adapter().generate(GenerateRequest.of("Hi")));

    assertThat(e).isInstanceOf(BackendException.class);
    assertPrintable(e.getMessage());
    assertThat(e.getMessage()).contains("boom\\u001b[2J\\u001b[31mred\\u0007\\u0008\\u0008\\r\\nsecond line\\u202eevil");
  }

  @Test
  void should_cut_a_long_error_body_saying_how_much_was_cut() {
    server.on(generatePath(), FakeServer.body(500, "text/plain", "y".repeat(1_000_000)));

    Throwable e = catchThrowable(() -> adapter().generate(GenerateRequest.of("Hi")));

    assertPrintable(e.getMessage());
    assertThat(e.getMessage()).contains("y".repeat(200) + "…").contains("the body has 1,000,000 bytes").doesNotContain("y".repeat(201));
  }

  @Test
  void should_describe_a_binary_error_body_instead_of_printing_it() {
    byte[] binary = new byte[300];
    for (int i = 0; i < binary.length; i++) {
      binary[i] = (byte) (i * 7);
    }
    server.on(generatePath(), FakeServer.body(500, "application/octet-stream", binary));

    Throwable e = catchThrowable(() -> adapter().generate(GenerateRequest.of("Hi")));

    assertPrintable(e.getMessage());
    assertThat(e.getMessage()).contains("a binary body of 300 bytes (not shown)");
  }

  @Test
  void should_describe_a_compressed_body_sent_without_saying_so() {
    server.on(generatePath(), FakeServer.gzipped(500, "application/json", errorBody(500, "hidden inside"), null));

    Throwable e = catchThrowable(() -> adapter().generate(GenerateRequest.of("Hi")));

    assertPrintable(e.getMessage());
    assertThat(e.getMessage()).contains("a gzip-compressed body of").contains("(not shown)");
  }

  @Test
  void should_decode_a_gzip_answer_it_did_not_ask_for() {
    serve(
        FakeServer.gzipped(200, "application/json", answer("unzipped"), "gzip"),
        FakeServer.gzipped(200, "text/event-stream", concat(streamEvent("un"), streamEvent("zipped"), streamEnd()), "gzip"));
    ModelAdapter a = adapter();

    assertThat(a.generate(GenerateRequest.of("Hi")).text()).isEqualTo("unzipped");
    assertThat(stream(a).text()).isEqualTo("unzipped");
    assertThat(server.headers.get(0)).doesNotContainKey("Accept-encoding");
  }

  @Test
  void should_decode_a_gzip_error_body_to_quote_it() {
    server.on(generatePath(), FakeServer.gzipped(503, "application/json", errorBody(503, "overloaded, come back later"), "gzip"));

    assertThatThrownBy(() -> adapter().generate(GenerateRequest.of("Hi")))
        .isInstanceOf(BackendException.class)
        .hasMessageContaining("overloaded, come back later");
  }

  @Test
  void should_refuse_a_content_encoding_it_cannot_read() {
    server.on(generatePath(), ex -> {
      ex.getResponseHeaders().add("Content-Encoding", "br");
      FakeServer.send(ex, 200, "application/json", new byte[] {0x0b, 0x02, (byte) 0x80, 0x7b});
    });

    assertThatThrownBy(() -> adapter().generate(GenerateRequest.of("Hi")))
        .isInstanceOfSatisfying(BackendException.class, b -> assertThat(b.isRetryable()).isFalse())
        .hasMessageContaining("Content-Encoding 'br'")
        .hasMessageContaining("not to compress");
  }

  @Test
  void should_keep_a_key_echoed_in_the_content_encoding_out_of_the_message_whatever_its_case() {
    String key = "SK-Hostile-Mixed-Case-0042";
    server.on(generatePath(), ex -> {
      ex.getResponseHeaders().add("Content-Encoding", key);
      FakeServer.send(ex, 200, "application/json", new byte[] {0x7b, 0x7d});
    });

    Throwable e = catchThrowable(() -> adapter(spec(server.root()).option("api_key", key)).generate(GenerateRequest.of("Hi")));

    assertThat(e).isInstanceOf(BackendException.class).hasMessageContaining("Content-Encoding '(secret hidden)'");
    assertNoSecret(e, key);
    assertNoSecret(e, key.toLowerCase(java.util.Locale.ROOT));
  }

  // ---- 6. large answers ---------------------------------------------------------------------------

  @Test
  void should_parse_a_valid_answer_with_a_20_mb_string() {
    String text = "z".repeat(20_000_001); // one more than Jackson's default string limit
    server.on(generatePath(), FakeServer.body(200, "application/json", answer(text)));

    assertThat(adapter().generate(GenerateRequest.of("Hi")).text()).hasSize(20_000_001);
  }

  @Test
  void should_refuse_an_answer_larger_than_max_response_size_and_take_one_under_it() {
    String text = "w".repeat(40_000_000);
    server.on(generatePath(), FakeServer.body(200, "application/json", answer(text)));

    assertThatThrownBy(() -> adapter().generate(GenerateRequest.of("Hi")))
        .isInstanceOfSatisfying(BackendException.class, b -> assertThat(b.isRetryable()).isFalse())
        .hasMessageContaining("max_response_size (32 MiB)")
        .hasMessageContaining("raise max_response_size");
    assertThat(adapter(spec(server.root()).option("max_response_size", "64MiB")).generate(GenerateRequest.of("Hi")).text())
        .hasSize(40_000_000);
  }

  @Test
  void should_refuse_a_compressed_answer_that_inflates_past_max_response_size() {
    server.on(generatePath(), FakeServer.gzipped(200, "application/json", answer("b".repeat(3_000_000)), "gzip"));

    assertThatThrownBy(() -> adapter(spec(server.root()).option("max_response_size", "1MiB")).generate(GenerateRequest.of("Hi")))
        .isInstanceOf(BackendException.class)
        .hasMessageContaining("max_response_size (1 MiB)");
  }

  @Test
  void should_refuse_a_stream_event_larger_than_max_response_size() {
    server.on(streamPath(), FakeServer.sse(concat(streamEvent("ok "), streamEvent("q".repeat(2_000_000)), streamEnd()), 65536, 0));

    Throwable e = catchThrowable(() -> stream(adapter(spec(server.root()).option("max_response_size", "1MiB"))));

    assertThat(e).isInstanceOfSatisfying(BackendException.class, b -> assertThat(b.partialText()).isEqualTo("ok "));
    assertThat(e.getMessage()).contains("stream event of more than").contains("max_response_size (1 MiB)");
  }

  @Test
  void should_check_max_response_size() {
    assertThatThrownBy(() -> create(spec(server.root()).option("max_response_size", "2GiB").build(), Map.of()))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("max_response_size");
  }

  // ---- 7. protocol defaults -----------------------------------------------------------------------

  @Test
  void should_serve_a_server_that_rejects_upgrade_headers_with_default_settings() {
    FakeServer.Answer strict = ex -> {
      if (ex.getRequestHeaders().containsKey("Upgrade") || ex.getRequestHeaders().containsKey("Http2-settings")) {
        FakeServer.send(ex, 500, "application/json", errorBody(500, "upgrade not supported"));
      } else if (isStreamRequest(ex)) {
        FakeServer.send(ex, 200, "text/event-stream", concat(streamEvent("plain "), streamEvent("http"), streamEnd()));
      } else {
        FakeServer.send(ex, 200, "application/json", answer("plain http"));
      }
    };
    serve(strict, strict);
    ModelAdapter a = adapter();

    assertThat(a.generate(GenerateRequest.of("Hi")).text()).isEqualTo("plain http");
    assertThat(stream(a).text()).isEqualTo("plain http");
    assertThat(server.headers).allSatisfy(h -> assertThat(h).doesNotContainKeys("Upgrade", "Http2-settings"));
  }

  // ---- 8. connection failures ---------------------------------------------------------------------

  @Test
  void should_name_a_refused_connection() throws IOException {
    int port;
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      port = s.getLocalPort();
    }
    ModelAdapter a = adapter(spec("http://127.0.0.1:" + port));

    assertThatThrownBy(() -> a.generate(GenerateRequest.of("Hi")))
        .isInstanceOfSatisfying(BackendException.class, b -> assertThat(b.isRetryable()).isTrue())
        .hasMessageContaining("connection refused")
        .hasMessageNotContaining("(null)");
  }

  @Test
  void should_name_an_unknown_host() {
    ModelAdapter a = adapter(spec("http://no-such-host.invalid"));

    assertThatThrownBy(() -> a.generate(GenerateRequest.of("Hi")))
        .isInstanceOf(BackendException.class)
        .hasMessageContaining("unknown host 'no-such-host.invalid'");
  }

  @Test
  void should_name_a_failed_tls_handshake() throws IOException {
    ServerSocket plain = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
    others.add(plain);
    Thread t = new Thread(() -> {
      while (!plain.isClosed()) {
        try (Socket s = plain.accept()) {
          InputStream in = s.getInputStream();
          in.read(new byte[512]); // the ClientHello
          OutputStream out = s.getOutputStream();
          out.write("HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n".getBytes(UTF_8));
          out.flush();
        } catch (IOException e) {
          // the socket closed: the test is over
        }
      }
    });
    t.setDaemon(true);
    t.start();
    ModelAdapter a = adapter(spec("https://127.0.0.1:" + plain.getLocalPort()));

    assertThatThrownBy(() -> a.generate(GenerateRequest.of("Hi")))
        .isInstanceOf(BackendException.class)
        .hasMessageContaining("TLS handshake failed: ");
  }

  // ---- helpers ------------------------------------------------------------------------------------

  /** The name under which the JDK's HttpServer keeps a request header: first letter upper case, the rest lower. */
  protected static String headerName(String name) {
    return Character.toUpperCase(name.charAt(0)) + name.substring(1).toLowerCase(java.util.Locale.ROOT);
  }

  protected static byte[] concat(byte[]... parts) {
    java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
    for (byte[] p : parts) {
      out.writeBytes(p);
    }
    return out.toByteArray();
  }
}
