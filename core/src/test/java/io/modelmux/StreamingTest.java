package io.modelmux;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.modelmux.spi.ModelSpec;
import io.modelmux.testing.GateModelFactory;
import io.modelmux.testing.MutableClock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class StreamingTest {
  private MultiModelManager manager;

  @AfterEach
  void close() {
    if (manager != null) {
      manager.close();
    }
  }

  private MultiModelManager.Builder builder() {
    return MultiModelManager.builder()
        .environment(name -> null)
        .model(ModelSpec.builder("m", "echo").version("1").build());
  }

  /** Records what a listener is told, and checks it is told in order and ended once. */
  static final class Recorder implements StreamListener {
    final List<String> pieces = new ArrayList<>();
    final CompletableFuture<GenerateResponse> done = new CompletableFuture<>();
    final AtomicInteger ends = new AtomicInteger();

    @Override
    public synchronized void onToken(String text) {
      assertThat(done).isNotDone();
      pieces.add(text);
    }

    @Override
    public void onComplete(GenerateResponse response) {
      ends.incrementAndGet();
      done.complete(response);
    }

    @Override
    public void onError(ModelMuxException error) {
      ends.incrementAndGet();
      done.completeExceptionally(error);
    }
  }

  @Test
  void should_stream_pieces_that_join_into_the_generated_text() throws Exception {
    manager = builder().build();
    GenerateRequest request = GenerateRequest.of("m", "one two three");
    Recorder recorder = new Recorder();

    StreamHandle handle = manager.stream(request, recorder);
    GenerateResponse streamed = recorder.done.get(10, TimeUnit.SECONDS);

    assertThat(recorder.pieces).containsExactly("m@1:", " one", " two", " three");
    assertThat(String.join("", recorder.pieces)).isEqualTo(streamed.text());
    assertThat(streamed.text()).isEqualTo(manager.generate(request).text());
    assertThat(streamed.timeToFirstToken()).isPresent();
    assertThat(streamed.timeToFirstToken().get()).isLessThanOrEqualTo(streamed.latency());
    assertThat(handle.isDone()).isTrue();
    assertThat(handle.completion().get()).isSameAs(streamed);
    assertThat(recorder.ends).hasValue(1);
  }

  @Test
  void should_stream_as_a_blocking_iterable() {
    manager = builder().build();

    List<String> pieces = new ArrayList<>();
    GenerateResponse response;
    try (TokenStream tokens = manager.stream(GenerateRequest.of("m", "to be or"))) {
      for (String piece : tokens) {
        pieces.add(piece);
      }
      response = tokens.response();
    }

    assertThat(String.join("", pieces)).isEqualTo("m@1: to be or").isEqualTo(response.text());
    assertThat(response.finishReason()).isEqualTo(FinishReason.STOP);
  }

  @Test
  void should_throw_the_stream_failure_from_the_iterator() {
    manager = builder().build();

    TokenStream unknown = manager.stream(GenerateRequest.of("nope", "x"));
    assertThatThrownBy(() -> unknown.iterator().hasNext()).isInstanceOf(UnknownModelException.class);
    assertThatThrownBy(unknown::response).isInstanceOf(UnknownModelException.class);

    TokenStream failing = manager.stream(GenerateRequest.of("m", "a FAIL"));
    Iterator<String> it = failing.iterator();
    assertThatThrownBy(
            () -> {
              while (it.hasNext()) {
                it.next();
              }
            })
        .isInstanceOf(BackendException.class);
    assertThatThrownBy(failing::iterator).isInstanceOf(IllegalStateException.class);
  }

  @Test
  void should_report_an_unknown_model_to_the_listener_not_the_caller() throws Exception {
    manager = builder().build();
    Recorder recorder = new Recorder();

    StreamHandle handle = manager.stream(GenerateRequest.of("nope", "x"), recorder);

    assertThat(recorder.done).failsWithin(Duration.ofSeconds(10));
    assertThat(handle.completion()).failsWithin(Duration.ofSeconds(10));
    assertThat(recorder.ends).hasValue(1);
  }

  @Test
  void should_end_a_cancelled_stream_with_the_text_so_far() throws Exception {
    GateModelFactory gate = new GateModelFactory(1);
    manager = builder().factory(gate).model(ModelSpec.builder("g", "gate").build()).build();
    Recorder recorder = new Recorder();
    StreamHandle handle = manager.stream(GenerateRequest.of("g", "x"), recorder);
    assertThat(gate.entered.await(10, TimeUnit.SECONDS)).isTrue();

    handle.cancel();
    gate.gate.countDown();

    GenerateResponse r = recorder.done.get(10, TimeUnit.SECONDS);
    assertThat(r.finishReason()).isEqualTo(FinishReason.CANCELLED);
    assertThat(r.text()).isEqualTo("a");
    assertThat(recorder.pieces).containsExactly("a");
    handle.cancel(); // idempotent once done
    assertThat(manager.model("g").get().inFlight()).isZero();
  }

  @Test
  void should_cancel_the_stream_when_the_iterable_is_closed_early() throws Exception {
    GateModelFactory gate = new GateModelFactory(1);
    manager = builder().factory(gate).model(ModelSpec.builder("g", "gate").build()).build();
    TokenStream tokens = manager.stream(GenerateRequest.of("g", "x"));
    Iterator<String> it = tokens.iterator();
    assertThat(it.next()).isEqualTo("a");

    tokens.close();
    gate.gate.countDown();

    assertThat(tokens.response().finishReason()).isEqualTo(FinishReason.CANCELLED);
    assertThat(it.hasNext()).isFalse();
  }

  @Test
  void should_fail_a_stream_that_passes_its_deadline_between_pieces() throws Exception {
    MutableClock clock = new MutableClock(Instant.parse("2026-01-01T00:00:00Z"));
    GateModelFactory gate = new GateModelFactory(1);
    manager =
        builder().clock(clock).factory(gate).model(ModelSpec.builder("g", "gate").build()).build();
    Recorder recorder = new Recorder();
    manager.stream(
        GenerateRequest.builder().model("g").prompt("x").deadline(clock.instant().plusSeconds(1)).build(),
        recorder);
    assertThat(gate.entered.await(10, TimeUnit.SECONDS)).isTrue();

    clock.advance(Duration.ofSeconds(2));
    gate.gate.countDown();

    assertThat(recorder.done)
        .failsWithin(Duration.ofSeconds(10))
        .withThrowableOfType(java.util.concurrent.ExecutionException.class)
        .withCauseInstanceOf(DeadlineExceededException.class);
    assertThat(recorder.pieces).containsExactly("a");
  }

  @Test
  void should_cancel_the_stream_when_the_listener_throws() throws Exception {
    manager = builder().build();
    CompletableFuture<GenerateResponse> done = new CompletableFuture<>();
    AtomicInteger tokens = new AtomicInteger();
    StreamListener throwing =
        new StreamListener() {
          @Override
          public void onToken(String text) {
            tokens.incrementAndGet();
            throw new IllegalStateException("listener bug");
          }

          @Override
          public void onComplete(GenerateResponse response) {
            done.complete(response);
          }

          @Override
          public void onError(ModelMuxException error) {
            done.completeExceptionally(error);
          }
        };

    manager.stream(GenerateRequest.of("m", "one two three four"), throwing);

    GenerateResponse r = done.get(10, TimeUnit.SECONDS);
    assertThat(r.finishReason()).isEqualTo(FinishReason.CANCELLED);
    assertThat(tokens).hasValue(1);
    assertThat(r.text()).isEqualTo("m@1:");
  }
}
