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

  /**
   * Reads and drops what of {@code request}'s body has arrived, up to {@code max} bytes, without
   * waiting for more.
   *
   * @return true if that was the whole body (no body counts), false if more is still to come,
   *     the body is larger than {@code max} or its reading failed
   */
  static boolean dropArrived(Request request, long max) {
    long length = request.getLength();
    if (length == 0) {
      return true;
    }
    if (length > max) {
      return false;
    }
    long dropped = 0;
    while (dropped <= max) {
      Content.Chunk chunk = request.read();
      if (chunk == null || Content.Chunk.isFailure(chunk)) {
        return false;
      }
      dropped += chunk.remaining();
      boolean last = chunk.isLast();
      chunk.release();
      if (last) {
        return true;
      }
    }
    return false;
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
