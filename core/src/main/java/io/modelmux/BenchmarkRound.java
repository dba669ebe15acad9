package io.modelmux;

import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import org.jspecify.annotations.Nullable;

/**
 * One comparative benchmark round: every healthy model's {@link BenchmarkResult}, the models
 * skipped and why (an open circuit, a local model not loaded, a failed load), the fastest (lowest
 * median latency of those that answered every prompt), the cheapest (lowest cost per answer of
 * those with a price), and the one recommended with the reason in words. Immutable.
 *
 * @param round the round's number in its manager, from 1
 * @param started when it started
 * @param prompts the prompts given to each model
 * @param results each benchmarked model's result, in registration order
 * @param skipped model ({@code id@version}) to why it was skipped
 * @param fastest the fastest model, or null when none answered every prompt
 * @param cheapest the cheapest model, or null when none with a price answered every prompt
 * @param recommended the model recommended, or null
 * @param recommendation the recommendation in words
 */
public record BenchmarkRound(
    long round, Instant started, int prompts, List<BenchmarkResult> results, Map<String, String> skipped,
    @Nullable ModelRef fastest, @Nullable ModelRef cheapest, @Nullable ModelRef recommended, String recommendation) {
  /** Checks and copies the arguments. */
  public BenchmarkRound {
    Objects.requireNonNull(started, "started");
    results = List.copyOf(Objects.requireNonNull(results, "results"));
    skipped = Map.copyOf(Objects.requireNonNull(skipped, "skipped"));
    Objects.requireNonNull(recommendation, "recommendation");
  }

  /** Returns the result of {@code model} ({@code id@version}), if it was benchmarked. */
  public Optional<BenchmarkResult> result(String model) {
    return results.stream().filter(r -> r.model().toString().equals(model)).findFirst();
  }
}
