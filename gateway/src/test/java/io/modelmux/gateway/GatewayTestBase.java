package io.modelmux.gateway;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.modelmux.ChatMessage;
import io.modelmux.FinishReason;
import io.modelmux.GenerateRequest;
import io.modelmux.Usage;
import io.modelmux.spi.Completion;
import io.modelmux.spi.TokenSink;
import io.modelmux.testing.ScriptedManagerTest;
import io.modelmux.testing.ScriptedModelFactory;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterEach;

/** A gateway on loopback in front of scripted models, and a plain HTTP client to call it. */
abstract class GatewayTestBase extends ScriptedManagerTest {
  static final ObjectMapper JSON = new ObjectMapper();
  protected Gateway gateway;
  protected final HttpClient http = HttpClient.newBuilder()
      .version(HttpClient.Version.HTTP_1_1)
      .connectTimeout(Duration.ofSeconds(5))
      .build();

  @AfterEach
  void closeGateway() {
    if (gateway != null) {
      gateway.close();
    }
  }

  /** The text model "poet" answers: the last message's words, reversed, streamed a word a piece. */
  static String poem(GenerateRequest request) {
    String said = request.isChat()
        ? request.messages().get(request.messages().size() - 1).content()
        : request.prompt().orElse("");
    List<String> words = new ArrayList<>(List.of(said.trim().split("\\s+")));
    java.util.Collections.reverse(words);
    return "You said: " + String.join(" ", words);
  }

  /** Scripts {@code id} to answer {@link #poem} word by word, with usage. */
  protected void poet(String id) {
    backends.on(id, (call, request, sink) -> speak(poem(request), sink));
  }

  static Completion speak(String text, @Nullable TokenSink sink) {
    if (sink != null) {
      String[] words = text.split(" ");
      for (int i = 0; i < words.length && !sink.isCancelled(); i++) {
        sink.accept(i == 0 ? words[i] : " " + words[i]);
      }
    }
    return Completion.builder().text(text).finishReason(FinishReason.STOP)
        .usage(new Usage(3, text.split(" ").length)).build();
  }

  /**
   * A model that streams {@code piece} every {@code pauseMillis} (its pace) until its stream is
   * cancelled, then counts that in {@code cancelled}; asked for a whole answer, it says {@code piece}.
   */
  static ScriptedModelFactory.Script untilCancelled(String piece, long pauseMillis, AtomicInteger cancelled) {
    return (call, request, sink) -> {
      if (sink == null) {
        return speak(piece, null);
      }
      while (!sink.isCancelled()) {
        sink.accept(piece);
        try {
          Thread.sleep(pauseMillis);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }
      cancelled.incrementAndGet();
      return speak("", null);
    };
  }

  protected Gateway.Builder gatewayBuilder() {
    return Gateway.builder(manager).port(0);
  }

  protected void start() {
    gateway = gatewayBuilder().build().start();
  }

  protected URI uri(String path) {
    return URI.create(gateway.uri() + path);
  }

  protected HttpResponse<String> post(String path, String body, String... headers) {
    HttpRequest.Builder b = HttpRequest.newBuilder(uri(path))
        .timeout(Duration.ofSeconds(30))
        .header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(body));
    if (headers.length > 0) {
      b.headers(headers);
    }
    return send(b.build());
  }

  protected HttpResponse<String> get(String path, String... headers) {
    HttpRequest.Builder b = HttpRequest.newBuilder(uri(path)).timeout(Duration.ofSeconds(30)).GET();
    if (headers.length > 0) {
      b.headers(headers);
    }
    return send(b.build());
  }

  protected HttpResponse<String> send(HttpRequest request) {
    try {
      return http.send(request, HttpResponse.BodyHandlers.ofString());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  /** Writes a chat completion request by hand: its head, then its body unless {@code withBody} is false. */
  static void sendRaw(Socket socket, String body, boolean withBody, String... headerLines) throws IOException {
    byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
    StringBuilder head = new StringBuilder("POST /v1/chat/completions HTTP/1.1\r\nHost: localhost\r\n"
        + "Content-Type: application/json\r\nContent-Length: " + bytes.length + "\r\n");
    for (String line : headerLines) {
      head.append(line).append("\r\n");
    }
    ByteArrayOutputStream all = new ByteArrayOutputStream();
    all.writeBytes(head.append("\r\n").toString().getBytes(StandardCharsets.ISO_8859_1));
    if (withBody) {
      all.writeBytes(bytes);
    }
    OutputStream out = socket.getOutputStream();
    out.write(all.toByteArray()); // one write: head and body arrive together
    out.flush();
  }

  /** One HTTP/1.1 answer read by hand: its status line, its headers (names in lower case), its body. */
  record RawAnswer(String status, Map<String, String> headers, String body) {}

  /** Reads one answer that has a Content-Length. */
  static RawAnswer readAnswer(InputStream in) throws IOException {
    ByteArrayOutputStream head = new ByteArrayOutputStream();
    while (!head.toString(StandardCharsets.ISO_8859_1).endsWith("\r\n\r\n")) {
      int b = in.read();
      if (b < 0) {
        throw new EOFException("the connection ended after " + head.size() + " bytes of an answer");
      }
      head.write(b);
    }
    String[] lines = head.toString(StandardCharsets.ISO_8859_1).split("\r\n");
    Map<String, String> headers = new HashMap<>();
    for (int i = 1; i < lines.length; i++) {
      int colon = lines[i].indexOf(':');
      if (colon > 0) {
        headers.put(lines[i].substring(0, colon).trim().toLowerCase(Locale.ROOT), lines[i].substring(colon + 1).trim());
      }
    }
    int length = Integer.parseInt(headers.getOrDefault("content-length", "0"));
    return new RawAnswer(lines[0], headers, new String(in.readNBytes(length), StandardCharsets.UTF_8));
  }

  static String chat(String model, String content, boolean stream) {
    return "{\"model\":\"" + model + "\",\"messages\":[{\"role\":\"user\",\"content\":\"" + content
        + "\"}]" + (stream ? ",\"stream\":true,\"stream_options\":{\"include_usage\":true}" : "") + "}";
  }

  static JsonNode json(String body) {
    try {
      return JSON.readTree(body);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The {@code data:} payloads of a server-sent event stream, in order. */
  static List<String> events(String body) {
    List<String> out = new ArrayList<>();
    for (String block : body.split("\n\n")) {
      if (block.startsWith("data: ")) {
        out.add(block.substring(6));
      } else if (!block.isBlank()) {
        throw new AssertionError("not an SSE data event: " + block);
      }
    }
    return out;
  }

  /** The text of a chat stream's content deltas, joined. */
  static String streamedText(List<String> events) {
    StringBuilder text = new StringBuilder();
    for (String e : events) {
      if (e.equals("[DONE]")) {
        continue;
      }
      JsonNode chunk = json(e);
      for (JsonNode choice : chunk.path("choices")) {
        JsonNode piece = choice.has("delta") ? choice.path("delta").path("content") : choice.path("text");
        if (piece.isTextual()) {
          text.append(piece.textValue());
        }
      }
    }
    return text.toString();
  }

  static ChatMessage user(String text) {
    return ChatMessage.user(text);
  }
}
