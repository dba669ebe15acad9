package io.modelmux.djl;

import io.modelmux.FinishReason;
import io.modelmux.Usage;
import io.modelmux.spi.Completion;
import io.modelmux.spi.TokenSink;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.jspecify.annotations.Nullable;

/**
 * One request being generated: its prompt ids, sampler and limits, the text produced so far,
 * and where the text goes. Text that might be the start of a stop sequence is held back until
 * it is known not to be, so a streamed answer never shows part of a stop sequence. Used by one
 * thread at a time.
 */
final class GenerationJob {
  final int[] prompt;
  final int promptTokens;
  private final Sampler sampler;
  private final int maxTokens;
  private final int eosId;
  private final List<String> stops;
  private final TextTokenizer.Detokenizer detokenizer;
  private final @Nullable TokenSink sink;
  final CompletableFuture<Completion> result = new CompletableFuture<>();

  private final StringBuilder emitted = new StringBuilder();
  private final StringBuilder held = new StringBuilder();
  private int produced;
  private @Nullable FinishReason finish;
  private final long startNanos = System.nanoTime();
  private long firstTokenNanos = -1;
  /** When the request's deadline passes, on {@link System#nanoTime()}; {@link Long#MAX_VALUE} without one. */
  final long deadlineNanos;
  /** Jobs that must run in this job's batch (a warm-up's full batch); empty for requests. */
  List<GenerationJob> companions = List.of();
  /** Set by the caller's thread when it stopped waiting (interrupted, or past its deadline). */
  private volatile boolean abandoned;

  GenerationJob(
      int[] prompt,
      Sampler sampler,
      int maxTokens,
      int eosId,
      List<String> stops,
      TextTokenizer.Detokenizer detokenizer,
      @Nullable TokenSink sink,
      long deadlineNanos) {
    this.deadlineNanos = deadlineNanos;
    this.prompt = prompt;
    this.promptTokens = prompt.length;
    this.sampler = sampler;
    this.maxTokens = maxTokens;
    this.eosId = eosId;
    this.stops = stops;
    this.detokenizer = detokenizer;
    this.sink = sink;
  }

  /** Returns whether nobody waits for this job any more: the stream was cancelled, or the caller gave up. */
  boolean isCancelled() {
    return abandoned || sink != null && sink.isCancelled();
  }

  /** Returns whether the request's deadline has passed at {@code now}. */
  boolean isExpired(long now) {
    return now - deadlineNanos > 0;
  }

  /** Marks the job as given up by its caller: the batch drops it at its next step. */
  void abandon() {
    abandoned = true;
  }

  /** Ends the job with {@code failure}, keeping nothing more of it. */
  void fail(RuntimeException failure) {
    if (finish != null) {
      return;
    }
    finish = FinishReason.CANCELLED;
    result.completeExceptionally(failure);
  }

  /** Returns how many characters were produced so far. */
  int emittedLength() {
    return emitted.length();
  }

  /** Picks this row's next token from its logits. */
  int sample(float[] logits, int vocab) {
    return sampler.sample(logits, vocab);
  }

  /**
   * Takes the token chosen for this row.
   *
   * @return whether generation goes on
   */
  boolean accept(int token) {
    if (firstTokenNanos < 0) {
      firstTokenNanos = System.nanoTime();
    }
    if (token == eosId) {
      finish(FinishReason.STOP);
      return false;
    }
    produced++;
    held.append(detokenizer.push(token));
    if (release()) {
      return false;
    }
    if (produced >= maxTokens) {
      finish(FinishReason.LENGTH);
      return false;
    }
    return true;
  }

  /**
   * Sends what can no longer turn into a stop sequence.
   *
   * @return whether a stop sequence was found (generation then ends)
   */
  private boolean release() {
    int stopAt = -1;
    for (String stop : stops) {
      int i = held.indexOf(stop);
      if (i >= 0 && (stopAt < 0 || i < stopAt)) {
        stopAt = i;
      }
    }
    if (stopAt >= 0) {
      emit(held.substring(0, stopAt));
      held.setLength(0);
      finishNow(FinishReason.STOP_SEQUENCE);
      return true;
    }
    int keep = 0;
    String text = held.toString();
    for (String stop : stops) {
      for (int n = Math.min(stop.length() - 1, text.length()); n > keep; n--) {
        if (text.regionMatches(text.length() - n, stop, 0, n)) {
          keep = n;
          break;
        }
      }
    }
    if (held.length() > keep) {
      emit(held.substring(0, held.length() - keep));
      held.delete(0, held.length() - keep);
    }
    return false;
  }

  private void emit(String text) {
    if (text.isEmpty()) {
      return;
    }
    emitted.append(text);
    if (sink != null) {
      sink.accept(text);
    }
  }

  /** Ends generation: flushes held text (it matched no stop sequence) and completes. */
  void finish(FinishReason reason) {
    if (finish != null) {
      return;
    }
    if (reason != FinishReason.CANCELLED) {
      held.append(detokenizer.flush());
      emit(held.toString());
    }
    held.setLength(0);
    finishNow(reason);
  }

  private void finishNow(FinishReason reason) {
    finish = reason;
    result.complete(
        Completion.builder()
            .text(emitted.toString())
            .finishReason(reason)
            .usage(new Usage(promptTokens, produced))
            .timeToFirstToken(firstTokenNanos < 0 ? null : Duration.ofNanos(firstTokenNanos - startNanos))
            .build());
  }

  boolean isFinished() {
    return finish != null;
  }
}
