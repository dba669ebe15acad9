package io.modelmux;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * One request: a prompt or a chat conversation, the model to serve it (optional), sampling
 * options, an optional routing key and an optional deadline. Immutable and thread-safe.
 *
 * <pre>{@code
 * GenerateRequest req = GenerateRequest.builder()
 *     .model("tiny-lm")
 *     .prompt("To be, or not to be")
 *     .maxTokens(40)
 *     .temperature(0)
 *     .build();
 * }</pre>
 */
public final class GenerateRequest {
  private final @Nullable String prompt;
  private final List<ChatMessage> messages;
  private final @Nullable String model;
  private final GenerateOptions options;
  private final @Nullable String routingKey;
  private final @Nullable Instant deadline;
  private final @Nullable Boolean cacheable;
  private final Set<String> tags;

  private GenerateRequest(Builder b) {
    this.prompt = b.prompt;
    this.messages = List.copyOf(b.messages);
    this.model = b.model;
    this.options = b.optionsBuilder.build();
    this.routingKey = b.routingKey;
    this.deadline = b.deadline;
    this.cacheable = b.cacheable;
    this.tags = b.tags.isEmpty() ? Set.of() : Collections.unmodifiableSet(new LinkedHashSet<>(b.tags));
  }

  /**
   * Returns a request for {@code prompt} with default options, served by the default model.
   *
   * @param prompt the prompt; not null
   * @return the request
   */
  public static GenerateRequest of(String prompt) {
    return builder().prompt(prompt).build();
  }

  /**
   * Returns a request for {@code prompt} served by {@code model}, with default options.
   *
   * @param model an id, {@code id@version} or alias; not null
   * @param prompt the prompt; not null
   * @return the request
   */
  public static GenerateRequest of(String model, String prompt) {
    return builder().model(model).prompt(prompt).build();
  }

  /** Returns a new, empty builder. */
  public static Builder builder() {
    return new Builder();
  }

  /** Returns a builder holding this request's values. */
  public Builder toBuilder() {
    Builder b = new Builder();
    b.prompt = prompt;
    b.messages.addAll(messages);
    b.model = model;
    b.optionsBuilder = options.toBuilder();
    b.routingKey = routingKey;
    b.deadline = deadline;
    b.cacheable = cacheable;
    b.tags.addAll(tags);
    return b;
  }

  /** Returns the prompt, when this is a plain completion request; empty for a chat request. */
  public Optional<String> prompt() {
    return Optional.ofNullable(prompt);
  }

  /** Returns the chat messages, in order; empty for a plain prompt request. Never null. */
  public List<ChatMessage> messages() {
    return messages;
  }

  /** Returns whether this is a chat request (messages rather than a prompt). */
  public boolean isChat() {
    return prompt == null;
  }

  /**
   * Returns the model asked for: an id, {@code id@version} or alias. Empty means the default
   * model (or, later, the route policy) decides.
   */
  public Optional<String> model() {
    return Optional.ofNullable(model);
  }

  /** Returns the sampling options. Never null. */
  public GenerateOptions options() {
    return options;
  }

  /** Returns the key that sticky routing splits by (a user or session id), if set. */
  public Optional<String> routingKey() {
    return Optional.ofNullable(routingKey);
  }

  /** Returns the instant after which the request is abandoned, if set. */
  public Optional<Instant> deadline() {
    return Optional.ofNullable(deadline);
  }

  /**
   * Returns the time left until the deadline by the system clock (as {@link Builder#timeout}
   * sets it): zero once it has passed, at most about 292 years (a far deadline never overflows);
   * empty without a deadline. For adapters that bound their own waits by it.
   */
  public Optional<Duration> timeLeft() {
    if (deadline == null) {
      return Optional.empty();
    }
    Instant now = Instant.now();
    if (!now.isBefore(deadline)) {
      return Optional.of(Duration.ZERO);
    }
    Duration longest = Duration.ofNanos(Long.MAX_VALUE);
    return Optional.of(Duration.between(now, deadline.isAfter(now.plus(longest)) ? now.plus(longest) : deadline));
  }

  /** Returns the request without its prompt or message text, which may be private. */
  /**
   * Returns the request's tags (who or what it is for, such as a team or a feature), under which
   * its cost is totalled; empty when none.
   */
  public Set<String> tags() {
    return tags;
  }

  /**
   * Returns whether the request was marked cacheable (true) or opted out of the cache (false);
   * empty when unmarked.
   */
  public Optional<Boolean> cacheable() {
    return Optional.ofNullable(cacheable);
  }

  /**
   * Returns whether the response cache may answer this request and keep its answer: when marked
   * so, else when it is deterministic (temperature 0 or a seed, {@link
   * GenerateOptions#isDeterministic()}).
   */
  public boolean isCacheable() {
    return cacheable != null ? cacheable : options.isDeterministic();
  }

  @Override
  public String toString() {
    return "GenerateRequest{"
        + (prompt != null ? "prompt=" + prompt.length() + " chars" : messages.size() + " messages")
        + (model != null ? ", model=" + model : "")
        + ", options=" + options
        + (deadline != null ? ", deadline=" + deadline : "")
        + '}';
  }

  /**
   * Builds a {@link GenerateRequest}. Exactly one of a prompt or messages must be given. Each
   * setter checks its argument at once. Not thread-safe.
   */
  public static final class Builder {
    /** The most tags a request takes. */
    public static final int MAX_TAGS = 16;
    /** The longest tag, in characters. */
    public static final int MAX_TAG_LENGTH = 64;

    private @Nullable String prompt;
    private final List<ChatMessage> messages = new ArrayList<>();
    private @Nullable String model;
    private GenerateOptions.Builder optionsBuilder = GenerateOptions.builder();
    private @Nullable String routingKey;
    private @Nullable Instant deadline;
    private @Nullable Boolean cacheable;
    private final Set<String> tags = new LinkedHashSet<>();

    private Builder() {}

    /**
     * Sets the prompt of a plain completion request.
     *
     * @param prompt the prompt; not null (may be empty)
     * @return this builder
     */
    public Builder prompt(String prompt) {
      this.prompt = Objects.requireNonNull(prompt, "prompt");
      return this;
    }

    /**
     * Replaces the chat messages.
     *
     * @param messages the conversation, in order; not null, no null element
     * @return this builder
     */
    public Builder messages(List<ChatMessage> messages) {
      List<ChatMessage> copy = List.copyOf(Objects.requireNonNull(messages, "messages"));
      this.messages.clear();
      this.messages.addAll(copy);
      return this;
    }

    /**
     * Appends one chat message.
     *
     * @param message the message; not null
     * @return this builder
     */
    public Builder message(ChatMessage message) {
      this.messages.add(Objects.requireNonNull(message, "message"));
      return this;
    }

    /**
     * Names the model to serve the request.
     *
     * @param model an id, {@code id@version} or alias; not blank
     * @return this builder
     */
    public Builder model(String model) {
      Objects.requireNonNull(model, "model");
      if (model.isBlank()) {
        throw new IllegalArgumentException("model must not be blank");
      }
      this.model = model;
      return this;
    }

    /**
     * Replaces all sampling options; option setters called afterwards change these.
     *
     * @param options the options; not null
     * @return this builder
     */
    public Builder options(GenerateOptions options) {
      this.optionsBuilder = Objects.requireNonNull(options, "options").toBuilder();
      return this;
    }

    /** Sets the most tokens to generate; see {@link GenerateOptions.Builder#maxTokens(int)}. */
    public Builder maxTokens(int maxTokens) {
      optionsBuilder.maxTokens(maxTokens);
      return this;
    }

    /** Sets the temperature; see {@link GenerateOptions.Builder#temperature(double)}. */
    public Builder temperature(double temperature) {
      optionsBuilder.temperature(temperature);
      return this;
    }

    /** Sets top-p; see {@link GenerateOptions.Builder#topP(double)}. */
    public Builder topP(double topP) {
      optionsBuilder.topP(topP);
      return this;
    }

    /** Sets top-k; see {@link GenerateOptions.Builder#topK(int)}. */
    public Builder topK(int topK) {
      optionsBuilder.topK(topK);
      return this;
    }

    /** Sets the stop sequences; see {@link GenerateOptions.Builder#stop(List)}. */
    public Builder stop(String... stop) {
      optionsBuilder.stop(stop);
      return this;
    }

    /** Sets the seed; see {@link GenerateOptions.Builder#seed(long)}. */
    public Builder seed(long seed) {
      optionsBuilder.seed(seed);
      return this;
    }

    /**
     * Sets the key that sticky routing splits by.
     *
     * @param routingKey for example a user or session id; not null
     * @return this builder
     */
    public Builder routingKey(String routingKey) {
      this.routingKey = Objects.requireNonNull(routingKey, "routingKey");
      return this;
    }

    /**
     * Sets the instant after which the request is abandoned with a
     * {@link DeadlineExceededException}.
     *
     * @param deadline the deadline; not null
     * @return this builder
     */
    public Builder deadline(Instant deadline) {
      this.deadline = Objects.requireNonNull(deadline, "deadline");
      return this;
    }

    /**
     * Sets the deadline to now (system clock) plus {@code timeout}; a timeout past the last
     * instant Java can hold sets that instant, which no request reaches.
     *
     * @param timeout positive
     * @return this builder
     */
    public Builder timeout(Duration timeout) {
      Objects.requireNonNull(timeout, "timeout");
      if (timeout.isNegative() || timeout.isZero()) {
        throw new IllegalArgumentException("timeout must be positive, got " + timeout);
      }
      Instant now = Instant.now();
      this.deadline = timeout.compareTo(Duration.between(now, Instant.MAX)) >= 0 ? Instant.MAX : now.plus(timeout);
      return this;
    }

    /**
     * Tags the request (a team, a tenant, a feature): its cost is totalled under each of its
     * tags ({@link ManagerMetrics#cost()}). At most {@value #MAX_TAGS} tags of at most {@value
     * #MAX_TAG_LENGTH} printable characters; totals are kept for the first 1,000 tags a manager
     * sees, later ones under {@code _OTHER}.
     *
     * @param tag the tag; not blank
     * @return this builder
     */
    public Builder tag(String tag) {
      Objects.requireNonNull(tag, "tag");
      if (tag.isBlank() || tag.length() > MAX_TAG_LENGTH || !tag.chars().allMatch(c -> c >= 0x20 && c != 0x7f)) {
        throw new IllegalArgumentException(
            "a tag must be 1 to " + MAX_TAG_LENGTH + " printable characters, not blank; got " + tag.length() + " characters");
      }
      if (!tags.contains(tag) && tags.size() >= MAX_TAGS) {
        throw new IllegalArgumentException("a request takes at most " + MAX_TAGS + " tags");
      }
      tags.add(tag);
      return this;
    }

    /**
     * Marks the request for the response cache: {@code true} lets the cache keep and serve its
     * answer even though it is not deterministic (an answer the caller is content to have
     * again); {@code false} keeps it out of the cache, deterministic or not. Unmarked, a request
     * is cached when it is deterministic.
     *
     * @return this builder
     */
    public Builder cacheable(boolean cacheable) {
      this.cacheable = cacheable;
      return this;
    }

    /**
     * Returns the request.
     *
     * @throws IllegalStateException if neither or both of a prompt and messages were given
     */
    public GenerateRequest build() {
      if (prompt == null && messages.isEmpty()) {
        throw new IllegalStateException("a request needs a prompt or chat messages; give one");
      }
      if (prompt != null && !messages.isEmpty()) {
        throw new IllegalStateException(
            "a request takes a prompt or chat messages, not both; drop one");
      }
      return new GenerateRequest(this);
    }
  }
}
