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
import io.modelmux.http.internal.HttpTransport;
import io.modelmux.http.internal.SseEvent;
import io.modelmux.http.internal.SseEventParser;
import io.modelmux.http.internal.WireJson;
import io.modelmux.spi.Breaker;
import io.modelmux.spi.Capability;
import io.modelmux.spi.Completion;
import io.modelmux.spi.Footprint;
import io.modelmux.spi.Health;
import io.modelmux.spi.MessageText;
import io.modelmux.spi.ModelAdapter;
import io.modelmux.spi.ModelInfo;
import io.modelmux.spi.PromptText;
import io.modelmux.spi.TokenSink;
import java.io.IOException;
import java.net.http.HttpRequest;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
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
    this.replicas = new ReplicaSet(settings.baseUrls(), settings.replicaBreaker(), Clock.systemUTC(), modelId);
    this.transport = new HttpTransport(modelId, settings.http(), settings.secrets());
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
    long start = System.nanoTime();
    RuntimeException failure = null;
    try (HttpTransport.Exchange exchange = send(replica, body(request, false), false, request.timeLeft().orElse(null))) {
      if (exchange.status() / 100 != 2) {
        throw error(exchange, replica);
      }
      return completion(exchange.readAll(), replica);
    } catch (RuntimeException e) {
      failure = e;
      throw e;
    } finally {
      replicas.done(replica, System.nanoTime() - start, failure); // the replica's breaker judges the failure's class
    }
  }

  @Override
  public Completion stream(GenerateRequest request, TokenSink sink) {
    checkOpen();
    ReplicaSet.Replica replica = replicas.acquire();
    long start = System.nanoTime();
    RuntimeException failure = null;
    try (HttpTransport.Exchange exchange = send(replica, body(request, true), true, request.timeLeft().orElse(null))) {
      if (exchange.status() / 100 != 2) {
        throw error(exchange, replica);
      }
      return readStream(exchange, sink, replica);
    } catch (RuntimeException e) {
      failure = e;
      throw e;
    } finally {
      replicas.done(replica, System.nanoTime() - start, failure);
    }
  }

  // ---- transport -------------------------------------------------------------------------------

  private HttpTransport.Exchange send(ReplicaSet.Replica replica, byte[] body, boolean streamed, @Nullable Duration timeLeft) {
    HttpRequest.Builder b =
        HttpRequest.newBuilder(settings.chat() ? replica.chat : replica.completions)
            .header("Content-Type", "application/json")
            .header("Accept", streamed ? "text/event-stream" : "application/json")
            .POST(HttpRequest.BodyPublishers.ofByteArray(body));
    authorize(b);
    return transport.send(b, settings.versionFor(replica.baseUrl), replica.toString(), streamed, timeLeft);
  }

  /** Adds the key and the configured headers (which replace defaults of the same name). */
  private void authorize(HttpRequest.Builder b) {
    if (settings.apiKey() != null) {
      b.header("Authorization", "Bearer " + settings.apiKey());
    }
    settings.headers().forEach(b::setHeader);
  }

  private ModelMuxException error(HttpTransport.Exchange exchange, ReplicaSet.Replica replica) {
    return OpenAiErrors.forStatus(
        exchange.status(), exchange.readError(), exchange.headers().firstValue("retry-after").orElse(null),
        exchange.headers().firstValue("retry-after-ms").orElse(null), modelId, settings.model(), replica.toString(),
        settings.secrets());
  }

  /** Reads an SSE body to its end, with the idle and total timeouts and cancellation. */
  private Completion readStream(HttpTransport.Exchange exchange, TokenSink sink, ReplicaSet.Replica replica) {
    SseEventParser parser = new SseEventParser(settings.http().maxResponseBytes());
    StreamState state = new StreamState();
    StringBuilder text = new StringBuilder();
    sink.onCancel(exchange::cancel);
    byte[] buf = new byte[8192];
    while (!state.done) {
      int n = exchange.read(buf, text);
      if (exchange.isCancelled() || sink.isCancelled()) {
        return state.completion(text, FinishReason.CANCELLED);
      }
      List<SseEvent> events;
      try {
        events = n < 0 ? parser.finish() : parser.feed(buf, 0, n);
      } catch (SseEventParser.EventTooLargeException e) {
        throw exchange.eventTooLarge(text);
      }
      for (SseEvent event : events) {
        if (sink.isCancelled()) {
          return state.completion(text, FinishReason.CANCELLED);
        }
        handle(event, state, sink, replica, text);
        if (state.done) {
          break;
        }
      }
      if (n < 0) {
        break;
      }
    }
    if (sink.isCancelled()) {
      return state.completion(text, FinishReason.CANCELLED);
    }
    if (!state.done && state.finish == null) {
      throw new BackendException(
          "the stream from " + replica + " for model '" + modelId + "' ended before [DONE] and before a finish reason, after "
              + text.length() + " characters; the text so far is in partialText()",
          modelId, true, -1, null, text.toString(), null);
    }
    return state.completion(text, state.finish == null ? FinishReason.STOP : state.finish);
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
      throw OpenAiErrors.inStream(WireJson.parseOrText(errorField), modelId, replica.toString(), text.toString(), settings.secrets());
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
      chunk = WireJson.MAPPER.readTree(event.data());
    } catch (IOException e) {
      throw new BackendException(
          "the stream from " + replica + " for model '" + modelId + "' carried an event that is not JSON: "
              + MessageText.quote(event.data(), settings.secrets()),
          modelId, false, -1, null, text.toString(), null);
    }
    if (chunk == null || !chunk.isObject()) {
      return;
    }
    if (chunk.has("error") && !chunk.path("error").isNull()) {
      throw OpenAiErrors.inStream(chunk.path("error"), modelId, replica.toString(), text.toString(), settings.secrets());
    }
    if (chunk.path("object").asText().equals("error")) {
      throw OpenAiErrors.inStream(chunk, modelId, replica.toString(), text.toString(), settings.secrets());
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

  // ---- wire format -----------------------------------------------------------------------------

  private byte[] body(GenerateRequest request, boolean stream) {
    ObjectNode body = WireJson.MAPPER.createObjectNode();
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
      return WireJson.MAPPER.writeValueAsBytes(body);
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  private Completion completion(byte[] bytes, ReplicaSet.Replica replica) {
    JsonNode root;
    try {
      root = WireJson.MAPPER.readTree(bytes);
    } catch (IOException e) {
      throw OpenAiErrors.malformed("a body that is not JSON (" + WireJson.problem(e, settings.secrets()) + ")", bytes, modelId, replica.toString(), settings.secrets(), null);
    }
    if (root == null || !root.isObject()) {
      throw OpenAiErrors.malformed("a body that is not a JSON object", bytes, modelId, replica.toString(), settings.secrets(), null);
    }
    if (root.has("error") && !root.path("error").isNull()) {
      throw OpenAiErrors.inStream(root.path("error"), modelId, replica.toString(), "", settings.secrets());
    }
    JsonNode choice = root.path("choices").path(0);
    JsonNode content = settings.chat() ? choice.path("message").path("content") : choice.path("text");
    if (choice.isMissingNode() || !(content.isTextual() || content.isNull())) {
      throw OpenAiErrors.malformed("no choices[0]" + (settings.chat() ? ".message.content" : ".text"), bytes, modelId, replica.toString(), settings.secrets(), null);
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
      HttpRequest.Builder b = HttpRequest.newBuilder(r.models).GET();
      authorize(b);
      try {
        int status = transport.probe(b, settings.versionFor(r.baseUrl), r.toString());
        if (status / 100 != 2) {
          down.add(r + " (HTTP " + status + ")");
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

  /** Returns each replica's breaker by its base URL (which never holds credentials); none for one server. */
  @Override
  public Map<String, Breaker> replicaBreakers() {
    if (replicas.all().size() < 2) {
      return Map.of();
    }
    Map<String, Breaker> out = new LinkedHashMap<>();
    for (ReplicaSet.Replica r : replicas.all()) {
      out.put(r.toString(), r.breaker);
    }
    return out;
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
