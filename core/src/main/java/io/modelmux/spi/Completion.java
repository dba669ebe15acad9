package io.modelmux.spi;

import io.modelmux.FinishReason;
import io.modelmux.Usage;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;
import org.jspecify.annotations.Nullable;

/**
 * What an adapter produced for one request: the text, why it ended, usage and what the backend
 * said it served. The manager adds the model, latency and cache flag to make a
 * {@link io.modelmux.GenerateResponse}. Immutable.
 */
public final class Completion {
  private final String text;
  private final FinishReason finishReason;
  private final Optional<Usage> usage; // held as Optionals, so that reading them allocates nothing
  private final @Nullable String backendModel;
  private final Optional<Duration> timeToFirstToken;

  private Completion(Builder b) {
    this.text = b.text;
    this.finishReason = b.finishReason;
    this.usage = Optional.ofNullable(b.usage);
    this.backendModel = b.backendModel;
    this.timeToFirstToken = Optional.ofNullable(b.timeToFirstToken);
  }

  /**
   * Returns a completion with only text and finish reason.
   *
   * @param text the text; not null
   * @param finishReason why generation ended; not null
   * @return the completion
   */
  public static Completion of(String text, FinishReason finishReason) {
    return builder().text(text).finishReason(finishReason).build();
  }

  /** Returns a new builder (empty text, finish reason {@code STOP}). */
  public static Builder builder() {
    return new Builder();
  }

  /** Returns the generated text. */
  public String text() {
    return text;
  }

  /** Returns why generation ended. */
  public FinishReason finishReason() {
    return finishReason;
  }

  /** Returns the token counts, if known. */
  public Optional<Usage> usage() {
    return usage;
  }

  /** Returns the model name the backend reported, if it did. */
  public Optional<String> backendModel() {
    return Optional.ofNullable(backendModel);
  }

  /**
   * Returns the time to first token the adapter measured inside a non-streaming call, if it
   * could (a local model can; a remote one usually cannot).
   */
  public Optional<Duration> timeToFirstToken() {
    return timeToFirstToken;
  }

  @Override
  public String toString() {
    return "Completion{finishReason=" + finishReason + ", chars=" + text.length() + '}';
  }

  /** Builds a {@link Completion}. Not thread-safe. */
  public static final class Builder {
    private String text = "";
    private FinishReason finishReason = FinishReason.STOP;
    private @Nullable Usage usage;
    private @Nullable String backendModel;
    private @Nullable Duration timeToFirstToken;

    private Builder() {}

    /** Sets the text; not null. */
    public Builder text(String text) {
      this.text = Objects.requireNonNull(text, "text");
      return this;
    }

    /** Sets why generation ended; not null. */
    public Builder finishReason(FinishReason finishReason) {
      this.finishReason = Objects.requireNonNull(finishReason, "finishReason");
      return this;
    }

    /** Sets the usage, or null when unknown. */
    public Builder usage(@Nullable Usage usage) {
      this.usage = usage;
      return this;
    }

    /** Sets the model name the backend reported, or null. */
    public Builder backendModel(@Nullable String backendModel) {
      this.backendModel = backendModel;
      return this;
    }

    /** Sets the time to first token, or null; not negative. */
    public Builder timeToFirstToken(@Nullable Duration timeToFirstToken) {
      if (timeToFirstToken != null && timeToFirstToken.isNegative()) {
        throw new IllegalArgumentException(
            "timeToFirstToken must not be negative, got " + timeToFirstToken);
      }
      this.timeToFirstToken = timeToFirstToken;
      return this;
    }

    /** Returns the completion. */
    public Completion build() {
      return new Completion(this);
    }
  }
}
