package io.modelmux;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.OptionalDouble;
import java.util.OptionalInt;
import java.util.OptionalLong;
import org.jspecify.annotations.Nullable;

/**
 * Sampling options of one request. Every option is optional: an absent option takes the model's
 * default. Immutable and thread-safe; build with {@link #builder()}.
 */
public final class GenerateOptions {
  private static final GenerateOptions DEFAULTS = new Builder().build();

  private final @Nullable Integer maxTokens;
  private final @Nullable Double temperature;
  private final @Nullable Double topP;
  private final @Nullable Integer topK;
  private final List<String> stop;
  private final @Nullable Long seed;

  private GenerateOptions(Builder b) {
    this.maxTokens = b.maxTokens;
    this.temperature = b.temperature;
    this.topP = b.topP;
    this.topK = b.topK;
    this.stop = List.copyOf(b.stop);
    this.seed = b.seed;
  }

  /** Returns options with nothing set: every option takes the model's default. */
  public static GenerateOptions defaults() {
    return DEFAULTS;
  }

  /** Returns a new builder with nothing set. */
  public static Builder builder() {
    return new Builder();
  }

  /** Returns a builder holding these options. */
  public Builder toBuilder() {
    Builder b = new Builder();
    b.maxTokens = maxTokens;
    b.temperature = temperature;
    b.topP = topP;
    b.topK = topK;
    b.stop.addAll(stop);
    b.seed = seed;
    return b;
  }

  /** Returns the most tokens to generate. */
  public OptionalInt maxTokens() {
    return maxTokens == null ? OptionalInt.empty() : OptionalInt.of(maxTokens);
  }

  /** Returns the sampling temperature; 0 means greedy decoding. */
  public OptionalDouble temperature() {
    return temperature == null ? OptionalDouble.empty() : OptionalDouble.of(temperature);
  }

  /** Returns the nucleus sampling mass, in (0, 1]. */
  public OptionalDouble topP() {
    return topP == null ? OptionalDouble.empty() : OptionalDouble.of(topP);
  }

  /** Returns how many of the most likely tokens sampling chooses from. */
  public OptionalInt topK() {
    return topK == null ? OptionalInt.empty() : OptionalInt.of(topK);
  }

  /** Returns the stop sequences; generation ends before the first one produced. Never null. */
  public List<String> stop() {
    return stop;
  }

  /** Returns the random seed; the same seed, prompt and options give the same text. */
  public OptionalLong seed() {
    return seed == null ? OptionalLong.empty() : OptionalLong.of(seed);
  }

  /**
   * Returns whether these options ask for a reproducible answer: greedy decoding (temperature 0)
   * or a fixed seed.
   */
  public boolean isDeterministic() {
    return (temperature != null && temperature == 0.0) || seed != null;
  }

  @Override
  public boolean equals(Object o) {
    if (this == o) {
      return true;
    }
    if (!(o instanceof GenerateOptions)) {
      return false;
    }
    GenerateOptions that = (GenerateOptions) o;
    return Objects.equals(maxTokens, that.maxTokens)
        && Objects.equals(temperature, that.temperature)
        && Objects.equals(topP, that.topP)
        && Objects.equals(topK, that.topK)
        && stop.equals(that.stop)
        && Objects.equals(seed, that.seed);
  }

  @Override
  public int hashCode() {
    return Objects.hash(maxTokens, temperature, topP, topK, stop, seed);
  }

  @Override
  public String toString() {
    StringBuilder sb = new StringBuilder("GenerateOptions{");
    String sep = "";
    if (maxTokens != null) {
      sb.append("maxTokens=").append(maxTokens);
      sep = ", ";
    }
    if (temperature != null) {
      sb.append(sep).append("temperature=").append(temperature);
      sep = ", ";
    }
    if (topP != null) {
      sb.append(sep).append("topP=").append(topP);
      sep = ", ";
    }
    if (topK != null) {
      sb.append(sep).append("topK=").append(topK);
      sep = ", ";
    }
    if (!stop.isEmpty()) {
      sb.append(sep).append("stop=").append(stop);
      sep = ", ";
    }
    if (seed != null) {
      sb.append(sep).append("seed=").append(seed);
    }
    return sb.append('}').toString();
  }

  /** Builds {@link GenerateOptions}. Each setter checks its argument at once. Not thread-safe. */
  public static final class Builder {
    private @Nullable Integer maxTokens;
    private @Nullable Double temperature;
    private @Nullable Double topP;
    private @Nullable Integer topK;
    private final List<String> stop = new ArrayList<>();
    private @Nullable Long seed;

    private Builder() {}

    /**
     * Sets the most tokens to generate.
     *
     * @param maxTokens at least 1
     * @return this builder
     * @throws IllegalArgumentException if {@code maxTokens < 1}
     */
    public Builder maxTokens(int maxTokens) {
      if (maxTokens < 1) {
        throw new IllegalArgumentException("maxTokens must be at least 1, got " + maxTokens);
      }
      this.maxTokens = maxTokens;
      return this;
    }

    /**
     * Sets the sampling temperature; 0 means greedy decoding.
     *
     * @param temperature finite and not negative
     * @return this builder
     * @throws IllegalArgumentException if {@code temperature} is negative, NaN or infinite
     */
    public Builder temperature(double temperature) {
      if (!(temperature >= 0.0) || Double.isInfinite(temperature)) {
        throw new IllegalArgumentException(
            "temperature must be finite and not negative, got " + temperature);
      }
      this.temperature = temperature;
      return this;
    }

    /**
     * Sets the nucleus sampling mass.
     *
     * @param topP in (0, 1]
     * @return this builder
     * @throws IllegalArgumentException if {@code topP} is outside (0, 1]
     */
    public Builder topP(double topP) {
      if (!(topP > 0.0 && topP <= 1.0)) {
        throw new IllegalArgumentException("topP must be in (0, 1], got " + topP);
      }
      this.topP = topP;
      return this;
    }

    /**
     * Sets how many of the most likely tokens sampling chooses from.
     *
     * @param topK at least 1
     * @return this builder
     * @throws IllegalArgumentException if {@code topK < 1}
     */
    public Builder topK(int topK) {
      if (topK < 1) {
        throw new IllegalArgumentException("topK must be at least 1, got " + topK);
      }
      this.topK = topK;
      return this;
    }

    /**
     * Replaces the stop sequences.
     *
     * @param stop the sequences; not null, none null or empty
     * @return this builder
     * @throws IllegalArgumentException if a sequence is empty
     */
    public Builder stop(List<String> stop) {
      Objects.requireNonNull(stop, "stop");
      List<String> checked = new ArrayList<>(stop.size());
      for (String s : stop) {
        if (s == null) {
          throw new NullPointerException("stop sequence " + (checked.size() + 1) + " of " + stop.size() + " is null");
        }
        if (s.isEmpty()) {
          throw new IllegalArgumentException(
              "stop sequence " + (checked.size() + 1) + " of " + stop.size() + " is empty; stop sequences must not be empty");
        }
        checked.add(s);
      }
      this.stop.clear();
      this.stop.addAll(checked);
      return this;
    }

    /**
     * Replaces the stop sequences.
     *
     * @param stop the sequences; none null or empty
     * @return this builder
     */
    public Builder stop(String... stop) {
      Objects.requireNonNull(stop, "stop");
      return stop(Arrays.asList(stop));
    }

    /**
     * Sets the random seed.
     *
     * @param seed any value
     * @return this builder
     */
    public Builder seed(long seed) {
      this.seed = seed;
      return this;
    }

    /** Returns the options. */
    public GenerateOptions build() {
      return new GenerateOptions(this);
    }
  }
}
