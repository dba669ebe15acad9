package io.modelmux.testing;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

/** What a piece of code writes to {@code System.err}, where slf4j-simple logs in the tests. */
public final class StandardError {
  private StandardError() {}

  /** Runs {@code action} with {@code System.err} captured and returns what was written. */
  public static String capture(Runnable action) {
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    PrintStream before = System.err;
    System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
    try {
      action.run();
    } finally {
      System.setErr(before);
    }
    return err.toString(StandardCharsets.UTF_8);
  }
}
