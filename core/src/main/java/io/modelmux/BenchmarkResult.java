package io.modelmux;

import java.time.Duration;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import org.jspecify.annotations.Nullable;

/**
 * One model's part of a benchmark round: how many prompts it was given and how many failed
 * (by type), the mean, median and 99th percentile latency of those it answered, the mean time to
 * first token (streamed, when the model streams), output tokens per second of its answering
 * time, and what the answers cost (when it has a price). Immutable.
 *
 * @param model the model's {@code id@version}
 * @param type its type, such as {@code djl} or {@code openai}
 * @param prompts the prompts it was given
 * @param errors how many of them failed
 * @param errorTypes the failures by the simple name of their class
 * @param average mean latency of the answered ones (zero when none)
 * @param p50 median latency
 * @param p99 99th percentile latency (the slowest, with fewer than 100 prompts)
 * @param timeToFirstToken mean time to first token, or null when not measured
 * @param tokensPerSecond output tokens per second of answering
 * @param cost what the answers cost, or null without a price
 */
public record BenchmarkResult(
    ModelRef model, String type, int prompts, int errors, Map<String, Integer> errorTypes, Duration average, Duration p50,
    Duration p99, @Nullable Duration timeToFirstToken, double tokensPerSecond, @Nullable Double cost) {
  /** Checks and copies the arguments. */
  public BenchmarkResult {
    Objects.requireNonNull(model, "model");
    Objects.requireNonNull(type, "type");
    errorTypes = Map.copyOf(Objects.requireNonNull(errorTypes, "errorTypes"));
    Objects.requireNonNull(average, "average");
    Objects.requireNonNull(p50, "p50");
    Objects.requireNonNull(p99, "p99");
  }

  /** Returns how many prompts it answered. */
  public int answered() {
    return prompts - errors;
  }

  /** Returns the mean time to first token, when measured. */
  public Optional<Duration> ttft() {
    return Optional.ofNullable(timeToFirstToken);
  }

  /** Returns the cost of its answers, when it has a price. */
  public Optional<Double> costOfAnswers() {
    return Optional.ofNullable(cost);
  }

  /** Returns the mean cost of one answer, when it has a price and answered. */
  public Optional<Double> costPerAnswer() {
    return cost == null || answered() == 0 ? Optional.empty() : Optional.of(cost / answered());
  }
}
