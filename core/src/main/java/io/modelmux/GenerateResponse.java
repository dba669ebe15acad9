package io.modelmux;

import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import org.jspecify.annotations.Nullable;

/**
 * The answer to one request: the text, why generation ended, token usage, which model and
 * version served it, how long it took, and whether it came from the cache. Immutable and
 * thread-safe.
 */
public final class GenerateResponse {
  private final String text;
  private final FinishReason finishReason;
  private final Optional<Usage> usage; // held as Optionals, so that reading them allocates nothing
  private final ModelRef model;
  private final @Nullable String backendModel;
  private final Duration latency;
  private final Optional<Duration> timeToFirstToken;
  private final boolean cached;
  private final Routing routing;
  private final @Nullable List<Attempt> attempts; // null: one attempt, which succeeded
  private final Optional<Cost> cost;

  private GenerateResponse(Builder b) {
    this.text = b.text;
    this.finishReason = b.finishReason;
    this.usage = Optional.ofNullable(b.usage);
    this.model = b.model;
    this.backendModel = b.backendModel;
    this.latency = b.latency;
    this.timeToFirstToken = Optional.ofNullable(b.timeToFirstToken);
    this.cached = b.cached;
    this.routing = b.routing != null ? b.routing : Routing.model(b.model);
    this.attempts = b.attempts;
    this.cost = Optional.ofNullable(b.cost);
  }

  /**
   * Returns a builder for a response served by {@code model}.
   *
   * @param model the model and version that served it; not null
   * @return the builder
   */
  public static Builder builder(ModelRef model) {
    return new Builder(model);
  }

  /** Returns a builder holding this response's values. */
  public Builder toBuilder() {
    Builder b = new Builder(model);
    b.text = text;
    b.finishReason = finishReason;
    b.usage = usage.orElse(null);
    b.backendModel = backendModel;
    b.latency = latency;
    b.timeToFirstToken = timeToFirstToken.orElse(null);
    b.cached = cached;
    b.routing = routing;
    b.attempts = attempts;
    b.cost = cost.orElse(null);
    return b;
  }

  /** Returns how the request was routed to {@link #model()}: the route, policy and reason. */
  public Routing routing() {
    return routing;
  }

  /**
   * Returns the attempts made for this response, in order: the last is the one that served it;
   * earlier ones failed, or skipped a model whose circuit was open or whose queue was full
   * (retries, then a route's fallbacks). A response served at the first try has one attempt; one
   * from the response cache has none.
   */
  public List<Attempt> attempts() {
    if (attempts != null) {
      return attempts;
    }
    return cached ? List.of() : List.of(new Attempt(model, Attempt.Outcome.SUCCEEDED, null, latency));
  }

  /** Returns the generated text. Never null. */
  public String text() {
    return text;
  }

  /** Returns why generation ended. */
  public FinishReason finishReason() {
    return finishReason;
  }

  /** Returns the token counts, when the model or backend reported them. */
  public Optional<Usage> usage() {
    return usage;
  }

  /** Returns the registered model and version that served the request. */
  public ModelRef model() {
    return model;
  }

  /**
   * Returns the model name the backend reported serving (for example a dated snapshot of a
   * remote model), when it said.
   */
  public Optional<String> backendModel() {
    return Optional.ofNullable(backendModel);
  }

  /** Returns the time from the call to the last token (or the whole answer). */
  public Duration latency() {
    return latency;
  }

  /** Returns the time from the call to the first token, when it was measured. */
  public Optional<Duration> timeToFirstToken() {
    return timeToFirstToken;
  }

  /**
   * Returns what the answer cost, when its model has a price: counted from the usage the backend
   * reported, else from tokens counted here ({@link Cost#estimated()}); nothing from the cache.
   */
  public Optional<Cost> cost() {
    return cost;
  }

  /** Returns whether the answer came from the response cache rather than a model. */
  public boolean cached() {
    return cached;
  }

  /** Returns a summary without the generated text. */
  @Override
  public String toString() {
    return "GenerateResponse{model="
        + model
        + ", finishReason="
        + finishReason
        + ", chars="
        + text.length()
        + (usage.isPresent() ? ", usage=" + usage.get() : "")
        + ", latency="
        + latency
        + (cached ? ", cached" : "")
        + (cost.isPresent() ? ", cost=" + cost.get() : "")
        + ", routing="
        + routing
        + '}';
  }

  /** Builds a {@link GenerateResponse}. Not thread-safe. */
  public static final class Builder {
    private String text = "";
    private FinishReason finishReason = FinishReason.STOP;
    private @Nullable Usage usage;
    private final ModelRef model;
    private @Nullable String backendModel;
    private Duration latency = Duration.ZERO;
    private @Nullable Duration timeToFirstToken;
    private boolean cached;
    private @Nullable Routing routing;
    private @Nullable List<Attempt> attempts;
    private @Nullable Cost cost;

    private Builder(ModelRef model) {
      this.model = Objects.requireNonNull(model, "model");
    }

    /** Sets the generated text; not null. */
    public Builder text(String text) {
      this.text = Objects.requireNonNull(text, "text");
      return this;
    }

    /** Sets why generation ended; not null. */
    public Builder finishReason(FinishReason finishReason) {
      this.finishReason = Objects.requireNonNull(finishReason, "finishReason");
      return this;
    }

    /** Sets the token counts, or null when unknown. */
    public Builder usage(@Nullable Usage usage) {
      this.usage = usage;
      return this;
    }

    /** Sets the model name the backend reported, or null. */
    public Builder backendModel(@Nullable String backendModel) {
      this.backendModel = backendModel;
      return this;
    }

    /** Sets the latency; not negative. */
    public Builder latency(Duration latency) {
      Objects.requireNonNull(latency, "latency");
      if (latency.isNegative()) {
        throw new IllegalArgumentException("latency must not be negative, got " + latency);
      }
      this.latency = latency;
      return this;
    }

    /** Sets the time to first token, or null when not measured; not negative. */
    public Builder timeToFirstToken(@Nullable Duration timeToFirstToken) {
      if (timeToFirstToken != null && timeToFirstToken.isNegative()) {
        throw new IllegalArgumentException(
            "timeToFirstToken must not be negative, got " + timeToFirstToken);
      }
      this.timeToFirstToken = timeToFirstToken;
      return this;
    }

    /** Sets what the answer cost, or null when its model has no price. */
    public Builder cost(@Nullable Cost cost) {
      this.cost = cost;
      return this;
    }

    /** Marks whether the response came from the cache. */
    public Builder cached(boolean cached) {
      this.cached = cached;
      return this;
    }

    /** Sets how the request was routed; not null. Unset: the request named the model. */
    public Builder routing(Routing routing) {
      this.routing = Objects.requireNonNull(routing, "routing");
      return this;
    }

    /**
     * Sets the attempts made, the last being the one that served; by default one, which
     * succeeded in the response's latency.
     */
    public Builder attempts(List<Attempt> attempts) {
      List<Attempt> copy = List.copyOf(Objects.requireNonNull(attempts, "attempts"));
      if (copy.isEmpty()) {
        throw new IllegalArgumentException("attempts must not be empty: the last one served the response");
      }
      this.attempts = copy;
      return this;
    }

    /** Returns the response. */
    public GenerateResponse build() {
      return new GenerateResponse(this);
    }
  }
}
