package io.modelmux.djl;

import static org.assertj.core.api.Assertions.assertThat;

import io.modelmux.DeadlineExceededException;
import io.modelmux.GenerateRequest;
import io.modelmux.GenerateResponse;
import io.modelmux.InvalidRequestException;
import io.modelmux.ModelMuxException;
import io.modelmux.MultiModelManager;
import io.modelmux.RetryPolicy;
import io.modelmux.StreamListener;
import io.modelmux.spi.ModelSpec;
import io.modelmux.testing.Await;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Deadlines and cancellation hold for local models, as a user meets them with the built-in tiny
 * LM: a deadline ends a request within a small margin wherever it is (queued behind a full
 * batch, or decoding), a cancelled {@code generateAsync} stops decoding and frees its lease, and
 * a stream listener cannot deadlock its own batched model.
 */
class LocalDeadlineTest {
  /** How late after its deadline a request may end: the 50 ms. */
  private static final long MARGIN_MS = 50;

  private MultiModelManager manager;

  @AfterEach
  void close() {
    if (manager != null) {
      manager.close();
    }
  }

  private void start(int maxBatchSize) {
    manager = MultiModelManager.builder().environment(n -> null)
        .model(ModelSpec.builder("tiny", "djl").option("path", "classpath:/models/tiny-lm").device("cpu")
            .option("max_batch_size", maxBatchSize).option("max_batch_delay", "1ms").retry(RetryPolicy.none()).build())
        .build();
    manager.load("tiny");
    // one short generation first: PyTorch's first forward passes on a fresh model allocate and
    // plan for 100 ms and more on 2 busy cores, a cost of the load, not of a deadline's check
    manager.generate(GenerateRequest.builder().model("tiny").prompt("warm").maxTokens(4).build());
    long start = System.nanoTime();
    manager.generate(GenerateRequest.builder().model("tiny").prompt("warm").maxTokens(8).build());
    tokenMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start) / 8;
  }

  /** How long one token takes now, measured after the warm-up. */
  private long tokenMillis;

  private static GenerateRequest.Builder longAnswer() {
    return GenerateRequest.builder().model("tiny").prompt("ROMEO:\n").temperature(0).maxTokens(100_000);
  }

  @Test
  void should_end_a_request_at_its_deadline_while_it_decodes() {
    start(8);

    Timed t = timed(longAnswer().timeout(Duration.ofMillis(150)).build());
    Throwable e = t.failure;
    long millis = t.millis;

    assertThat(e).isInstanceOf(DeadlineExceededException.class);
    assertThat(millis).isLessThan(150 + MARGIN_MS);
    Await.until(() -> manager.model("tiny").orElseThrow().inFlight() == 0, "the lease was given back");
    GenerateResponse after = manager.generate(GenerateRequest.builder().model("tiny").prompt("A").maxTokens(5).build());
    assertThat(after.usage().orElseThrow().completionTokens()).as("the model serves on").isEqualTo(5);
  }

  @Test
  void should_end_an_unbatched_request_at_its_deadline() {
    // one request at a time on the model's thread: the caller stops waiting at the deadline,
    // the thread drops the job at its next token
    start(1);

    Timed t = timed(longAnswer().timeout(Duration.ofMillis(150)).build());
    Throwable e = t.failure;
    long millis = t.millis;

    assertThat(e).isInstanceOf(DeadlineExceededException.class).hasMessageContaining("deadline");
    assertThat(millis).as("within the margin, or a few tokens' time when the machine is that busy (%d ms a token)", tokenMillis)
        .isLessThan(150 + Math.max(MARGIN_MS, 3 * tokenMillis));
  }

  @Test
  void should_drop_a_request_queued_behind_a_full_batch_at_its_deadline() throws Exception {
    start(2);
    List<CompletableFuture<GenerateResponse>> full = new ArrayList<>();
    for (int i = 0; i < 2; i++) {
      full.add(manager.generateAsync(longAnswer().timeout(Duration.ofSeconds(20)).build()));
    }
    Await.until(() -> manager.model("tiny").orElseThrow().inFlight() == 2, "the batch is full");

    Timed t = timed(longAnswer().timeout(Duration.ofMillis(50)).build());
    Throwable e = t.failure;
    long millis = t.millis;

    assertThat(e).isInstanceOf(DeadlineExceededException.class);
    assertThat(millis).isLessThan(50 + MARGIN_MS);
    for (CompletableFuture<GenerateResponse> f : full) {
      f.cancel(true);
    }
    Await.until(() -> manager.model("tiny").orElseThrow().inFlight() == 0, "the cancelled requests gave their leases back");
  }

  @Test
  void should_stop_decoding_when_generate_async_is_cancelled() {
    start(8);
    CompletableFuture<GenerateResponse> call = manager.generateAsync(longAnswer().build());
    Await.until(() -> manager.model("tiny").orElseThrow().inFlight() == 1, "the request is decoding");

    long start = System.nanoTime();
    call.cancel(true);
    Await.until(() -> manager.model("tiny").orElseThrow().inFlight() == 0, "the lease was given back");
    long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);

    assertThat(millis).as("decoding stopped at the next token, not after 100,000").isLessThan(1_000);
    GenerateResponse after = manager.generate(GenerateRequest.builder().model("tiny").prompt("A").maxTokens(5).build());
    assertThat(after.text()).isNotNull();
  }

  @Test
  void should_refuse_a_call_from_a_stream_listener_to_its_own_batched_model_instead_of_deadlocking() throws Exception {
    start(8);
    AtomicReference<Throwable> nested = new AtomicReference<>();
    StreamListener listener = new StreamListener() {
      @Override
      public void onToken(String text) {
        if (nested.get() == null) {
          try {
            manager.generate(GenerateRequest.builder().model("tiny").prompt("B").maxTokens(3).build());
            nested.set(new AssertionError("the nested call returned"));
          } catch (ModelMuxException e) {
            nested.set(e);
          }
        }
      }

      @Override
      public void onComplete(GenerateResponse response) {}

      @Override
      public void onError(ModelMuxException error) {}
    };

    GenerateResponse outer = manager.stream(GenerateRequest.builder().model("tiny").prompt("A").maxTokens(10).build(), listener)
        .completion().get(30, TimeUnit.SECONDS);

    assertThat(outer.usage().orElseThrow().completionTokens()).isEqualTo(10);
    assertThat(nested.get()).isInstanceOf(InvalidRequestException.class).hasMessageContaining("its own batch thread");
    assertThat(manager.generate(GenerateRequest.builder().model("tiny").prompt("C").maxTokens(3).build()).text()).isNotNull();
  }

  /** A request's outcome and how long it took, timed without the assertion library (its first use loads classes). */
  private static final class Timed {
    Throwable failure;
    long millis;
  }

  private Timed timed(GenerateRequest request) {
    Timed t = new Timed();
    long start = System.nanoTime(); // the deadline is set before this: it is not later than measured
    try {
      manager.generate(request);
    } catch (RuntimeException e) {
      t.failure = e;
    }
    t.millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
    return t;
  }
}
