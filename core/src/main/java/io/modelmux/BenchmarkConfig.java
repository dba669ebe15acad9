package io.modelmux;

import java.nio.file.Path;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import org.jspecify.annotations.Nullable;

/**
 * The {@code benchmark:} section of {@code models.yaml}, and the options of an on-demand round
 * ({@link MultiModelManager#benchmark(BenchmarkConfig)}): the prompts each healthy model answers,
 * one model at a time, off the callers' path; how often a round runs on its own ({@code every}
 * caller requests; 0: only on demand); where rounds are appended as JSON Lines; how many tokens
 * each answer may have; and whether a local model that is not loaded is loaded for it (by
 * default it is skipped, so that a round never evicts what serves). Immutable.
 *
 * @param every run a round after every this many caller requests; 0 for on demand only
 * @param prompts the prompts; at least one, none blank
 * @param out the JSON Lines file rounds are appended to, or null
 * @param maxTokens the most tokens of each answer; at least 1
 * @param loadEvicted whether local models that are not loaded are loaded for the round
 */
public record BenchmarkConfig(int every, List<String> prompts, @Nullable Path out, int maxTokens, boolean loadEvicted) {
  /** Prompts of several kinds (a question, an instruction, code, a continuation, a translation) when none are given. */
  public static final List<String> DEFAULT_PROMPTS = List.of(
      "What is the capital of France?",
      "Summarise in one sentence: the quick brown fox jumps over the lazy dog, which does not move.",
      "Write a Java method that returns the larger of two ints.",
      "To be, or not to be, that is the question:",
      "Translate to French: good morning, my friend.");

  /** The tokens each answer may have when not set. */
  public static final int DEFAULT_MAX_TOKENS = 32;

  /** Checks the arguments. */
  public BenchmarkConfig {
    if (every < 0) {
      throw new IllegalArgumentException("every must not be negative, got " + every);
    }
    prompts = List.copyOf(Objects.requireNonNull(prompts, "prompts"));
    if (prompts.isEmpty()) {
      throw new IllegalArgumentException("a benchmark needs at least one prompt");
    }
    for (String p : prompts) {
      if (p.isBlank()) {
        throw new IllegalArgumentException("a benchmark prompt must not be blank");
      }
    }
    if (maxTokens < 1) {
      throw new IllegalArgumentException("maxTokens must be at least 1, got " + maxTokens);
    }
  }

  /** Returns on-demand options for {@code prompts}: no file, {@value #DEFAULT_MAX_TOKENS} tokens, evicted models skipped. */
  public static BenchmarkConfig of(List<String> prompts) {
    return new BenchmarkConfig(0, prompts, null, DEFAULT_MAX_TOKENS, false);
  }

  /** Returns the JSON Lines file, if set. */
  public Optional<Path> outFile() {
    return Optional.ofNullable(out);
  }

  /** Returns these options with other prompts. */
  public BenchmarkConfig withPrompts(List<String> prompts) {
    return new BenchmarkConfig(every, prompts, out, maxTokens, loadEvicted);
  }

  /** Returns these options writing to {@code out} (null: no file). */
  public BenchmarkConfig withOut(@Nullable Path out) {
    return new BenchmarkConfig(every, prompts, out, maxTokens, loadEvicted);
  }

  /** Returns these options with evicted local models loaded, or not. */
  public BenchmarkConfig withLoadEvicted(boolean loadEvicted) {
    return new BenchmarkConfig(every, prompts, out, maxTokens, loadEvicted);
  }
}
