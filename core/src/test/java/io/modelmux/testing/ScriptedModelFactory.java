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
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.jspecify.annotations.Nullable;

/**
 * Type {@code scripted}: each model answers as the test scripts it, by id ({@link #on}), and
 * counts its calls and the most it served at once, so that tests of retries, breakers and
 * limits can say exactly what reached the backend. Unscripted models answer {@code "ok"}. Register
 * an instance explicitly; it is not in {@code META-INF/services}.
 */
public final class ScriptedModelFactory implements ModelFactory {
  /** How a model answers its {@code call}-th call (from 1); may throw; {@code sink} is null unless streaming. */
  @FunctionalInterface
  public interface Script {
    Completion answer(int call, GenerateRequest request, @Nullable TokenSink sink);
  }

  private final Map<String, Script> scripts = new ConcurrentHashMap<>();
  private final Map<String, AtomicInteger> calls = new ConcurrentHashMap<>();
  private final Map<String, AtomicInteger> running = new ConcurrentHashMap<>();
  private final Map<String, AtomicInteger> mostAtOnce = new ConcurrentHashMap<>();
  private final Map<String, Integer> contexts = new ConcurrentHashMap<>();
  private final Set<String> inProcess = ConcurrentHashMap.newKeySet();

  /** Scripts model {@code id} (every version of it). */
  public ScriptedModelFactory on(String id, Script script) {
    scripts.put(id, script);
    return this;
  }

  /**
   * Gives model {@code id} a context of {@code tokens}, counting a prompt's characters as its
   * tokens, as a local model's tokenizer would ({@link ModelAdapter#promptTokens}).
   */
  public ScriptedModelFactory context(String id, int tokens) {
    contexts.put(id, tokens);
    return this;
  }

  /** Makes model {@code id} say it runs in this process, as a local model does ({@link ModelAdapter#residentInProcess}). */
  public ScriptedModelFactory inProcess(String id) {
    inProcess.add(id);
    return this;
  }

  /** Returns how many calls model {@code id} received. */
  public int calls(String id) {
    AtomicInteger n = calls.get(id);
    return n == null ? 0 : n.get();
  }

  /** Returns the most calls model {@code id} was serving at once. */
  public int mostAtOnce(String id) {
    AtomicInteger n = mostAtOnce.get(id);
    return n == null ? 0 : n.get();
  }

  @Override
  public String type() {
    return "scripted";
  }

  @Override
  public Set<String> optionKeys() {
    return Set.of("api_key"); // read by nothing: lets tests check that a key never leaks
  }

  @Override
  public ModelAdapter create(ModelSpec spec) {
    return new Adapter(spec.ref());
  }

  private final class Adapter implements ModelAdapter {
    private final ModelInfo info;
    private volatile boolean loaded;

    Adapter(ModelRef ref) {
      this.info = new ModelInfo(ref, "scripted", EnumSet.of(Capability.STREAMING));
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
      return run(request, null);
    }

    @Override
    public Completion stream(GenerateRequest request, TokenSink sink) {
      return run(request, sink);
    }

    private Completion run(GenerateRequest request, @Nullable TokenSink sink) {
      String id = info.ref().id();
      int call = calls.computeIfAbsent(id, k -> new AtomicInteger()).incrementAndGet();
      AtomicInteger now = running.computeIfAbsent(id, k -> new AtomicInteger());
      int at = now.incrementAndGet();
      mostAtOnce.computeIfAbsent(id, k -> new AtomicInteger()).accumulateAndGet(at, Math::max);
      try {
        Script script = scripts.get(id);
        if (script == null) {
          if (sink != null) {
            sink.accept("ok");
          }
          return Completion.of("ok", FinishReason.STOP);
        }
        return script.answer(call, request, sink);
      } finally {
        now.decrementAndGet();
      }
    }

    @Override
    public java.util.OptionalInt promptTokens(GenerateRequest request) {
      return contexts.containsKey(info.ref().id())
          ? java.util.OptionalInt.of(io.modelmux.spi.PromptText.of(request).length())
          : java.util.OptionalInt.empty();
    }

    @Override
    public java.util.OptionalInt contextLength() {
      Integer n = contexts.get(info.ref().id());
      return n == null ? java.util.OptionalInt.empty() : java.util.OptionalInt.of(n);
    }

    @Override
    public boolean residentInProcess() {
      return inProcess.contains(info.ref().id());
    }

    @Override
    public Health health() {
      return Health.up("scripted");
    }

    @Override
    public Footprint footprint() {
      return Footprint.none();
    }

    @Override
    public void close() {
      loaded = false;
    }
  }
}
