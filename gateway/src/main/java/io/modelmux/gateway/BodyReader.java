package io.modelmux.gateway;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.util.function.Consumer;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Request;

/**
 * Reads a request body without blocking a thread, up to a bound: past it the read stops at
 * once and the body is refused as too large, whether the client declared its length or sent it
 * in chunks.
 */
final class BodyReader implements Runnable {
  private final Request request;
  private final long max;
  private final Consumer<byte[]> onBody;
  private final Runnable onTooLarge;
  private final Consumer<Throwable> onFailure;
  private final ByteArrayOutputStream body = new ByteArrayOutputStream(1024);

  private BodyReader(
      Request request, long max, Consumer<byte[]> onBody, Runnable onTooLarge, Consumer<Throwable> onFailure) {
    this.request = request;
    this.max = max;
    this.onBody = onBody;
    this.onTooLarge = onTooLarge;
    this.onFailure = onFailure;
  }

  static void read(
      Request request, long max, Consumer<byte[]> onBody, Runnable onTooLarge, Consumer<Throwable> onFailure) {
    new BodyReader(request, max, onBody, onTooLarge, onFailure).run();
  }

  @Override
  public void run() {
    while (true) {
      Content.Chunk chunk = request.read();
      if (chunk == null) {
        request.demand(this);
        return;
      }
      if (Content.Chunk.isFailure(chunk)) {
        onFailure.accept(chunk.getFailure());
        return;
      }
      ByteBuffer bytes = chunk.getByteBuffer();
      if (body.size() + (long) bytes.remaining() > max) {
        chunk.release();
        onTooLarge.run();
        return;
      }
      byte[] copy = new byte[bytes.remaining()];
      bytes.get(copy);
      body.writeBytes(copy);
      boolean last = chunk.isLast();
      chunk.release();
      if (last) {
        onBody.accept(body.toByteArray());
        return;
      }
    }
  }
}
