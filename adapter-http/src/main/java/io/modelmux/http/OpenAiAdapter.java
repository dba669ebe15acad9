package io.modelmux.http;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.modelmux.BackendException;
import io.modelmux.ChatMessage;
import io.modelmux.FinishReason;
import io.modelmux.GenerateOptions;
import io.modelmux.GenerateRequest;
import io.modelmux.ModelMuxException;
import io.modelmux.ModelRef;
import io.modelmux.Usage;
import io.modelmux.http.internal.SseEvent;
import io.modelmux.http.internal.HttpTransport;
import io.modelmux.http.internal.SseEventParser;
import io.modelmux.spi.Capability;
import io.modelmux.spi.Completion;
import io.modelmux.spi.Footprint;
import io.modelmux.spi.Health;
import io.modelmux.spi.ModelAdapter;
import io.modelmux.spi.ModelInfo;
import io.modelmux.spi.PromptText;
import io.modelmux.spi.TokenSink;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicBoolean;
import org.jspecify.annotations.Nullable;

/**
 * A model behind OpenAI-compatible servers: {@code POST {base_url}/chat/completions} (or
 * {@code /completions}) over one {@link HttpClient} (HTTP/2 where the server offers it,
 * connections reused), plain or streamed as server-sent events, spread over replicas. The
 * adapter does not retry: it marks in each exception whether a retry may help.
 */
final class OpenAiAdapter implements ModelAdapter {
  private final ModelInfo info;
  private final OpenAiSettings settings;
  private final String modelId;
  private final ReplicaSet replicas;
  private final HttpTransport transport;
  private volatile boolean closed;

  OpenAiAdapter(ModelRef ref, OpenAiSettings settings) {
    this.info = new ModelInfo(ref, "openai", EnumSet.of(Capability.STREAMING, Capability.CHAT));
    this.settings = settings;
    this.modelId = ref.id();
    this.replicas = new ReplicaSet(settings.baseUrls(), settings.maxFailures(), settings.ejectFor(), System::nanoTime);
    this.transport = new HttpTransport(modelId, settings.connectTimeout(), settings.httpVersion());
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
    checkOpen();
    ReplicaSet.Replica replica = replicas.acquire();
    boolean failed = false;
    try {
      HttpResponse<byte[]> response = send(replica, body(request, false), HttpResponse.BodyHandlers.ofByteArray(), true);
      if (response.statusCode() / 100 != 2) {
        failed = response.statusCode() >= 500 || response.statusCode() == 408;
        throw error(response.statusCode(), response.body(), response.headers(), replica);
      }
      return completion(response.body(), replica);
    } catch (ModelMuxException e) {
      failed |= e instanceof BackendException && e.isRetryable() && e.statusCode().isEmpty();
      throw e;
    } finally {
      replicas.done(replica, failed);
    }
  }

  @Override
  public Completion stream(GenerateRequest request, TokenSink sink) {
    checkOpen();
    ReplicaSet.Replica replica = replicas.acquire();
    boolean failed = false;
    StringBuilder text = new StringBuilder();
    try {
      HttpResponse<InputStream> response =
          send(replica, body(request, true), HttpResponse.BodyHandlers.ofInputStream(), false);
      if (response.statusCode() / 100 != 2) {
        byte[] body;
        try (InputStream in = response.body()) {
          body = in.readNBytes(64 * 1024);
        } catch (IOException e) {
          body = new byte[0];
        }
        failed = response.statusCode() >= 500 || response.statusCode() == 408;
        throw error(response.statusCode(), body, response.headers(), replica);
      }
      return readStream(response.body(), sink, replica, text);
    } catch (ModelMuxException e) {
      failed |= e instanceof BackendException && e.isRetryable();
      throw e;
    } finally {
      replicas.done(replica, failed);
    }
  }

  // ---- transport -------------------------------------------------------------------------------

  private <T> HttpResponse<T> send(ReplicaSet.Replica replica, byte[] body, HttpResponse.BodyHandler<T> handler, boolean whole) {
    URI uri = settings.chat() ? replica.chat : replica.completions;
    Duration timeout = whole ? settings.totalTimeout() : settings.firstByteTimeout();
    HttpRequest.Builder b =
        HttpRequest.newBuilder(uri)
            .timeout(timeout)
            .header("Content-Type", "application/json")
            .header("Accept", whole ? "application/json" : "text/event-stream")
            .POST(HttpRequest.BodyPublishers.ofByteArray(body));
    if (settings.apiKey() != null) {
      b.header("Authorization", "Bearer " + settings.apiKey());
    }
    settings.headers().forEach(b::header);
    return transport.send(b.build(), handler, replica.toString(), timeout);
  }

  private ModelMuxException error(int status, byte[] body, java.net.http.HttpHeaders headers, ReplicaSet.Replica replica) {
    return OpenAiErrors.forStatus(
        status, body, headers.firstValue("retry-after").orElse(null), headers.firstValue("retry-after-ms").orElse(null),
        modelId, settings.model(), replica.toString());
  }

  /** Reads an SSE body to its end, with the idle and total timeouts and cancellation. */
  private Completion readStream(InputStream in, TokenSink sink, ReplicaSet.Replica replica, StringBuilder text) {
    SseEventParser parser = new SseEventParser();
    StreamState state = new StreamState();
    HttpTransport.Watch watch = transport.watch(in, settings.idleTimeout(), settings.totalTimeout());
    AtomicBoolean cancelled = new AtomicBoolean();
    sink.onCancel(
        () -> {
          cancelled.set(true);
          HttpTransport.closeQuietly(in); // closes the connection: the server stops generating
        });
    byte[] buf = new byte[8192];
    try (in) {
      while (!state.done) {
        int n;
        try {
          n = in.read(buf);
        } catch (IOException e) {
          if (cancelled.get()) {
            return state.completion(text, FinishReason.CANCELLED);
          }
          if (watch.timedOut()) {
            throw timeout(replica, text);
          }
          throw new BackendException(
              "the stream from " + replica + " for model '" + modelId + "' broke after " + text.length() + " characters: "
                  + e + "; the text so far is in partialText()",
              modelId, true, -1, null, text.toString(), e);
        }
        if (n < 0) {
          for (SseEvent event : parser.finish()) {
            handle(event, state, sink, replica, text);
          }
          break;
        }
        watch.touch();
        for (SseEvent event : parser.feed(buf, 0, n)) {
          if (sink.isCancelled()) {
            return state.completion(text, FinishReason.CANCELLED);
          }
          handle(event, state, sink, replica, text);
          if (state.done) {
            break;
          }
        }
        if (sink.isCancelled()) {
          return state.completion(text, FinishReason.CANCELLED);
        }
      }
    } catch (IOException e) {
      // closing the stream failed; what was read stands
    } finally {
      watch.close();
    }
    if (cancelled.get()) {
      return state.completion(text, FinishReason.CANCELLED);
    }
    if (watch.timedOut() && !state.done) {
      throw timeout(replica, text);
    }
    if (!state.done && state.finish == null) {
      throw new BackendException(
          "the stream from " + replica + " for model '" + modelId + "' ended before [DONE] and before a finish reason, after "
              + text.length() + " characters; the text so far is in partialText()",
          modelId, true, -1, null, text.toString(), null);
    }
    return state.completion(text, state.finish == null ? FinishReason.STOP : state.finish);
  }

  private BackendException timeout(ReplicaSet.Replica replica, StringBuilder text) {
    return new BackendException(
        "the stream from " + replica + " for model '" + modelId + "' went silent for more than "
            + settings.idleTimeout().toMillis() + " ms (or passed the total timeout of " + settings.totalTimeout().toSeconds()
            + " s); the text so far is in partialText()",
        modelId, true, -1, null, text.toString(), null);
  }

  /** What a stream has said so far besides its text. */
  private static final class StreamState {
    boolean done;
    @Nullable FinishReason finish;
    @Nullable Usage usage;
    @Nullable String backendModel;

    Completion completion(StringBuilder text, FinishReason reason) {
      return Completion.builder().text(text.toString()).finishReason(reason).usage(usage).backendModel(backendModel).build();
    }
  }

  private void handle(SseEvent event, StreamState state, TokenSink sink, ReplicaSet.Replica replica, StringBuilder text) {
    String errorField = event.otherFields().get("error");
    if (errorField != null) { // older llama.cpp: an "error:" field line
      throw OpenAiErrors.inStream(parseOrText(errorField), modelId, replica.toString(), text.toString());
    }
    if (!event.hasData()) {
      return;
    }
    if (event.isDone()) {
      state.done = true;
      return;
    }
    JsonNode chunk;
    try {
      chunk = OpenAiErrors.JSON.readTree(event.data());
    } catch (IOException e) {
      throw new BackendException(
          "the stream from " + replica + " for model '" + modelId + "' carried an event that is not JSON: "
              + OpenAiErrors.quote(event.data().getBytes(java.nio.charset.StandardCharsets.UTF_8)),
          modelId, false, -1, null, text.toString(), e);
    }
    if (chunk == null || !chunk.isObject()) {
      return;
    }
    if (chunk.has("error") && !chunk.path("error").isNull()) {
      throw OpenAiErrors.inStream(chunk.path("error"), modelId, replica.toString(), text.toString());
    }
    if (chunk.path("object").asText().equals("error")) {
      throw OpenAiErrors.inStream(chunk, modelId, replica.toString(), text.toString());
    }
    if (chunk.path("model").isTextual()) {
      state.backendModel = chunk.path("model").asText();
    }
    Usage usage = usage(chunk.path("usage"));
    if (usage != null) {
      state.usage = usage;
    }
    for (JsonNode choice : chunk.path("choices")) {
      if (choice.path("index").asInt(0) != 0) {
        continue;
      }
      JsonNode piece = settings.chat() ? choice.path("delta").path("content") : choice.path("text");
      if (piece.isTextual() && !piece.asText().isEmpty()) {
        text.append(piece.asText());
        sink.accept(piece.asText());
      }
      FinishReason finish = finishReason(choice.path("finish_reason"));
      if (finish != null) {
        state.finish = finish;
      }
    }
  }

  private static JsonNode parseOrText(String value) {
    try {
      JsonNode n = OpenAiErrors.JSON.readTree(value);
      return n != null ? n : OpenAiErrors.JSON.getNodeFactory().textNode(value);
    } catch (IOException e) {
      return OpenAiErrors.JSON.getNodeFactory().textNode(value);
    }
  }

  // ---- wire format -----------------------------------------------------------------------------

  private byte[] body(GenerateRequest request, boolean stream) {
    ObjectNode body = OpenAiErrors.JSON.createObjectNode();
    body.put("model", settings.model());
    if (settings.chat()) {
      ArrayNode messages = body.putArray("messages");
      if (request.prompt().isPresent()) {
        messages.addObject().put("role", "user").put("content", request.prompt().get());
      } else {
        for (ChatMessage m : request.messages()) {
          messages.addObject().put("role", m.role().name().toLowerCase(Locale.ROOT)).put("content", m.content());
        }
      }
    } else {
      body.put("prompt", PromptText.of(request));
    }
    GenerateOptions o = request.options();
    o.maxTokens().ifPresent(n -> body.put("max_tokens", n));
    o.temperature().ifPresent(t -> body.put("temperature", t));
    o.topP().ifPresent(p -> body.put("top_p", p));
    o.topK().ifPresent(k -> body.put("top_k", k)); // vLLM, TGI, Ollama and llama.cpp accept it
    if (!o.stop().isEmpty()) {
      ArrayNode stop = body.putArray("stop");
      o.stop().forEach(stop::add);
    }
    o.seed().ifPresent(s -> body.put("seed", s));
    if (stream) {
      body.put("stream", true);
      body.putObject("stream_options").put("include_usage", true);
    }
    try {
      return OpenAiErrors.JSON.writeValueAsBytes(body);
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  private Completion completion(byte[] bytes, ReplicaSet.Replica replica) {
    JsonNode root;
    try {
      root = OpenAiErrors.JSON.readTree(bytes);
    } catch (IOException e) {
      throw OpenAiErrors.malformed("a body that is not JSON", bytes, modelId, replica.toString(), e);
    }
    if (root == null || !root.isObject()) {
      throw OpenAiErrors.malformed("a body that is not a JSON object", bytes, modelId, replica.toString(), null);
    }
    if (root.has("error") && !root.path("error").isNull()) {
      throw OpenAiErrors.inStream(root.path("error"), modelId, replica.toString(), "");
    }
    JsonNode choice = root.path("choices").path(0);
    JsonNode content = settings.chat() ? choice.path("message").path("content") : choice.path("text");
    if (choice.isMissingNode() || !(content.isTextual() || content.isNull())) {
      throw OpenAiErrors.malformed("no choices[0]" + (settings.chat() ? ".message.content" : ".text"), bytes, modelId, replica.toString(), null);
    }
    FinishReason finish = finishReason(choice.path("finish_reason"));
    return Completion.builder()
        .text(content.isTextual() ? content.asText() : "")
        .finishReason(finish == null ? FinishReason.STOP : finish)
        .usage(usage(root.path("usage")))
        .backendModel(root.path("model").isTextual() ? root.path("model").asText() : null)
        .build();
  }

  static @Nullable Usage usage(JsonNode usage) {
    if (!usage.isObject() || !usage.path("prompt_tokens").isNumber()) {
      return null;
    }
    return new Usage(usage.path("prompt_tokens").asLong(), Math.max(0, usage.path("completion_tokens").asLong()));
  }

  /** Maps the finish reasons servers use; null when there is none yet. */
  static @Nullable FinishReason finishReason(JsonNode node) {
    if (!node.isTextual()) {
      return null;
    }
    switch (node.asText().toLowerCase(Locale.ROOT)) {
      case "stop":
      case "eos":
      case "eos_token":
      case "end_turn":
        return FinishReason.STOP;
      case "stop_sequence":
        return FinishReason.STOP_SEQUENCE;
      case "length":
      case "max_tokens":
      case "model_length":
        return FinishReason.LENGTH;
      case "content_filter":
        return FinishReason.CONTENT_FILTER;
      case "tool_calls":
      case "function_call":
        return FinishReason.TOOL_CALLS;
      default:
        return FinishReason.OTHER;
    }
  }

  // ---- the rest ---------------------------------------------------------------------------------

  /** Asks every replica's {@code GET /models}; costs no tokens. */
  @Override
  public Health health() {
    if (closed || !transport.isStarted()) {
      return Health.unknown(closed ? "closed" : "not loaded");
    }
    List<String> down = new ArrayList<>();
    for (ReplicaSet.Replica r : replicas.all()) {
      HttpRequest.Builder b = HttpRequest.newBuilder(r.models).timeout(settings.connectTimeout()).GET();
      if (settings.apiKey() != null) {
        b.header("Authorization", "Bearer " + settings.apiKey());
      }
      settings.headers().forEach(b::header);
      try {
        HttpResponse<Void> response =
            transport.send(b.build(), HttpResponse.BodyHandlers.discarding(), r.toString(), settings.connectTimeout());
        if (response.statusCode() / 100 != 2) {
          down.add(r + " (HTTP " + response.statusCode() + ")");
        }
      } catch (BackendException e) {
        down.add(r + " (" + (e.getCause() == null ? "failed" : e.getCause().getClass().getSimpleName()) + ")");
      }
    }
    if (down.isEmpty()) {
      return Health.up(replicas.all().size() + " replica(s) answer GET /models");
    }
    return down.size() == replicas.all().size() ? Health.down("down: " + String.join(", ", down)) : Health.up("partly down: " + String.join(", ", down));
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

  private void checkOpen() {
    if (closed) {
      throw new IllegalStateException("model '" + modelId + "' is closed");
    }
  }
}
