package io.modelmux.testing;

import io.modelmux.spi.TokenSink;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/** A {@link TokenSink} that keeps every piece it is sent and is never cancelled. */
public final class RecordingSink implements TokenSink {
  /** The pieces received, in order. */
  public final List<String> pieces = new CopyOnWriteArrayList<>();

  @Override
  public void accept(String text) {
    pieces.add(text);
  }

  @Override
  public boolean isCancelled() {
    return false;
  }

  @Override
  public void onCancel(Runnable action) {}

  /** Returns the pieces joined. */
  public String text() {
    return String.join("", pieces);
  }
}
