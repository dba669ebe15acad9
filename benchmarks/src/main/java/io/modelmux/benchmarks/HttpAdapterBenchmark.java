package io.modelmux.benchmarks;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.langchain4j.data.message.UserMessage;
import dev.langchain4j.http.client.jdk.JdkHttpClient;
import dev.langchain4j.model.chat.ChatModel;
import dev.langchain4j.model.chat.request.ChatRequest;
import dev.langchain4j.model.chat.response.ChatResponse;
import dev.langchain4j.model.openai.OpenAiChatModel;
import io.modelmux.GenerateRequest;
import io.modelmux.GenerateResponse;
import io.modelmux.MultiModelManager;
import io.modelmux.http.OpenAiModelFactory;
import io.modelmux.spi.ModelFactories;
import io.modelmux.spi.ModelSpec;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;

/**
 * One non-streaming chat completion through ModelMux's OpenAI-compatible adapter (type
 * {@code openai}), against the same request made with a bare {@link HttpClient} (the floor,
 * {@link #baseline()}) and with LangChain4j's {@link OpenAiChatModel} (the peer). All three talk
 * HTTP/1.1 over one reused loopback connection to a JDK {@link HttpServer} in this JVM that
 * answers every {@code POST /v1/chat/completions} with the same fixed 438-byte completion
 * (vLLM's, from {@code adapter-http/src/test/resources/fixtures/openai/vllm_chat_completion.json}),
 * with {@code Content-Length} and keep-alive.
 *
 * <p>Both modes are measured: {@link Mode#Throughput} (requests per millisecond; × 1000 for
 * requests per second) and {@link Mode#SampleTime} (the latency distribution, p50 in
 * milliseconds). One client thread, as in {@code shared/notes/HTTP.md}: the server and the
 * client's selector thread take the other core of a 2-core machine.
 *
 * <p>The fork sets {@code -Dsun.net.httpserver.nodelay=true}: without it the JDK server stalls
 * about 44 ms per response on loopback (Nagle's algorithm against delayed ACKs) and every
 * figure measures the stall. {@link #setUp()} refuses to run without it, and checks that each
 * client sends a chat completion to the server and reads back the fixture's text.
 */
@BenchmarkMode({Mode.Throughput, Mode.SampleTime})
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Threads(1)
@Fork(
    value = 1,
    jvmArgsAppend = {
      "-Dsun.net.httpserver.nodelay=true",
      "-Xms1g",
      "-Xmx1g",
      "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn"
    })
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@State(Scope.Benchmark)
public class HttpAdapterBenchmark {
  /** vLLM's answer to a chat completion, byte for byte as in the adapter's test fixture. */
  static final String COMPLETION_JSON =
      "{\"id\":\"chat-c580e4a9ebaa44a0becc802ed5dc213a\",\"object\":\"chat.completion\","
          + "\"created\":1731294404,\"model\":\"meta-llama/Meta-Llama-3.1-70B-Instruct\","
          + "\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":"
          + "\"Random Number Generator Produces Smallest Possible Result\",\"tool_calls\":[]},"
          + "\"logprobs\":null,\"finish_reason\":\"stop\",\"stop_reason\":null}],"
          + "\"usage\":{\"prompt_tokens\":146,\"total_tokens\":156,\"completion_tokens\":10},"
          + "\"prompt_logprobs\":null}";

  /** The text every client must read back. */
  static final String EXPECTED_TEXT = "Random Number Generator Produces Smallest Possible Result";

  private static final String MODEL_ID = "llama";
  private static final String PROMPT = "Hi";

  /**
   * What the {@code openai} adapter sends for {@code GenerateRequest.of("llama", "Hi")} with
   * {@code model: m}; {@link #setUp()} checks that it still does.
   */
  private static final String REQUEST_JSON =
      "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]}";

  private final byte[] responseBody = COMPLETION_JSON.getBytes(StandardCharsets.UTF_8);

  private HttpServer server;
  private HttpClient rawClient;
  private HttpRequest rawRequest;
  private MultiModelManager manager;
  private ChatModel langChain4j;

  /** The last request the server saw, for the checks in {@link #setUp()}; not read while measuring. */
  private volatile String lastRequest = "";

  /** Starts the server and the three clients, and checks that each gets the fixture back. */
  @Setup(Level.Trial)
  public void setUp() throws Exception {
    if (!Boolean.getBoolean("sun.net.httpserver.nodelay")) {
      throw new IllegalStateException(
          "run with -Dsun.net.httpserver.nodelay=true (the @Fork does): without it the JDK"
              + " HttpServer stalls ~44 ms per response on loopback (shared/notes/HTTP.md)");
    }
    HttpServer s = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 64);
    s.createContext("/v1/chat/completions", this::answer);
    s.start(); // handlers run on the server's dispatcher thread: no hand-off per request
    server = s;
    String baseUrl = "http://127.0.0.1:" + s.getAddress().getPort() + "/v1";

    rawClient = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    rawRequest =
        HttpRequest.newBuilder(URI.create(baseUrl + "/chat/completions"))
            .header("Content-Type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofByteArray(REQUEST_JSON.getBytes(StandardCharsets.UTF_8)))
            .build();

    manager =
        MultiModelManager.builder()
            .factories(ModelFactories.none())
            .factory(new OpenAiModelFactory())
            .environment(name -> null) // hermetic: no MODELMUX_* or key from the shell
            .model(
                ModelSpec.builder(MODEL_ID, "openai")
                    .option("base_url", baseUrl)
                    .option("model", "m")
                    .option("http_version", "1.1")
                    .build())
            .build();

    // HTTP/1.1 like the others; LangChain4j's default JDK client would ask for HTTP/2 (h2c
    // upgrade headers on a plain-text connection the server never upgrades).
    langChain4j =
        OpenAiChatModel.builder()
            .baseUrl(baseUrl)
            .apiKey("x")
            .modelName("m")
            .httpClientBuilder(
                JdkHttpClient.builder()
                    .httpClientBuilder(HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)))
            .build();

    expectText("baseline", new String(baseline(), StandardCharsets.UTF_8).contains(EXPECTED_TEXT));
    expectRequest("baseline", REQUEST_JSON);
    expectText("modelMux", modelMux().text().equals(EXPECTED_TEXT));
    expectRequest("modelMux", REQUEST_JSON);
    expectText("langChain4j", EXPECTED_TEXT.equals(langChain4j().aiMessage().text()));
    expectRequest("langChain4j", "\"content\":\"Hi\"");
  }

  private void answer(HttpExchange exchange) throws IOException {
    try (exchange) {
      byte[] request;
      try (InputStream in = exchange.getRequestBody()) {
        request = in.readAllBytes();
      }
      lastRequest = exchange.getRequestMethod() + " " + new String(request, StandardCharsets.UTF_8);
      exchange.getResponseHeaders().set("Content-Type", "application/json");
      exchange.sendResponseHeaders(200, responseBody.length);
      try (OutputStream out = exchange.getResponseBody()) {
        out.write(responseBody);
      }
    }
  }

  private static void expectText(String client, boolean ok) {
    if (!ok) {
      throw new IllegalStateException(client + " did not read back '" + EXPECTED_TEXT + "'");
    }
  }

  private void expectRequest(String client, String part) {
    String seen = lastRequest;
    // LangChain4j pretty-prints its JSON: compare without whitespace.
    if (!seen.startsWith("POST ") || !seen.replaceAll("\\s", "").contains(part)) {
      throw new IllegalStateException(client + " sent '" + seen + "', expected a POST containing " + part);
    }
  }

  /** Closes the clients and stops the server. */
  @TearDown(Level.Trial)
  public void tearDown() {
    if (manager != null) {
      manager.close();
    }
    if (server != null) {
      server.stop(0);
    }
  }

  /**
   * The floor: the same request bytes posted with one {@link HttpClient} (HTTP/1.1, the
   * connection reused), the body read as bytes and not parsed. The request is built once.
   */
  @Benchmark
  public byte[] baseline() throws IOException, InterruptedException {
    HttpResponse<byte[]> response = rawClient.send(rawRequest, HttpResponse.BodyHandlers.ofByteArray());
    if (response.statusCode() != 200) {
      throw new UncheckedIOException(new IOException("HTTP " + response.statusCode()));
    }
    return response.body();
  }

  /** {@code MultiModelManager.generate} of a one-prompt request to the {@code openai} model. */
  @Benchmark
  @Goal(mode = "thrpt", minRatio = 0.9)
  public GenerateResponse modelMux() {
    return manager.generate(GenerateRequest.of(MODEL_ID, PROMPT));
  }

  /**
   * The same request with a deadline (a minute away, never reached): the transport then bounds
   * the wait for the headers and the body by it.
   */
  @Benchmark
  public GenerateResponse modelMuxWithDeadline() {
    return manager.generate(GenerateRequest.builder().model(MODEL_ID).prompt(PROMPT).timeout(java.time.Duration.ofMinutes(1)).build());
  }

  /** LangChain4j's {@code OpenAiChatModel.chat} of a one-message request. */
  @Benchmark
  @Goal(mode = "thrpt", against = "modelMux", maxRatio = 1)
  public ChatResponse langChain4j() {
    return langChain4j.chat(ChatRequest.builder().messages(UserMessage.from(PROMPT)).build());
  }
}
