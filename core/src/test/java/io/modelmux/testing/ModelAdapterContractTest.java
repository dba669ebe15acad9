package io.modelmux.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.modelmux.FinishReason;
import io.modelmux.GenerateRequest;
import io.modelmux.ModelMuxException;
import io.modelmux.spi.Capability;
import io.modelmux.spi.Completion;
import io.modelmux.spi.ModelAdapter;
import io.modelmux.spi.TokenSink;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The contract every {@link ModelAdapter} keeps. Each adapter's tests extend this class and
 * supply a fresh adapter, a deterministic request and a request the adapter must refuse; the
 * tests here then check the life cycle, generation, streaming, errors and release.
 *
 * <p>Published in {@code modelmux-core}'s test-jar: depend on
 * {@code io.modelmux:modelmux-core:test-jar} in test scope.
 */
public abstract class ModelAdapterContractTest {
  private final List<ModelAdapter> created = new ArrayList<>();

  /** Returns a new, unloaded adapter. Called once or more per test. */
  protected abstract ModelAdapter createAdapter();

  /**
   * Returns a request whose answer is reproducible (greedy or seeded) and at least two pieces
   * long when streamed.
   */
  protected abstract GenerateRequest deterministicRequest();

  /** Returns a request that the loaded adapter must refuse with a {@link ModelMuxException}. */
  protected abstract GenerateRequest failingRequest();

  /**
   * Checks that a closed adapter holds nothing any more (native memory, connections, threads).
   * The default checks only what the interface shows; override to check more.
   */
  protected void assertReleased(ModelAdapter adapter) {
    assertThat(adapter.isLoaded()).isFalse();
  }

  private ModelAdapter adapter() {
    ModelAdapter a = createAdapter();
    created.add(a);
    return a;
  }

  private ModelAdapter loadedAdapter() {
    ModelAdapter a = adapter();
    a.load();
    return a;
  }

  @AfterEach
  void closeAdapters() {
    created.forEach(ModelAdapter::close);
  }

  @Test
  void should_start_unloaded_and_describe_itself() {
    ModelAdapter a = adapter();

    assertThat(a.isLoaded()).isFalse();
    assertThat(a.info()).isNotNull();
    assertThat(a.info().type()).isNotBlank();
    assertThat(a.footprint()).isNotNull();
    assertThat(a.health()).isNotNull();
  }

  @Test
  void should_load_idempotently() {
    ModelAdapter a = adapter();

    a.load();
    a.load();

    assertThat(a.isLoaded()).isTrue();
  }

  @Test
  void should_unload_idempotently_and_load_again() {
    ModelAdapter a = adapter();
    a.unload();
    a.load();

    a.unload();
    a.unload();
    assertThat(a.isLoaded()).isFalse();

    a.load();
    assertThat(a.generate(deterministicRequest()).text()).isNotEmpty();
  }

  @Test
  void should_refuse_requests_before_load() {
    ModelAdapter a = adapter();

    assertThatThrownBy(() -> a.generate(deterministicRequest()))
        .isInstanceOf(IllegalStateException.class);
  }

  @Test
  void should_generate_the_same_text_for_a_deterministic_request() {
    ModelAdapter a = loadedAdapter();

    Completion first = a.generate(deterministicRequest());
    Completion second = a.generate(deterministicRequest());

    assertThat(first.text()).isNotEmpty().isEqualTo(second.text());
    assertThat(first.finishReason()).isNotEqualTo(FinishReason.CANCELLED);
  }

  @Test
  void should_stream_the_same_text_as_generate() {
    ModelAdapter a = loadedAdapter();
    Completion generated = a.generate(deterministicRequest());
    CollectingSink sink = new CollectingSink();

    Completion streamed = a.stream(deterministicRequest(), sink);

    assertThat(streamed.text()).isEqualTo(generated.text());
    assertThat(String.join("", sink.pieces)).isEqualTo(generated.text());
    assertThat(streamed.finishReason()).isEqualTo(generated.finishReason());
    if (a.info().supports(Capability.STREAMING)) {
      assertThat(sink.pieces).hasSizeGreaterThan(1);
    }
  }

  @Test
  void should_stop_streaming_when_the_sink_is_cancelled() {
    ModelAdapter a = loadedAdapter();
    if (!a.info().supports(Capability.STREAMING)) {
      return; // the manager sends such an adapter's answer in one piece; nothing to cancel
    }
    String full = a.generate(deterministicRequest()).text();
    CollectingSink sink = new CollectingSink();
    sink.cancelAfter = 1;

    Completion c = a.stream(deterministicRequest(), sink);

    assertThat(c.finishReason()).isEqualTo(FinishReason.CANCELLED);
    assertThat(sink.pieces).hasSize(1);
    assertThat(c.text()).isEqualTo(sink.pieces.get(0));
    assertThat(full).startsWith(c.text()).isNotEqualTo(c.text());
  }

  @Test
  void should_refuse_a_bad_request_with_a_typed_exception() {
    ModelAdapter a = loadedAdapter();

    assertThatThrownBy(() -> a.generate(failingRequest()))
        .isInstanceOf(ModelMuxException.class)
        .hasMessageContaining(a.info().ref().id());
    assertThatThrownBy(() -> a.stream(failingRequest(), new CollectingSink()))
        .isInstanceOf(ModelMuxException.class);
    assertThat(a.generate(deterministicRequest()).text())
        .as("a failed request leaves the adapter usable")
        .isNotEmpty();
  }

  @Test
  void should_serve_concurrent_requests_each_with_its_own_answer() throws Exception {
    ModelAdapter a = loadedAdapter();
    String expected = a.generate(deterministicRequest()).text();
    ExecutorService pool = Executors.newFixedThreadPool(4);
    try {
      List<Future<String>> answers = new ArrayList<>();
      for (int i = 0; i < 16; i++) {
        answers.add(pool.submit(() -> a.generate(deterministicRequest()).text()));
      }
      for (Future<String> f : answers) {
        assertThat(f.get(60, TimeUnit.SECONDS)).isEqualTo(expected);
      }
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void should_report_health_without_throwing() {
    ModelAdapter a = adapter();

    assertThatCode(a::health).doesNotThrowAnyException();
    a.load();
    assertThatCode(a::health).doesNotThrowAnyException();
  }

  @Test
  void should_release_everything_on_close_idempotently() {
    ModelAdapter a = loadedAdapter();
    a.generate(deterministicRequest());

    a.close();
    a.close();

    assertReleased(a);
    assertThatThrownBy(() -> a.generate(deterministicRequest()))
        .isInstanceOf(IllegalStateException.class);
  }

  /** A sink that keeps the pieces and can cancel itself after some. */
  protected static final class CollectingSink implements TokenSink {
    final List<String> pieces = new ArrayList<>();
    int cancelAfter = Integer.MAX_VALUE;
    private final AtomicBoolean cancelled = new AtomicBoolean();
    private final List<Runnable> onCancel = new ArrayList<>();

    @Override
    public void accept(String text) {
      if (text.isEmpty()) {
        return;
      }
      pieces.add(text);
      if (pieces.size() >= cancelAfter && cancelled.compareAndSet(false, true)) {
        onCancel.forEach(Runnable::run);
      }
    }

    @Override
    public boolean isCancelled() {
      return cancelled.get();
    }

    @Override
    public synchronized void onCancel(Runnable action) {
      if (cancelled.get()) {
        action.run();
      } else {
        onCancel.add(action);
      }
    }

    /** Returns the pieces received. */
    public List<String> pieces() {
      return pieces;
    }
  }
}
