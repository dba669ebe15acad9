package io.modelmux.gateway;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import io.modelmux.FinishReason;
import io.modelmux.GenerateResponse;
import io.modelmux.Usage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Collection;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;

/** Writes OpenAI's wire format: whole completions, stream chunks, errors and the model list. */
final class OpenAiJson {
  private static final JsonFactory JSON = new JsonFactory();

  private OpenAiJson() {}

  /** An id for one completion, as OpenAI's look: a prefix and 24 random characters. */
  static String newId(OpenAiRequest.Kind kind) {
    ThreadLocalRandom r = ThreadLocalRandom.current();
    return (kind == OpenAiRequest.Kind.CHAT ? "chatcmpl-" : "cmpl-")
        + Long.toString(r.nextLong() & Long.MAX_VALUE, 36)
        + Long.toString(r.nextLong() & Long.MAX_VALUE, 36);
  }

  static String finishReason(FinishReason reason) {
    switch (reason) {
      case LENGTH:
        return "length";
      case CONTENT_FILTER:
        return "content_filter";
      case TOOL_CALLS:
        return "tool_calls";
      default:
        return "stop";
    }
  }

  @FunctionalInterface
  private interface Body {
    void write(JsonGenerator g) throws IOException;
  }

  private static byte[] write(Body body) {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream(256);
    try (JsonGenerator g = JSON.createGenerator(bytes)) {
      body.write(g);
    } catch (IOException e) {
      throw new UncheckedIOException(e); // into memory: does not happen
    }
    return bytes.toByteArray();
  }

  /** A whole chat or text completion. */
  static byte[] completion(OpenAiRequest.Kind kind, String id, long created, GenerateResponse r) {
    return write(g -> {
      g.writeStartObject();
      head(g, kind == OpenAiRequest.Kind.CHAT ? "chat.completion" : "text_completion", id, created, r.model().toString());
      g.writeArrayFieldStart("choices");
      g.writeStartObject();
      g.writeNumberField("index", 0);
      if (kind == OpenAiRequest.Kind.CHAT) {
        g.writeObjectFieldStart("message");
        g.writeStringField("role", "assistant");
        g.writeStringField("content", r.text());
        g.writeEndObject();
      } else {
        g.writeStringField("text", r.text());
      }
      g.writeNullField("logprobs");
      g.writeStringField("finish_reason", finishReason(r.finishReason()));
      g.writeEndObject();
      g.writeEndArray();
      usage(g, r.usage());
      g.writeEndObject();
    });
  }

  /**
   * One stream chunk: a piece of text ({@code finish} null), or the last chunk with its finish
   * reason and no text. {@code usageNull} writes {@code "usage": null}, as OpenAI does in every
   * chunk but the usage one when the client asked for usage.
   */
  static byte[] chunk(
      OpenAiRequest.Kind kind, String id, long created, String model, boolean first,
      String text, @org.jspecify.annotations.Nullable String finish, boolean usageNull) {
    return event(write(g -> {
      g.writeStartObject();
      head(g, kind == OpenAiRequest.Kind.CHAT ? "chat.completion.chunk" : "text_completion", id, created, model);
      g.writeArrayFieldStart("choices");
      g.writeStartObject();
      g.writeNumberField("index", 0);
      if (kind == OpenAiRequest.Kind.CHAT) {
        g.writeObjectFieldStart("delta");
        if (first) {
          g.writeStringField("role", "assistant");
        }
        if (finish == null || !text.isEmpty()) {
          g.writeStringField("content", text);
        }
        g.writeEndObject();
      } else {
        g.writeStringField("text", text);
      }
      g.writeNullField("logprobs");
      if (finish == null) {
        g.writeNullField("finish_reason");
      } else {
        g.writeStringField("finish_reason", finish);
      }
      g.writeEndObject();
      g.writeEndArray();
      if (usageNull) {
        g.writeNullField("usage");
      }
      g.writeEndObject();
    }));
  }

  /** The chunk that carries a stream's usage: no choices. */
  static byte[] usageChunk(OpenAiRequest.Kind kind, String id, long created, String model, Optional<Usage> usage) {
    return event(write(g -> {
      g.writeStartObject();
      head(g, kind == OpenAiRequest.Kind.CHAT ? "chat.completion.chunk" : "text_completion", id, created, model);
      g.writeArrayFieldStart("choices");
      g.writeEndArray();
      usage(g, usage);
      g.writeEndObject();
    }));
  }

  static final byte[] DONE = "data: [DONE]\n\n".getBytes(java.nio.charset.StandardCharsets.US_ASCII);

  /** OpenAI's error object. */
  static byte[] error(ApiError e) {
    return write(g -> {
      g.writeStartObject();
      g.writeObjectFieldStart("error");
      g.writeStringField("message", e.message());
      g.writeStringField("type", e.type());
      if (e.param() == null) {
        g.writeNullField("param");
      } else {
        g.writeStringField("param", e.param());
      }
      if (e.code() == null) {
        g.writeNullField("code");
      } else {
        g.writeStringField("code", e.code());
      }
      g.writeEndObject();
      g.writeEndObject();
    });
  }

  /** An error as a stream event, for a failure after the stream began. */
  static byte[] errorEvent(ApiError e) {
    return event(error(e));
  }

  /** {@code GET /v1/models}: every name a request may give, each once. */
  static byte[] models(Collection<ModelName> names, long created) {
    return write(g -> {
      g.writeStartObject();
      g.writeStringField("object", "list");
      g.writeArrayFieldStart("data");
      for (ModelName n : names) {
        model(g, n, created);
      }
      g.writeEndArray();
      g.writeEndObject();
    });
  }

  /** {@code GET /v1/models/{name}}: one name. */
  static byte[] model(ModelName name, long created) {
    return write(g -> model(g, name, created));
  }

  private static void model(JsonGenerator g, ModelName n, long created) throws IOException {
    g.writeStartObject();
    g.writeStringField("id", n.name());
    g.writeStringField("object", "model");
    g.writeNumberField("created", created);
    g.writeStringField("owned_by", "modelmux");
    g.writeStringField("modelmux_kind", n.kind());
    g.writeStringField("modelmux_target", n.target());
    g.writeEndObject();
  }

  /** {@code GET /health}: the gateway's state and its models'. */
  static byte[] health(String status, int models, long loaded, java.util.List<String> openCircuits) {
    return write(g -> {
      g.writeStartObject();
      g.writeStringField("status", status);
      g.writeNumberField("models", models);
      g.writeNumberField("loaded", loaded);
      g.writeArrayFieldStart("open_circuits");
      for (String m : openCircuits) {
        g.writeString(m);
      }
      g.writeEndArray();
      g.writeEndObject();
    });
  }

  /** A name in the model list: a model id, an {@code id@version}, an alias or a route. */
  record ModelName(String name, String kind, String target) {}

  private static void head(JsonGenerator g, String object, String id, long created, String model)
      throws IOException {
    g.writeStringField("id", id);
    g.writeStringField("object", object);
    g.writeNumberField("created", created);
    g.writeStringField("model", model);
  }

  private static void usage(JsonGenerator g, Optional<Usage> usage) throws IOException {
    if (usage.isEmpty()) {
      g.writeNullField("usage");
      return;
    }
    Usage u = usage.get();
    g.writeObjectFieldStart("usage");
    g.writeNumberField("prompt_tokens", u.promptTokens());
    g.writeNumberField("completion_tokens", u.completionTokens());
    g.writeNumberField("total_tokens", u.totalTokens());
    g.writeEndObject();
  }

  private static byte[] event(byte[] json) {
    byte[] out = new byte[json.length + 8];
    System.arraycopy("data: ".getBytes(java.nio.charset.StandardCharsets.US_ASCII), 0, out, 0, 6);
    System.arraycopy(json, 0, out, 6, json.length);
    out[out.length - 2] = '\n';
    out[out.length - 1] = '\n';
    return out;
  }
}
