package io.modelmux.testing;

import io.modelmux.FinishReason;
import io.modelmux.GenerateRequest;
import io.modelmux.ModelRef;
import io.modelmux.spi.Capability;
import io.modelmux.spi.Completion;
import io.modelmux.spi.Footprint;
import io.modelmux.spi.Health;
import io.modelmux.spi.ModelAdapter;
import io.modelmux.spi.ModelFactory;
import io.modelmux.spi.ModelInfo;
import io.modelmux.spi.ModelSpec;
import io.modelmux.spi.TokenSink;
import java.util.EnumSet;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Type {@code gate}: every request announces itself on {@link #entered} and then waits until
 * the test opens {@link #gate}, so that a test can hold requests in flight for as long as it
 * needs (option {@code bytes}: its footprint in host memory). Streams send {@code "a"}, announce themselves, then wait for the gate, then {@code "b"}. Register an
 * instance explicitly; it is not in {@code META-INF/services}.
 */
public final class GateModelFactory implements ModelFactory {
  /** Opened by the test to let requests finish. */
  public final CountDownLatch gate = new CountDownLatch(1);
  /** Counted down by each request as it starts. */
  public final CountDownLatch entered;
  /** Whether any adapter of this factory was closed. */
  public final AtomicBoolean closed = new AtomicBoolean();

  /** Expects {@code requests} requests to enter. */
  public GateModelFactory(int requests) {
    this.entered = new CountDownLatch(requests);
  }

  @Override
  public String type() {
    return "gate";
  }

  @Override
  public Set<String> optionKeys() {
    return Set.of("bytes");
  }

  @Override
  public ModelAdapter create(ModelSpec spec) {
    return new Adapter(spec.ref(), spec.optionBytes("bytes").orElse(0));
  }

  private final class Adapter implements ModelAdapter {
    private final ModelInfo info;
    private final long bytes;
    private volatile boolean loaded;

    Adapter(ModelRef ref, long bytes) {
      this.info = new ModelInfo(ref, "gate", EnumSet.of(Capability.STREAMING));
      this.bytes = bytes;
    }

    @Override
    public ModelInfo info() {
      return info;
    }

    @Override
    public void load() {
      loaded = true;
    }

    @Override
    public void unload() {
      loaded = false;
    }

    @Override
    public boolean isLoaded() {
      return loaded;
    }

    @Override
    public Completion generate(GenerateRequest request) {
      entered.countDown();
      await();
      return Completion.of("ab", FinishReason.STOP);
    }

    @Override
    public Completion stream(GenerateRequest request, TokenSink sink) {
      sink.accept("a");
      entered.countDown();
      await();
      if (sink.isCancelled()) {
        return Completion.of("a", FinishReason.CANCELLED);
      }
      sink.accept("b");
      return Completion.of("ab", FinishReason.STOP);
    }

    private void await() {
      try {
        if (!gate.await(30, TimeUnit.SECONDS)) {
          throw new IllegalStateException("the test never opened the gate");
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException(e);
      }
    }

    @Override
    public Health health() {
      return Health.up("gate");
    }

    @Override
    public Footprint footprint() {
      if (bytes == 0) {
        return Footprint.none();
      }
      return loaded ? Footprint.measured(Footprint.HOST, bytes) : Footprint.estimated(Footprint.HOST, bytes);
    }

    @Override
    public void close() {
      loaded = false;
      closed.set(true);
    }
  }
}
