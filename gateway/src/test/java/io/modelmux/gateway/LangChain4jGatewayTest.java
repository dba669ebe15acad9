package io.modelmux.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.langchain4j.data.message.SystemMessage;
import dev.langchain4j.data.message.UserMessage;
import dev.langchain4j.exception.AuthenticationException;
import dev.langchain4j.exception.ModelNotFoundException;
import dev.langchain4j.exception.RateLimitException;
import dev.langchain4j.model.chat.request.ChatRequest;
import dev.langchain4j.model.chat.response.ChatResponse;
import dev.langchain4j.model.chat.response.StreamingChatResponseHandler;
import dev.langchain4j.model.openai.OpenAiChatModel;
import dev.langchain4j.model.openai.OpenAiStreamingChatModel;
import dev.langchain4j.model.output.FinishReason;
import io.modelmux.RateLimitedException;
import io.modelmux.RetryPolicy;
import io.modelmux.RouteConfig;
import io.modelmux.spi.ModelSpec;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** LangChain4j's OpenAI clients, unchanged, against a running gateway. */
class LangChain4jGatewayTest extends GatewayTestBase {
  private static final String KEY = "sk-lc4j-test-key-123";

  @BeforeEach
  void startGateway() {
    poet("poet");
    backends.on("throttled", (call, request, sink) -> {
      throw new RateLimitedException("throttled answered 429", "throttled", 429, java.time.Duration.ofSeconds(2), null);
    });
    manager = builder()
        .model(ModelSpec.builder("poet", "scripted").version("1").build())
        .model(ModelSpec.builder("throttled", "scripted").retry(RetryPolicy.none()).build())
        .route(RouteConfig.builder("chat").target("poet@1").build())
        .build();
    gateway = gatewayBuilder().apiKeys(List.of(KEY)).build().start();
  }

  private OpenAiChatModel chatModel(String model, String key) {
    return OpenAiChatModel.builder().baseUrl(gateway.uri() + "/v1").apiKey(key).modelName(model)
        .maxRetries(0).build();
  }

  private OpenAiStreamingChatModel streamingModel(String model) {
    return OpenAiStreamingChatModel.builder().baseUrl(gateway.uri() + "/v1").apiKey(KEY).modelName(model)
        .build();
  }

  @Test
  void should_answer_langchain4j_openai_chat_model_through_a_route() {
    ChatResponse r = chatModel("chat", KEY).chat(ChatRequest.builder()
        .messages(SystemMessage.from("be brief"), UserMessage.from("to be or not"))
        .temperature(0.0).maxOutputTokens(20).build());

    assertThat(r.aiMessage().text()).isEqualTo("You said: not or be to");
    assertThat(r.finishReason()).isEqualTo(FinishReason.STOP);
    assertThat(r.tokenUsage().inputTokenCount()).isEqualTo(3);
    assertThat(r.tokenUsage().outputTokenCount()).isEqualTo(6);
    assertThat(r.metadata().modelName()).isEqualTo("poet@1");
    assertThat(chatModel("poet", KEY).chat("hello there")).isEqualTo("You said: there hello");
  }

  @Test
  void should_stream_to_langchain4j_openai_streaming_chat_model() throws Exception {
    List<String> pieces = new CopyOnWriteArrayList<>();
    CompletableFuture<ChatResponse> done = new CompletableFuture<>();

    streamingModel("poet@1").chat("one two three", new StreamingChatResponseHandler() {
      @Override
      public void onPartialResponse(String partial) {
        pieces.add(partial);
      }

      @Override
      public void onCompleteResponse(ChatResponse response) {
        done.complete(response);
      }

      @Override
      public void onError(Throwable error) {
        done.completeExceptionally(error);
      }
    });

    ChatResponse r = done.get(20, TimeUnit.SECONDS);
    assertThat(String.join("", pieces)).isEqualTo("You said: three two one");
    assertThat(pieces).hasSizeGreaterThan(1);
    assertThat(r.aiMessage().text()).isEqualTo("You said: three two one");
    assertThat(r.finishReason()).isEqualTo(FinishReason.STOP);
  }

  @Test
  void should_give_langchain4j_its_own_typed_errors() {
    assertThatThrownBy(() -> chatModel("poett", KEY).chat("x"))
        .isInstanceOf(ModelNotFoundException.class)
        .hasMessageContaining("poet@1");
    assertThatThrownBy(() -> chatModel("poet", "sk-wrong").chat("x"))
        .isInstanceOf(AuthenticationException.class);
    assertThatThrownBy(() -> chatModel("throttled", KEY).chat("x"))
        .isInstanceOf(RateLimitException.class);
  }

  @Test
  void should_pass_a_streaming_failure_to_langchain4j_handler() throws Exception {
    CompletableFuture<Throwable> failed = new CompletableFuture<>();
    streamingModel("nope").chat("x", new StreamingChatResponseHandler() {
      @Override
      public void onPartialResponse(String partial) {}

      @Override
      public void onCompleteResponse(ChatResponse response) {
        failed.completeExceptionally(new AssertionError("completed: " + response));
      }

      @Override
      public void onError(Throwable error) {
        failed.complete(error);
      }
    });

    assertThat(failed.get(20, TimeUnit.SECONDS)).isInstanceOf(ModelNotFoundException.class);
  }
}
