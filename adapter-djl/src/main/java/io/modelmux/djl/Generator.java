package io.modelmux.djl;

import io.modelmux.BackendException;
import io.modelmux.DeadlineExceededException;
import io.modelmux.FinishReason;
import java.util.ArrayList;
import java.util.List;

/**
 * Runs a batch of jobs on a model to the end: one forward step per token for all rows, each
 * row sampled with its own sampler and stopped by its own limits; finished rows leave the
 * batch. Stateless; one batch per call.
 */
final class Generator {
  private final CausalLm model;
  private final String modelId;

  Generator(CausalLm model, String modelId) {
    this.model = model;
    this.modelId = modelId;
  }

  /**
   * Ends {@code job} if nobody waits for it (cancelled) or its deadline passed; returns whether
   * it was ended.
   */
  private boolean drop(GenerationJob job, long now) {
    if (job.isCancelled()) {
      job.finish(FinishReason.CANCELLED);
      return true;
    }
    if (job.isExpired(now)) {
      job.fail(new DeadlineExceededException(
          "request to model '" + modelId + "' passed its deadline after " + job.emittedLength()
              + " characters; generation stopped; retry with a later deadline",
          modelId, null));
      return true;
    }
    return false;
  }

  void run(List<GenerationJob> jobs) {
    List<GenerationJob> active = new ArrayList<>(jobs.size());
    long now = System.nanoTime();
    for (GenerationJob job : jobs) {
      if (!drop(job, now)) { // a job given up or past its deadline while it queued is not started
        active.add(job);
      }
    }
    if (active.isEmpty()) {
      return;
    }
    List<int[]> prompts = new ArrayList<>(active.size());
    for (GenerationJob job : active) {
      prompts.add(job.prompt);
    }
    try (CausalLm.Decoder decoder = model.start(prompts)) {
      int vocab = model.vocabSize();
      while (!active.isEmpty()) {
        float[][] logits = decoder.logits();
        boolean[] keep = new boolean[active.size()];
        int[] next = new int[active.size()];
        int kept = 0;
        long stepNanos = System.nanoTime();
        for (int i = 0; i < active.size(); i++) {
          GenerationJob job = active.get(i);
          if (drop(job, stepNanos)) { // checked between tokens
            continue;
          }
          int token = job.sample(logits[i], vocab);
          if (job.accept(token)) {
            keep[i] = true;
            next[kept++] = token;
          }
        }
        if (kept == 0) {
          break;
        }
        if (kept < active.size()) {
          decoder.retain(keep);
          List<GenerationJob> still = new ArrayList<>(kept);
          for (int i = 0; i < active.size(); i++) {
            if (keep[i]) {
              still.add(active.get(i));
            }
          }
          active = still;
        }
        decoder.advance(kept == next.length ? next : java.util.Arrays.copyOf(next, kept));
      }
    } catch (RuntimeException | Error e) {
      BackendException failure =
          new BackendException(
              "model '" + modelId + "' failed while generating: " + e, modelId, false, e);
      for (GenerationJob job : jobs) {
        job.result.completeExceptionally(failure);
      }
      if (e instanceof Error) {
        throw (Error) e;
      }
    }
  }
}
