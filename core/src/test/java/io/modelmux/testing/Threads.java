package io.modelmux.testing;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.IntFunction;

/** Runs a test's work on several real threads at once. */
public final class Threads {
  private Threads() {}

  /**
   * Runs {@code work(t)} for {@code t} from 0 to {@code threads - 1}, each on a thread of its
   * own, all at once; returns when all finished, rethrowing the first failure. Fails after 60 s.
   */
  public static void concurrently(int threads, IntFunction<Callable<?>> work) throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    try {
      List<Future<?>> done = new ArrayList<>();
      for (int t = 0; t < threads; t++) {
        done.add(pool.submit(work.apply(t)));
      }
      for (Future<?> f : done) {
        f.get(60, TimeUnit.SECONDS);
      }
    } finally {
      pool.shutdownNow();
    }
  }
}
