package io.modelmux.benchmarks;

import io.modelmux.FinishReason;
import io.modelmux.GenerateRequest;
import io.modelmux.ModelRef;
import io.modelmux.spi.Completion;
import io.modelmux.spi.Footprint;
import io.modelmux.spi.Health;
import io.modelmux.spi.ModelAdapter;
import io.modelmux.spi.ModelInfo;
import io.modelmux.spi.TokenSink;
import java.util.Objects;
import java.util.Set;

/**
 * A model that answers every request with empty text and {@link FinishReason#STOP}, holds no
 * memory and is always healthy. It keeps the {@link ModelAdapter} life cycle honest (requests
 * before {@link #load()} or after {@link #close()} are refused) so that the manager drives it
 * as it would a real adapter. Thread-safe.
 */
final class NoopAdapter implements ModelAdapter {
  /** An empty answer that reports usage and a time to first token, as a real backend would: the record stage has every figure to write. */
  private static final Completion EMPTY = Completion.builder().text("").finishReason(FinishReason.STOP)
      .usage(new io.modelmux.Usage(2, 3)).timeToFirstToken(java.time.Duration.ofNanos(500)).build();

  private final ModelInfo info;
  private volatile boolean loaded;
  private volatile boolean closed;

  NoopAdapter(ModelRef ref) {
    this.info = new ModelInfo(ref, NoopModelFactory.TYPE, Set.of());
  }

  @Override
  public ModelInfo info() {
    return info;
  }

  @Override
  public synchronized void load() {
    checkNotClosed();
    loaded = true;
  }

  @Override
  public synchronized void unload() {
    checkNotClosed();
    loaded = false;
  }

  @Override
  public boolean isLoaded() {
    return loaded;
  }

  @Override
  public Completion generate(GenerateRequest request) {
    Objects.requireNonNull(request, "request");
    checkServing();
    return EMPTY;
  }

  @Override
  public Completion stream(GenerateRequest request, TokenSink sink) {
    Objects.requireNonNull(request, "request");
    Objects.requireNonNull(sink, "sink");
    checkServing();
    return EMPTY; // no pieces: joined, they equal the empty text
  }

  @Override
  public Health health() {
    return closed ? Health.down("closed") : Health.up("noop");
  }

  @Override
  public Footprint footprint() {
    return Footprint.none();
  }

  @Override
  public synchronized void close() {
    loaded = false;
    closed = true;
  }

  private void checkServing() {
    checkNotClosed();
    if (!loaded) {
      throw new IllegalStateException("noop model '" + info.ref() + "' is not loaded");
    }
  }

  private void checkNotClosed() {
    if (closed) {
      throw new IllegalStateException("noop model '" + info.ref() + "' is closed");
    }
  }
}
