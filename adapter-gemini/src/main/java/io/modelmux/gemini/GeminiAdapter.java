package io.modelmux.gemini;

import com.fasterxml.jackson.databind.JsonNode;
import io.modelmux.BackendException;
import io.modelmux.FinishReason;
import io.modelmux.GenerateRequest;
import io.modelmux.ModelMuxException;
import io.modelmux.ModelRef;
import io.modelmux.http.internal.SseEvent;
import io.modelmux.http.internal.HttpTransport;
import io.modelmux.http.internal.SseEventParser;
import io.modelmux.spi.Capability;
import io.modelmux.spi.Completion;
import io.modelmux.spi.Footprint;
import io.modelmux.spi.Health;
import io.modelmux.spi.ModelAdapter;
import io.modelmux.spi.ModelInfo;
import io.modelmux.spi.TokenSink;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicBoolean;
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
  private static final int ERROR_BODY_LIMIT = 64 * 1024;
  private static final int JSON_BODY_LIMIT = 16 * 1024 * 1024;

  private final ModelInfo info;
  private final GeminiSettings settings;
  private final String modelId;
  private final GeminiErrors errors;
  private final HttpTransport transport;
  private volatile boolean closed;

  GeminiAdapter(ModelRef ref, GeminiSettings settings) {
    this.info = new ModelInfo(ref, "gemini", EnumSet.of(Capability.STREAMING, Capability.CHAT));
    this.settings = settings;
    this.modelId = ref.id();
    this.errors = new GeminiErrors(modelId, settings);
    this.transport = new HttpTransport(modelId, settings.connectTimeout(), HttpClient.Version.HTTP_2);
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
    HttpResponse<byte[]> response =
        send(settings.modelUri(":generateContent"), body, HttpResponse.BodyHandlers.ofByteArray(), true);
    if (response.statusCode() / 100 != 2) {
      throw errors.forStatus(response.statusCode(), response.body(), retryAfter(response));
    }
    JsonNode root = readJson(response.body());
    GeminiAnswer answer = new GeminiAnswer(errors);
    if (root.isArray()) {
      root.forEach(answer::add); // a proxy's answer in the stream endpoint's array shape
    } else {
      answer.add(root);
    }
    if (!answer.sawCandidate()) {
      throw errors.malformed("a response without candidates", response.body(), "", null);
    }
    return answer.complete();
  }

  @Override
  public Completion stream(GenerateRequest request, TokenSink sink) {
    Objects.requireNonNull(request, "request");
    Objects.requireNonNull(sink, "sink");
    checkOpen();
    byte[] body = GeminiWireFormat.bytes(GeminiWireFormat.generateContent(request, modelId));
    HttpResponse<InputStream> response =
        send(settings.modelUri(":streamGenerateContent?alt=sse"), body, HttpResponse.BodyHandlers.ofInputStream(), false);
    if (response.statusCode() / 100 != 2) {
      // the streaming endpoint answers errors as plain JSON, often labelled text/event-stream
      byte[] error;
      try (InputStream in = response.body()) {
        error = in.readNBytes(ERROR_BODY_LIMIT);
      } catch (IOException e) {
        log.debug("could not read the error body of model '{}': {}", modelId, e.toString());
        error = new byte[0];
      }
      throw errors.forStatus(response.statusCode(), error, retryAfter(response));
    }
    // the body's first byte, not its content type, tells SSE from JSON: Gemini labels its JSON
    // errors text/event-stream, and proxies label SSE in various ways
    String contentType = response.headers().firstValue("content-type").orElse("no content type");
    contentType = contentType.length() > 80 ? contentType.substring(0, 80) + "…" : contentType;
    return new StreamRead(response.body(), sink, contentType).read();
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
    HttpResponse<byte[]> response =
        send(settings.modelUri(":countTokens"), body, HttpResponse.BodyHandlers.ofByteArray(), true);
    if (response.statusCode() / 100 != 2) {
      throw errors.forStatus(response.statusCode(), response.body(), retryAfter(response));
    }
    JsonNode root = readJson(response.body());
    JsonNode error = GeminiErrors.errorObject(root);
    if (error != null) {
      throw errors.forError(error, -1, null);
    }
    JsonNode total = root.path("totalTokens");
    if (!root.isObject() || !(total.isMissingNode() || total.canConvertToInt())) {
      throw errors.malformed("a countTokens response without totalTokens", response.body(), "", null);
    }
    return total.asInt(0); // proto3 JSON leaves out a zero count
  }

  // ---- transport -------------------------------------------------------------------------------

  private <T> HttpResponse<T> send(URI uri, byte[] body, HttpResponse.BodyHandler<T> handler, boolean whole) {
    Duration timeout = whole ? settings.totalTimeout() : settings.firstByteTimeout();
    HttpRequest request =
        HttpRequest.newBuilder(uri)
            .timeout(timeout)
            .header("Content-Type", "application/json")
            .header("Accept", whole ? "application/json" : "text/event-stream")
            .header(KEY_HEADER, settings.apiKey())
            .POST(HttpRequest.BodyPublishers.ofByteArray(body))
            .build();
    return transport.send(request, handler, "Gemini at " + settings.baseUrl(), timeout);
  }

  private static @Nullable String retryAfter(HttpResponse<?> response) {
    return response.headers().firstValue("retry-after").orElse(null);
  }

  private JsonNode readJson(byte[] body) {
    JsonNode root;
    try {
      root = GeminiErrors.JSON.readTree(body);
    } catch (IOException e) {
      throw errors.malformed("a body that is not JSON", body, "", e);
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
    private final InputStream in;
    private final TokenSink sink;
    private final String contentType;
    private final GeminiAnswer answer = new GeminiAnswer(errors);
    private final AtomicBoolean cancelled = new AtomicBoolean();
    private HttpTransport.@Nullable Watch watch;
    /** The first bytes of the body, for a message about a body that is not a Gemini stream. */
    private final ByteArrayOutputStream head = new ByteArrayOutputStream();

    StreamRead(InputStream in, TokenSink sink, String contentType) {
      this.in = in;
      this.sink = sink;
      this.contentType = contentType;
    }

    Completion read() {
      watch = transport.watch(in, settings.idleTimeout(), settings.totalTimeout());
      sink.onCancel(
          () -> {
            cancelled.set(true);
            HttpTransport.closeQuietly(in); // closes the connection: the server stops generating
          });
      try (in) {
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
        SseEventParser parser = new SseEventParser();
        List<SseEvent> events = parser.feed(start.toByteArray(), 0, start.size());
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
            for (SseEvent event : parser.finish()) {
              handle(event);
            }
            break;
          }
          events = parser.feed(buf, 0, n);
        }
      } catch (IOException e) {
        log.debug("closing the stream of model '{}' failed: {}", modelId, e.toString()); // what was read stands
      } finally {
        watch.close();
      }
      return end();
    }

    /** Reads the next bytes: the count, -1 at the end, or {@link #CANCELLED}. */
    private int next(byte[] buf) {
      if (isCancelled()) {
        return CANCELLED;
      }
      int n;
      try {
        n = in.read(buf);
      } catch (IOException e) {
        if (isCancelled()) {
          return CANCELLED;
        }
        if (timedOut()) {
          throw timeout();
        }
        throw new BackendException(
            "the stream from Gemini at " + settings.baseUrl() + " for model '" + modelId + "' broke after "
                + answer.text().length() + " characters: " + e + "; the text so far is in partialText()",
            modelId, true, -1, null, answer.text(), e);
      }
      if (n > 0) {
        watch.touch();
        if (head.size() < 256) {
          head.write(buf, 0, Math.min(n, 256 - head.size()));
        }
      }
      return n < 0 ? -1 : n;
    }

    private boolean isCancelled() {
      return cancelled.get() || sink.isCancelled();
    }

    private void handle(SseEvent event) {
      String errorField = event.otherFields().get("error");
      if (errorField != null) {
        throw errors.inStream(parseOrText(errorField), answer.text());
      }
      if (!event.hasData() || event.data().isBlank() || event.isDone()) {
        return; // comments, other fields, and an OpenAI-style [DONE] a proxy may add
      }
      JsonNode chunk;
      try {
        chunk = GeminiErrors.JSON.readTree(event.data());
      } catch (IOException e) {
        throw errors.malformed(
            "a stream event that is not JSON", event.data().getBytes(StandardCharsets.UTF_8), answer.text(), e);
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
      while (start.size() <= JSON_BODY_LIMIT) {
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
      if (body.length > JSON_BODY_LIMIT) {
        throw errors.malformed("a JSON body larger than " + JSON_BODY_LIMIT + " bytes on the stream", body, "", null);
      }
      JsonNode root;
      try {
        root = GeminiErrors.JSON.readTree(body);
      } catch (IOException e) {
        throw errors.malformed("a stream body that is neither SSE nor JSON", body, "", e);
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
      if (timedOut() && !answer.hasFinishReason()) {
        throw timeout();
      }
      if (!answer.hasFinishReason()) {
        // no [DONE] in Gemini's stream: a missing finish reason is the only sign of a cut
        String what =
            answer.responses() == 0
                ? "a body (" + contentType + ") that is not a Gemini stream: " + errors.quote(head.toByteArray())
                : "a stream that ended before a finish reason, after " + answer.text().length()
                    + " characters; the connection may have been cut, and the text so far is in partialText()";
        throw new BackendException(
            "Gemini at " + settings.baseUrl() + " sent " + what + " (model '" + modelId + "')",
            modelId, true, -1, null, answer.text(), null);
      }
      return answer.complete();
    }

    private BackendException timeout() {
      return new BackendException(
          "the stream from Gemini at " + settings.baseUrl() + " for model '" + modelId + "' went silent for more than "
              + settings.idleTimeout().toMillis() + " ms (or passed the total timeout of "
              + settings.totalTimeout().toSeconds() + " s); the text so far is in partialText()",
          modelId, true, -1, null, answer.text(), null);
    }

    private boolean timedOut() {
      return watch != null && watch.timedOut();
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

  private static JsonNode parseOrText(String value) {
    try {
      JsonNode n = GeminiErrors.JSON.readTree(value);
      return n != null && n.isObject() ? n : GeminiErrors.JSON.getNodeFactory().textNode(value);
    } catch (IOException e) {
      return GeminiErrors.JSON.getNodeFactory().textNode(value); // an error line in plain words
    }
  }

  // ---- the rest ---------------------------------------------------------------------------------

  /** Asks {@code GET v1beta/models/{model}}, which costs no tokens. */
  @Override
  public Health health() {
    if (closed || !transport.isStarted()) {
      return Health.unknown(closed ? "closed" : "not loaded");
    }
    URI uri = settings.modelUri("");
    HttpRequest request =
        HttpRequest.newBuilder(uri).timeout(settings.connectTimeout()).header(KEY_HEADER, settings.apiKey()).GET().build();
    try {
      HttpResponse<Void> response =
          transport.send(request, HttpResponse.BodyHandlers.discarding(), "Gemini at " + settings.baseUrl(), settings.connectTimeout());
      if (response.statusCode() / 100 == 2) {
        return Health.up("GET " + uri.getPath() + " answered HTTP " + response.statusCode());
      }
      return Health.down("GET " + uri.getPath() + " answered HTTP " + response.statusCode());
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
