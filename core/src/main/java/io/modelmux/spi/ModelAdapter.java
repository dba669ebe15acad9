package io.modelmux.spi;

import io.modelmux.GenerateRequest;
import io.modelmux.ModelMuxException;
import java.util.Map;
import java.util.OptionalInt;

/**
 * One model instance on one backend. Adapters do I/O and compute; they do not route, cache,
 * retry or count: the manager does that once for all adapters.
 *
 * <p>Life cycle: created unloaded by {@link ModelFactory#create}; {@link #load()} before the
 * first request; {@link #unload()} to free memory (it may be loaded again); {@link #close()}
 * once, at the end. The manager never calls {@link #unload()} or {@link #close()} while a
 * request to the adapter is running. {@link #generate} and {@link #stream} may be called from
 * many threads at once; every method is thread-safe.
 *
 * <p>Errors are {@link ModelMuxException}s: {@link io.modelmux.ModelLoadException} from load,
 * {@link io.modelmux.InvalidRequestException}, {@link io.modelmux.BackendException} and the
 * other members of the family from requests. Calling {@link #generate} or {@link #stream} when
 * not loaded, or any method but {@link #close()} after close, throws
 * {@link IllegalStateException}.
 */
public interface ModelAdapter extends AutoCloseable {
  /** Returns what this adapter serves. Cheap; never fails. */
  ModelInfo info();

  /**
   * Makes the model ready to serve: reads weights, opens connections, checks the backend.
   * Idempotent: loading a loaded adapter does nothing.
   *
   * @throws io.modelmux.ModelLoadException if the model cannot be loaded; the adapter stays
   *     unloaded and may be asked to load again
   */
  void load();

  /** Frees what {@link #load()} took. Idempotent: unloading an unloaded adapter does nothing. */
  void unload();

  /** Returns whether the adapter is loaded. */
  boolean isLoaded();

  /**
   * Serves one request and returns the whole answer.
   *
   * @param request the request; not null
   * @return the completion; not null
   * @throws ModelMuxException if the request fails
   */
  Completion generate(GenerateRequest request);

  /**
   * Serves one request, sending text to {@code sink} as it is generated, and returns the
   * completion when done. The pieces sent, joined, equal the completion's text. When
   * {@code sink} is cancelled the adapter stops and returns what it had, with finish reason
   * {@link io.modelmux.FinishReason#CANCELLED}.
   *
   * @param request the request; not null
   * @param sink where text goes; not null
   * @return the completion; not null
   * @throws ModelMuxException if the request fails; a {@link io.modelmux.BackendException}
   *     carries the text already sent
   */
  Completion stream(GenerateRequest request, TokenSink sink);

  /** Checks the backend without spending tokens where the backend allows it. Never throws. */
  Health health();

  /**
   * Returns the memory the model takes: before load an estimate that errs on the large side (it
   * counts what the engine allocates beyond the weights: compiled graphs, activations of the
   * largest batch, a KV cache at its full size); once loaded, what the adapter itself counts
   * ({@link Footprint#isMeasured()}). Remote adapters return {@link Footprint#none()}. For an
   * adapter {@link #residentInProcess() resident in the process} the manager also measures the
   * process's own growth over load and warm-up and charges the larger of the two.
   */
  Footprint footprint();

  /**
   * Returns whether the model's memory is in this process (weights in its heap or native
   * memory), so that the process's growth over {@link #load()} and {@link #warmUp()} is the
   * model's: the manager then loads such models one at a time, measures that growth and
   * charges it when it is more than {@link #footprint()} counts. False (the default) for remote
   * models and for adapters whose memory lives elsewhere.
   */
  default boolean residentInProcess() {
    return false;
  }

  /**
   * Returns whether the model runs on this machine, computed by an engine the adapter drives (in
   * this process or in a process the adapter started), rather than behind a server someone else
   * runs: the manager then reports it as local ({@code ModelStatus.inProcess()}), records the
   * server-side token timings of the GenAI conventions for it, and a benchmark round leaves it
   * alone while unloaded. Defaults to {@link #residentInProcess()}.
   */
  default boolean local() {
    return residentInProcess();
  }

  /**
   * Starts what the adapter shares with its other models, such as an inference engine and its
   * native libraries, so that the first model's measured footprint does not include them. Called
   * before each {@link #load()} of an adapter that is {@link #residentInProcess()} (the loads
   * that are measured), outside the measurement; not called for other adapters, whose
   * {@code load()} starts what it needs. Idempotent and cheap once done. The default does nothing.
   *
   * @throws io.modelmux.ModelLoadException if the shared part cannot start
   */
  default void prepare() {}

  /**
   * Runs, once after each {@link #load()} of an adapter {@link #residentInProcess() resident in
   * the process}, the largest request the model is set up to serve (its full batch at its full
   * context), on the threads that will serve it, so that what the engine
   * allocates on first use (activations, KV cache, compiled graphs, allocator arenas) is taken
   * inside the load's measurement rather than later, and the first user's request is not the
   * slow one. The default does nothing.
   *
   * @throws io.modelmux.ModelLoadException if the model cannot run it: a model that cannot
   *     serve its own batch size and context is not loaded
   */
  default void warmUp() {}

  /**
   * Counts {@code request}'s prompt in the model's tokens without calling the backend, when the
   * adapter has the model's tokenizer at hand (a loaded local model); empty otherwise (the
   * default). The manager uses it, with {@link #contextLength()}, to send a prompt that cannot
   * fit to a route's {@code on_context_length} model before any call. Must not throw.
   */
  default OptionalInt promptTokens(GenerateRequest request) {
    return OptionalInt.empty();
  }

  /**
   * Counts {@code text} in the model's tokens, when the adapter has the model's tokenizer at
   * hand (a loaded local model); empty otherwise (the default). The manager counts an answer's
   * tokens with it when the backend reported no usage, to cost it. Must not throw.
   */
  default OptionalInt countTokens(String text) {
    return OptionalInt.empty();
  }

  /**
   * Returns the most tokens the model takes, prompt and answer together, when the adapter knows
   * it (a loaded local model); empty otherwise (the default).
   */
  default OptionalInt contextLength() {
    return OptionalInt.empty();
  }

  /**
   * Returns the circuit breakers the adapter keeps for the servers it spreads the model over
   * (by a name for each server that holds no secret, such as its base URL), so that the
   * manager shows their state in {@code models()}; empty (the default) for a model of one server.
   */
  default Map<String, Breaker> replicaBreakers() {
    return Map.of();
  }

  /** Unloads and releases everything. Idempotent. */
  @Override
  void close();
}
