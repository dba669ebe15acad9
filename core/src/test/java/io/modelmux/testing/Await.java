package io.modelmux.testing;

import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

/** Waiting on a condition in tests, rather than sleeping. */
public final class Await {
  private Await() {}

  /**
   * Returns once {@code condition} holds; fails after 20 s naming {@code what} was awaited.
   *
   * @throws AssertionError if it did not hold within 20 s
   */
  public static void until(BooleanSupplier condition, String what) {
    long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > until) {
        throw new AssertionError("not within 20 s: " + what);
      }
      Thread.onSpinWait();
    }
  }
}
