package io.modelmux.gemini;

import com.fasterxml.jackson.databind.JsonNode;
import io.modelmux.BackendException;
import io.modelmux.FinishReason;
import io.modelmux.GenerateRequest;
import io.modelmux.ModelMuxException;
import io.modelmux.ModelRef;
import io.modelmux.http.internal.HttpTransport;
import io.modelmux.http.internal.SseEvent;
import io.modelmux.http.internal.SseEventParser;
import io.modelmux.http.internal.WireJson;
import io.modelmux.spi.Capability;
import io.modelmux.spi.Completion;
import io.modelmux.spi.Footprint;
import io.modelmux.spi.Health;
import io.modelmux.spi.MessageText;
import io.modelmux.spi.ModelAdapter;
import io.modelmux.spi.ModelInfo;
import io.modelmux.spi.TokenSink;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.nio.charset.StandardCharsets;
import java.util.EnumSet;
import java.util.List;
import java.time.Duration;
import java.util.Objects;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A Gemini model over the Generative Language REST API: {@code POST
 * v1beta/models/{model}:generateContent}, {@code :streamGenerateContent?alt=sse} and {@code
 * :countTokens}, over one {@link HttpClient}. The key travels only in the {@code x-goog-api-key}
 * header: never in a URL, a log line, a message or {@link #toString()}. The adapter does not retry:
 * it marks in each exception whether a retry may help.
 *
 * <p>Beyond {@link ModelAdapter}, {@link #countTokens(GenerateRequest)} counts a request's prompt
 * tokens for a cost estimate before it is sent.
 */
final class GeminiAdapter implements ModelAdapter {
  private static final Logger log = LoggerFactory.getLogger(GeminiAdapter.class);
  static final String KEY_HEADER = "x-goog-api-key";

  private final ModelInfo info;
  private final GeminiSettings settings;
  private final String modelId;
  private final GeminiErrors errors;
  private final HttpTransport transport;
  /** The server, for messages. */
  private final String where;
  private volatile boolean closed;

  GeminiAdapter(ModelRef ref, GeminiSettings settings) {
    this.info = new ModelInfo(ref, "gemini", EnumSet.of(Capability.STREAMING, Capability.CHAT));
    this.settings = settings;
    this.modelId = ref.id();
    this.errors = new GeminiErrors(modelId, settings);
    this.transport = new HttpTransport(modelId, settings.http(), settings.secrets());
    this.where = "Gemini at " + settings.baseUrl();
  }

  @Override
  public ModelInfo info() {
    return info;
  }

  @Override
  public void load() {
    checkOpen();
    transport.start();
  }

  @Override
  public void unload() {
    transport.stop();
  }

  @Override
  public boolean isLoaded() {
    return transport.isStarted();
  }

  @Override
  public Completion generate(GenerateRequest request) {
    Objects.requireNonNull(request, "request");
    checkOpen();
    byte[] body = GeminiWireFormat.bytes(GeminiWireFormat.generateContent(request, modelId));
    byte[] answerBody = call(":generateContent", body, request.timeLeft().orElse(null));
    JsonNode root = readJson(answerBody);
    GeminiAnswer answer = new GeminiAnswer(errors);
    if (root.isArray()) {
      root.forEach(answer::add); // a proxy's answer in the stream endpoint's array shape
    } else {
      answer.add(root);
    }
    if (!answer.sawCandidate()) {
      throw errors.malformed("a response without candidates", answerBody, "", null);
    }
    return answer.complete();
  }

  @Override
  public Completion stream(GenerateRequest request, TokenSink sink) {
    Objects.requireNonNull(request, "request");
    Objects.requireNonNull(sink, "sink");
    checkOpen();
    byte[] body = GeminiWireFormat.bytes(GeminiWireFormat.generateContent(request, modelId));
    try (HttpTransport.Exchange exchange = send(":streamGenerateContent?alt=sse", body, true, request.timeLeft().orElse(null))) {
      if (exchange.status() / 100 != 2) {
        // the streaming endpoint answers errors as plain JSON, often labelled text/event-stream
        throw errors.forStatus(exchange.status(), exchange.readError(), retryAfter(exchange));
      }
      // the body's first byte, not its content type, tells SSE from JSON: Gemini labels its JSON
      // errors text/event-stream, and proxies label SSE in various ways
      String contentType =
          MessageText.clip(settings.secrets().redact(exchange.headers().firstValue("content-type").orElse("no content type")));
      return new StreamRead(exchange, sink, contentType).read();
    }
  }

  /**
   * Counts the prompt tokens of {@code request} (its messages and system instruction) with {@code
   * POST v1beta/models/{model}:countTokens}, which is not billed: for estimating a request's cost
   * before sending it. The request's options are not counted.
   *
   * @param request the request; not null
   * @return the prompt tokens Gemini counted
   * @throws IllegalStateException if the adapter is not loaded, or closed
   * @throws ModelMuxException if Gemini refuses or fails, mapped as for {@link #generate}
   */
  int countTokens(GenerateRequest request) {
    Objects.requireNonNull(request, "request");
    checkOpen();
    byte[] body = GeminiWireFormat.bytes(GeminiWireFormat.countTokens(request, settings.model(), modelId));
    byte[] answerBody = call(":countTokens", body, request.timeLeft().orElse(null));
    JsonNode root = readJson(answerBody);
    JsonNode error = GeminiErrors.errorObject(root);
    if (error != null) {
      throw errors.forError(error, -1, null);
    }
    JsonNode total = root.path("totalTokens");
    if (!root.isObject() || !(total.isMissingNode() || total.canConvertToInt())) {
      throw errors.malformed("a countTokens response without totalTokens", answerBody, "", null);
    }
    return total.asInt(0); // proto3 JSON leaves out a zero count
  }

  // ---- transport -------------------------------------------------------------------------------

  /** Posts {@code body} to the model's {@code method} and returns the whole answer, or throws the mapped error. */
  private byte[] call(String method, byte[] body, @Nullable Duration timeLeft) {
    try (HttpTransport.Exchange exchange = send(method, body, false, timeLeft)) {
      if (exchange.status() / 100 != 2) {
        throw errors.forStatus(exchange.status(), exchange.readError(), retryAfter(exchange));
      }
      return exchange.readAll();
    }
  }

  private HttpTransport.Exchange send(String method, byte[] body, boolean streamed, @Nullable Duration timeLeft) {
    HttpRequest.Builder request =
        HttpRequest.newBuilder(settings.modelUri(method))
            .header("Content-Type", "application/json")
            .header("Accept", streamed ? "text/event-stream" : "application/json")
            .header(KEY_HEADER, settings.apiKey())
            .POST(HttpRequest.BodyPublishers.ofByteArray(body));
    settings.headers().forEach(request::setHeader);
    return transport.send(request, settings.httpVersion(), where, streamed, timeLeft);
  }

  private static @Nullable String retryAfter(HttpTransport.Exchange exchange) {
    return exchange.headers().firstValue("retry-after").orElse(null);
  }

  private JsonNode readJson(byte[] body) {
    JsonNode root;
    try {
      root = WireJson.MAPPER.readTree(body);
    } catch (IOException e) {
      throw errors.malformed("a body that is not JSON (" + WireJson.problem(e, settings.secrets()) + ")", body, "", null);
    }
    if (root == null || !(root.isObject() || root.isArray())) {
      throw errors.malformed("a body that is not a JSON object", body, "", null);
    }
    return root;
  }

  /**
   * One streamed response being read, with the idle and total timeouts and cancellation. The body
   * is normally SSE ({@code data: {...}} events separated by CRLF CRLF, no {@code [DONE]}: it ends
   * when the connection closes); a body whose first character is a brace or a bracket is read as
   * JSON instead, as the endpoint sends errors (and some proxies whole answers) that way.
   */
  private final class StreamRead {
    private static final int CANCELLED = -2;
    private final HttpTransport.Exchange exchange;
    private final TokenSink sink;
    private final String contentType;
    private final GeminiAnswer answer = new GeminiAnswer(errors);
    /** The first bytes of the body, for a message about a body that is not a Gemini stream. */
    private final ByteArrayOutputStream head = new ByteArrayOutputStream();

    StreamRead(HttpTransport.Exchange exchange, TokenSink sink, String contentType) {
      this.exchange = exchange;
      this.sink = sink;
      this.contentType = contentType;
    }

    Completion read() {
      sink.onCancel(exchange::cancel);
      byte[] buf = new byte[8192];
      ByteArrayOutputStream start = new ByteArrayOutputStream();
      int first = -1;
      while (first < 0) {
        int n = next(buf);
        if (n == CANCELLED) {
          return answer.completion(FinishReason.CANCELLED);
        }
        if (n < 0) {
          break;
        }
        start.write(buf, 0, n);
        first = firstSignificantByte(start.toByteArray());
      }
      if (first == '{' || first == '[') {
        return readJsonBody(start, buf);
      }
      SseEventParser parser = new SseEventParser(settings.http().maxResponseBytes());
      List<SseEvent> events = feed(parser, start.toByteArray(), start.size());
      while (true) {
        for (SseEvent event : events) {
          if (isCancelled()) {
            return answer.completion(FinishReason.CANCELLED);
          }
          handle(event);
        }
        int n = next(buf);
        if (n == CANCELLED) {
          return answer.completion(FinishReason.CANCELLED);
        }
        if (n < 0) {
          for (SseEvent event : feed(parser, buf, n)) {
            handle(event);
          }
          break;
        }
        events = feed(parser, buf, n);
      }
      return end();
    }

    /** Feeds {@code length} bytes to the parser, or finishes it when {@code length} is negative. */
    private List<SseEvent> feed(SseEventParser parser, byte[] bytes, int length) {
      try {
        return length < 0 ? parser.finish() : parser.feed(bytes, 0, length);
      } catch (SseEventParser.EventTooLargeException e) {
        throw exchange.eventTooLarge(answer.textSoFar());
      }
    }

    /** Reads the next bytes: the count, -1 at the end, or {@link #CANCELLED}. */
    private int next(byte[] buf) {
      if (isCancelled()) {
        return CANCELLED;
      }
      int n = exchange.read(buf, answer.textSoFar());
      if (isCancelled()) {
        return CANCELLED;
      }
      if (n > 0 && head.size() < 256) {
        head.write(buf, 0, Math.min(n, 256 - head.size()));
      }
      return n;
    }

    private boolean isCancelled() {
      return exchange.isCancelled() || sink.isCancelled();
    }

    private void handle(SseEvent event) {
      String errorField = event.otherFields().get("error");
      if (errorField != null) {
        throw errors.inStream(WireJson.parseOrText(errorField), answer.text());
      }
      if (!event.hasData() || event.data().isBlank() || event.isDone()) {
        return; // comments, other fields, and an OpenAI-style [DONE] a proxy may add
      }
      JsonNode chunk;
      try {
        chunk = WireJson.MAPPER.readTree(event.data());
      } catch (IOException e) {
        throw errors.malformed(
            "a stream event that is not JSON (" + WireJson.problem(e, settings.secrets()) + ")", event.data().getBytes(StandardCharsets.UTF_8),
            answer.text(), null);
      }
      if (chunk == null) {
        return;
      }
      if (chunk.isArray()) {
        for (JsonNode element : chunk) {
          accept(answer.add(element));
        }
      } else {
        accept(answer.add(chunk));
      }
    }

    private void accept(String piece) {
      if (!piece.isEmpty()) {
        sink.accept(piece);
      }
    }

    /** Reads a body that is JSON rather than SSE: an error, or responses a proxy sent whole. */
    private Completion readJsonBody(ByteArrayOutputStream start, byte[] buf) {
      log.debug("the stream of model '{}' answered with a JSON body ({}) instead of SSE", modelId, contentType);
      long limit = settings.http().maxResponseBytes();
      while (start.size() <= limit) {
        int n = next(buf);
        if (n == CANCELLED) {
          return answer.completion(FinishReason.CANCELLED);
        }
        if (n < 0) {
          break;
        }
        start.write(buf, 0, n);
      }
      byte[] body = start.toByteArray();
      if (body.length > limit) {
        throw errors.malformed("a JSON body larger than max_response_size (" + limit + " bytes) on the stream", body, "", null);
      }
      JsonNode root;
      try {
        root = WireJson.MAPPER.readTree(body);
      } catch (IOException e) {
        throw errors.malformed("a stream body that is neither SSE nor JSON (" + WireJson.problem(e, settings.secrets()) + ")", body, "", null);
      }
      if (root == null) {
        throw errors.malformed("an empty stream body", body, "", null);
      }
      JsonNode error = GeminiErrors.errorObject(root);
      if (error != null) {
        throw errors.inStream(error, "");
      }
      for (JsonNode response : root.isArray() ? root : List.of(root)) {
        if (isCancelled()) {
          return answer.completion(FinishReason.CANCELLED);
        }
        accept(answer.add(response));
      }
      return end();
    }

    /** Ends a stream that reached the end of its body (or was stopped). */
    private Completion end() {
      if (isCancelled()) {
        return answer.completion(FinishReason.CANCELLED);
      }
      if (!answer.hasFinishReason()) {
        // no [DONE] in Gemini's stream: a missing finish reason is the only sign of a cut
        String what =
            answer.responses() == 0
                ? "a body (" + contentType + ") that is not a Gemini stream: " + errors.quote(head.toByteArray())
                : "a stream that ended before a finish reason, after " + answer.text().length()
                    + " characters; the connection may have been cut, and the text so far is in partialText()";
        throw new BackendException(
            where + " sent " + what + " (model '" + modelId + "')",
            modelId, true, -1, null, answer.text(), null);
      }
      return answer.complete();
    }
  }

  /** Returns the first byte after a byte order mark and whitespace, or -1 if none yet. */
  static int firstSignificantByte(byte[] bytes) {
    int i = 0;
    if (bytes.length >= 3 && bytes[0] == (byte) 0xEF && bytes[1] == (byte) 0xBB && bytes[2] == (byte) 0xBF) {
      i = 3;
    } else if (bytes.length < 3 && bytes.length > 0 && bytes[0] == (byte) 0xEF) {
      return -1; // perhaps a byte order mark, not complete yet
    }
    for (; i < bytes.length; i++) {
      byte b = bytes[i];
      if (b != ' ' && b != '\t' && b != '\r' && b != '\n') {
        return b & 0xFF;
      }
    }
    return -1;
  }

  // ---- the rest ---------------------------------------------------------------------------------

  /** Asks {@code GET v1beta/models/{model}}, which costs no tokens. */
  @Override
  public Health health() {
    if (closed || !transport.isStarted()) {
      return Health.unknown(closed ? "closed" : "not loaded");
    }
    URI uri = settings.modelUri("");
    HttpRequest.Builder request = HttpRequest.newBuilder(uri).header(KEY_HEADER, settings.apiKey()).GET();
    settings.headers().forEach(request::setHeader);
    try {
      int status = transport.probe(request, settings.httpVersion(), where);
      if (status / 100 == 2) {
        return Health.up("GET " + uri.getPath() + " answered HTTP " + status);
      }
      return Health.down("GET " + uri.getPath() + " answered HTTP " + status);
    } catch (BackendException e) {
      return Health.down("GET " + uri.getPath() + " failed: " + (e.getCause() == null ? "?" : e.getCause().getClass().getSimpleName()));
    }
  }

  @Override
  public Footprint footprint() {
    return Footprint.none();
  }

  @Override
  public void close() {
    unload();
    closed = true;
  }

  @Override
  public String toString() {
    return "GeminiAdapter{" + info.ref() + ", model=" + settings.model() + ", baseUrl=" + settings.baseUrl() + '}';
  }

  private void checkOpen() {
    if (closed) {
      throw new IllegalStateException("model '" + modelId + "' is closed");
    }
  }

}
