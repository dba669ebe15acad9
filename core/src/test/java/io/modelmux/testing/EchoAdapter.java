package io.modelmux.testing;

import io.modelmux.BackendException;
import io.modelmux.ChatMessage;
import io.modelmux.FinishReason;
import io.modelmux.GenerateRequest;
import io.modelmux.InvalidRequestException;
import io.modelmux.ModelLoadException;
import io.modelmux.ModelRef;
import io.modelmux.Usage;
import io.modelmux.spi.Capability;
import io.modelmux.spi.Completion;
import io.modelmux.spi.Footprint;
import io.modelmux.spi.Health;
import io.modelmux.spi.ModelAdapter;
import io.modelmux.spi.ModelInfo;
import io.modelmux.spi.TokenSink;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;

/**
 * The {@code echo} test adapter. Its answer is {@code "<id@version>:"} followed by each prompt
 * word as a separate piece {@code " word"}, cut at {@code maxTokens} pieces. Counts loads,
 * unloads, closes and requests running at once, so that tests can check what the manager did.
 */
public final class EchoAdapter implements io.modelmux.spi.TieredAdapter {
  private final ModelInfo info;
  private final long bytes;
  private final long measuredBytes;
  private final String pool;
  private final boolean tiered;
  private final Duration loadDelay;
  private final Duration tokenDelay;
  private volatile boolean demoted;
  /** How many times the model was demoted and promoted. */
  public final AtomicInteger demotions = new AtomicInteger();
  /** How many times the model was promoted back from host memory. */
  public final AtomicInteger promotions = new AtomicInteger();
  private final boolean failLoad;
  private final boolean failUnload;
  private final String failWord;
  /** The model's api_key, which its unload failure echoes, as a careless library's would. */
  private final String key;

  private volatile boolean loaded;
  private volatile boolean closed;
  /** How many times load() actually loaded. */
  public final AtomicInteger loads = new AtomicInteger();
  /** How many times unload() actually unloaded. */
  public final AtomicInteger unloads = new AtomicInteger();
  /** Requests running now. */
  public final AtomicInteger running = new AtomicInteger();
  /** Requests that ran while the adapter was not loaded or closed: must stay 0. */
  public final AtomicInteger servedWhileUnloaded = new AtomicInteger();

  EchoAdapter(
      ModelRef ref,
      long bytes,
      long measuredBytes,
      String pool,
      boolean tiered,
      Duration loadDelay,
      Duration tokenDelay,
      boolean failLoad,
      boolean failUnload,
      String failWord,
      String key) {
    this.info =
        new ModelInfo(ref, "echo", EnumSet.of(Capability.STREAMING, Capability.CHAT));
    this.bytes = bytes;
    this.measuredBytes = measuredBytes;
    this.pool = pool;
    this.tiered = tiered;
    this.loadDelay = loadDelay;
    this.tokenDelay = tokenDelay;
    this.failLoad = failLoad;
    this.failUnload = failUnload;
    this.failWord = failWord;
    this.key = key;
  }

  /** Returns the text an echo model {@code ref} answers to {@code prompt} with no limits. */
  public static String expectedAnswer(ModelRef ref, String prompt) {
    StringBuilder sb = new StringBuilder(ref.toString()).append(':');
    for (String w : words(prompt)) {
      sb.append(' ').append(w);
    }
    return sb.toString();
  }

  @Override
  public ModelInfo info() {
    return info;
  }

  @Override
  public void load() {
    if (!loadDelay.isZero()) {
      LockSupport.parkNanos(loadDelay.toNanos()); // the simulated load's work
    }
    loadNow();
  }

  private synchronized void loadNow() {
    checkNotClosed();
    if (loaded) {
      return;
    }
    if (failLoad) {
      throw new ModelLoadException(
          "echo model '" + info.ref() + "' is configured to fail its load (fail_load: true)",
          info.ref().id(),
          null);
    }
    loads.incrementAndGet();
    loaded = true;
  }

  @Override
  public synchronized void unload() {
    checkNotClosed();
    if (loaded) {
      loaded = false;
      demoted = false;
      unloads.incrementAndGet();
      if (failUnload) { // a buggy adapter: it lets go of its memory, then throws
        throw new IllegalStateException(
            "echo model '" + info.ref() + "' is configured to fail its unload (fail_unload: true)" + (key.isEmpty() ? "" : "; key " + key));
      }
    }
  }

  @Override
  public boolean canDemote() {
    return tiered && !pool.equals(Footprint.HOST);
  }

  @Override
  public synchronized void demote() {
    if (!loaded || demoted) {
      throw new IllegalStateException("echo model '" + info.ref() + "' is not loaded on its device");
    }
    demoted = true;
    demotions.incrementAndGet();
  }

  @Override
  public synchronized void promote() {
    if (!loaded || !demoted) {
      throw new IllegalStateException("echo model '" + info.ref() + "' is not demoted");
    }
    demoted = false;
    promotions.incrementAndGet();
  }

  @Override
  public boolean isDemoted() {
    return demoted;
  }

  @Override
  public boolean isLoaded() {
    return loaded;
  }

  /** Returns whether close() was called. */
  public boolean isClosed() {
    return closed;
  }

  @Override
  public Completion generate(GenerateRequest request) {
    return run(request, null);
  }

  @Override
  public Completion stream(GenerateRequest request, TokenSink sink) {
    return run(request, sink);
  }

  private Completion run(GenerateRequest request, TokenSink sink) {
    checkNotClosed();
    if (!loaded || demoted) {
      throw new IllegalStateException("echo model '" + info.ref() + "' is not loaded" + (demoted ? " on its device" : ""));
    }
    running.incrementAndGet();
    try {
      List<String> words = words(promptOf(request));
      if (words.contains(failWord)) {
        throw new BackendException(
            "echo model '" + info.ref() + "' was asked to fail (prompt contains " + failWord + ")",
            info.ref().id(), true, 503, null, null, null);
      }
      int max = request.options().maxTokens().orElse(Integer.MAX_VALUE);
      List<String> pieces = new ArrayList<>();
      pieces.add(info.ref() + ":");
      for (String w : words) {
        pieces.add(" " + w);
      }
      StringBuilder text = new StringBuilder();
      FinishReason finish = FinishReason.STOP;
      int produced = 0;
      for (String piece : pieces) {
        if (produced == max) {
          finish = FinishReason.LENGTH;
          break;
        }
        if (sink != null && sink.isCancelled()) {
          finish = FinishReason.CANCELLED;
          break;
        }
        if (!tokenDelay.isZero()) {
          LockSupport.parkNanos(tokenDelay.toNanos()); // the simulated backend's work
        }
        if (!loaded || closed || demoted) {
          servedWhileUnloaded.incrementAndGet();
        }
        text.append(piece);
        produced++;
        if (sink != null) {
          sink.accept(piece);
        }
      }
      return Completion.builder()
          .text(text.toString())
          .finishReason(finish)
          .usage(new Usage(words.size(), produced))
          .build();
    } finally {
      running.decrementAndGet();
    }
  }

  private static String promptOf(GenerateRequest request) {
    if (request.prompt().isPresent()) {
      return request.prompt().get();
    }
    List<ChatMessage> messages = request.messages();
    for (int i = messages.size() - 1; i >= 0; i--) {
      if (messages.get(i).role() == ChatMessage.Role.USER) {
        return messages.get(i).content();
      }
    }
    throw new InvalidRequestException(
        "echo models need a user message in a chat request", null, null);
  }

  private static List<String> words(String prompt) {
    List<String> out = new ArrayList<>();
    for (String w : prompt.strip().split("\\s+")) {
      if (!w.isEmpty()) {
        out.add(w);
      }
    }
    return out;
  }

  @Override
  public Health health() {
    return closed ? Health.down("closed") : Health.up("echo");
  }

  @Override
  public Footprint footprint() {
    if (!loaded) {
      return Footprint.estimated(pool, bytes);
    }
    return Footprint.measured(demoted ? Footprint.HOST : pool, measuredBytes);
  }

  @Override
  public synchronized void close() {
    if (loaded) {
      loaded = false;
      unloads.incrementAndGet();
    }
    closed = true;
  }

  private void checkNotClosed() {
    if (closed) {
      throw new IllegalStateException("echo model '" + info.ref() + "' is closed");
    }
  }
}
