package io.modelmux.benchmarks;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.langchain4j.data.message.UserMessage;
import dev.langchain4j.http.client.jdk.JdkHttpClient;
import dev.langchain4j.model.chat.request.ChatRequest;
import dev.langchain4j.model.chat.response.ChatResponse;
import dev.langchain4j.model.chat.response.PartialResponse;
import dev.langchain4j.model.chat.response.PartialResponseContext;
import dev.langchain4j.model.chat.response.StreamingChatResponseHandler;
import dev.langchain4j.model.openai.OpenAiStreamingChatModel;
import io.modelmux.GenerateRequest;
import io.modelmux.MultiModelManager;
import io.modelmux.TokenStream;
import io.modelmux.http.OpenAiModelFactory;
import io.modelmux.spi.ModelFactories;
import io.modelmux.spi.ModelSpec;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
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
import org.openjdk.jmh.annotations.Warmup;

/**
 * Streaming: the time to the first piece of an OpenAI-compatible stream, through the {@code
 * openai} adapter and {@code MultiModelManager.stream}, against a raw {@link HttpClient} reading
 * the SSE lines itself (the floor) and LangChain4j's {@code OpenAiStreamingChatModel} (the peer),
 * from the same loopback server. The server sends the first chunk at once and the rest 20 ms
 * later, so a client that waited for more than the first piece would show it; each client
 * stops its stream at the first piece (the connection is then closed, for all three alike).
 */
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
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
public class HttpStreamBenchmark {
  static final long GAP_MILLIS = 20;
  private static final String FIRST = "Random";
  private static final String CHUNK = "data: {\"id\":\"c1\",\"object\":\"chat.completion.chunk\",\"model\":\"m\","
      + "\"choices\":[{\"index\":0,\"delta\":{\"content\":\"%s\"},\"finish_reason\":null}]}\n\n";
  private static final byte[] HEAD = String.format(CHUNK, FIRST).getBytes(StandardCharsets.UTF_8);
  private static final byte[] TAIL = (String.format(CHUNK, " Number") + String.format(CHUNK, " Generator")
      + "data: {\"id\":\"c1\",\"object\":\"chat.completion.chunk\",\"model\":\"m\",\"choices\":[{\"index\":0,\"delta\":{},"
      + "\"finish_reason\":\"stop\"}]}\n\n"
      + "data: {\"id\":\"c1\",\"object\":\"chat.completion.chunk\",\"model\":\"m\",\"choices\":[],"
      + "\"usage\":{\"prompt_tokens\":9,\"completion_tokens\":3,\"total_tokens\":12}}\n\n"
      + "data: [DONE]\n\n").getBytes(StandardCharsets.UTF_8);

  private HttpServer server;
  private ExecutorService serverThreads;
  private HttpClient rawClient;
  private HttpRequest rawRequest;
  private MultiModelManager manager;
  private OpenAiStreamingChatModel langChain4j;

  /** Starts the server and the three clients, and checks that each reads the first piece. */
  @Setup(Level.Trial)
  public void setUp() throws Exception {
    if (!Boolean.getBoolean("sun.net.httpserver.nodelay")) {
      throw new IllegalStateException("run with -Dsun.net.httpserver.nodelay=true (the @Fork does)");
    }
    HttpServer s = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 64);
    s.createContext("/v1/chat/completions", HttpStreamBenchmark::answer);
    serverThreads = Executors.newCachedThreadPool(); // a stream's 20 ms tail must not hold the next request
    s.setExecutor(serverThreads);
    s.start();
    server = s;
    String baseUrl = "http://127.0.0.1:" + s.getAddress().getPort() + "/v1";
    rawClient = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    rawRequest = HttpRequest.newBuilder(URI.create(baseUrl + "/chat/completions"))
        .header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(
            "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}],\"stream\":true,"
                + "\"stream_options\":{\"include_usage\":true}}"))
        .build();
    manager = MultiModelManager.builder().factories(ModelFactories.none()).factory(new OpenAiModelFactory())
        .environment(name -> null)
        .model(ModelSpec.builder("llama", "openai").option("base_url", baseUrl).option("model", "m")
            .option("http_version", "1.1").build())
        .build();
    langChain4j = OpenAiStreamingChatModel.builder().baseUrl(baseUrl).apiKey("x").modelName("m")
        .httpClientBuilder(JdkHttpClient.builder().httpClientBuilder(HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)))
        .build();
    for (String first : new String[] {baseline(), modelMux(), langChain4j()}) {
      if (!first.contains(FIRST)) {
        throw new IllegalStateException("a client read '" + first + "' as its first piece, not '" + FIRST + "'");
      }
    }
  }

  private static void answer(HttpExchange exchange) throws IOException {
    try (exchange) {
      try (InputStream in = exchange.getRequestBody()) {
        in.readAllBytes();
      }
      exchange.getResponseHeaders().set("Content-Type", "text/event-stream");
      exchange.sendResponseHeaders(200, 0);
      OutputStream out = exchange.getResponseBody();
      out.write(HEAD);
      out.flush();
      try {
        Thread.sleep(GAP_MILLIS);
        out.write(TAIL);
        out.close();
      } catch (IOException e) {
        // the client stopped at the first piece and closed the connection
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }

  /** Stops the server and closes the clients. */
  @TearDown(Level.Trial)
  public void tearDown() {
    manager.close();
    server.stop(0);
    serverThreads.shutdownNow();
  }

  /** The floor: the raw client reads SSE lines until the first with content, then closes the stream. */
  @Benchmark
  public String baseline() throws IOException, InterruptedException {
    HttpResponse<InputStream> r = rawClient.send(rawRequest, HttpResponse.BodyHandlers.ofInputStream());
    try (BufferedReader lines = new BufferedReader(new InputStreamReader(r.body(), StandardCharsets.UTF_8))) {
      String line;
      while ((line = lines.readLine()) != null) {
        if (line.startsWith("data: ") && line.contains("\"content\":\"")) {
          return line;
        }
      }
    }
    throw new IOException("the stream ended without a piece");
  }

  /** {@code MultiModelManager.stream}: the first piece, then the stream is closed (cancelled). */
  @Benchmark
  public String modelMux() {
    try (TokenStream tokens = manager.stream(GenerateRequest.of("llama", "Hi"))) {
      return tokens.iterator().next();
    }
  }

  /** LangChain4j's streaming model: the first partial response, then its handle cancels the stream. */
  @Benchmark
  @Goal(mode = "sample", against = "modelMux")
  public String langChain4j() throws Exception {
    CompletableFuture<String> first = new CompletableFuture<>();
    langChain4j.chat(ChatRequest.builder().messages(UserMessage.from("Hi")).build(), new StreamingChatResponseHandler() {
      @Override
      public void onPartialResponse(PartialResponse partial, PartialResponseContext context) {
        if (first.complete(partial.text())) {
          context.streamingHandle().cancel();
        }
      }

      @Override
      public void onCompleteResponse(ChatResponse response) {
        first.complete(response.aiMessage().text());
      }

      @Override
      public void onError(Throwable error) {
        first.completeExceptionally(error);
      }
    });
    return first.get(10, TimeUnit.SECONDS);
  }
}
