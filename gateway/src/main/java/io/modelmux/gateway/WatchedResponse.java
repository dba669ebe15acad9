package io.modelmux.gateway;

import java.nio.ByteBuffer;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import org.eclipse.jetty.io.EndPoint;
import org.eclipse.jetty.io.IdleTimeout;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.NanoTime;
import org.eclipse.jetty.util.thread.Scheduler;
import org.jspecify.annotations.Nullable;

/**
 * The answer to a completion request, once its body is read: the connection's idle timeout is
 * off while the model works, and each write of the answer is watched instead — one that moves no
 * byte for the idle timeout (the client stopped reading) closes the connection, which fails the
 * write and so the request. The idle timeout is back on the connection as the answer's last
 * write begins (or as the request ends, if it ends without one): before the client can have the
 * whole answer. Put back any later, it could undo the short idle timeout a stopping gateway gives
 * every connection, and hold the stop for its whole drain time (measured: most runs of 30
 * answers followed at once by a stop).
 *
 * <p>Why not Jetty's idle timeout: when its check finds the connection idle it fails whatever
 * write is pending, however young. A model that thinks for longer than the idle timeout leaves
 * the connection "idle", and the answer's write could start just as the check came: an answer
 * cut with none or part of it sent (seen in CI; a model pausing for the idle timeout between
 * pieces showed it on every run).
 */
final class WatchedResponse extends Response.Wrapper {
  private final EndPoint endPoint;
  private final Scheduler scheduler;
  private final long idleMillis;
  private final AtomicBoolean restored = new AtomicBoolean();

  private WatchedResponse(Request request, Response response, EndPoint endPoint) {
    super(request, response);
    this.endPoint = endPoint;
    this.scheduler = request.getComponents().getScheduler();
    this.idleMillis = endPoint.getIdleTimeout();
  }

  /**
   * Turns the connection's idle timeout off for the rest of {@code request} and returns its
   * response, watched, and the callback that ends the request, putting the idle timeout back if
   * the answer's last write has not. With no idle timeout on the connection there is nothing to
   * watch: the response and callback are returned as they are.
   */
  static Watched watch(Request request, Response response, Callback callback) {
    EndPoint endPoint = request.getConnectionMetaData().getConnection().getEndPoint();
    long idle = endPoint.getIdleTimeout();
    if (idle <= 0) {
      return new Watched(response, callback);
    }
    WatchedResponse watched = new WatchedResponse(request, response, endPoint);
    endPoint.setIdleTimeout(0);
    Callback restoring = Callback.from(
        () -> {
          watched.restore();
          callback.succeeded();
        },
        x -> {
          watched.restore();
          callback.failed(x);
        });
    return new Watched(watched, restoring);
  }

  /** Puts the connection's idle timeout back, once. */
  private void restore() {
    if (restored.compareAndSet(false, true)) {
      endPoint.setIdleTimeout(idleMillis);
    }
  }

  /** A response and the callback that ends its request. */
  record Watched(Response response, Callback callback) {}

  @Override
  public void write(boolean last, @Nullable ByteBuffer content, Callback callback) {
    if (last) {
      restore(); // no write is pending now, so Jetty's check on putting it back has nothing to fail
    }
    Write write = new Write(callback);
    write.arm(idleMillis);
    super.write(last, content, write);
  }

  /** One write under watch: its callback, and the check that ends a stalled one. */
  private final class Write implements Callback, Runnable {
    private final Callback callback;
    private final long started = NanoTime.now();
    private final AtomicBoolean ended = new AtomicBoolean();
    private volatile Scheduler.@Nullable Task check;

    Write(Callback callback) {
      this.callback = callback;
    }

    void arm(long delayMillis) {
      try {
        check = scheduler.schedule(this, delayMillis, TimeUnit.MILLISECONDS);
      } catch (RejectedExecutionException stopping) {
        return; // the gateway is stopping: its connections are closed, this write with them
      }
      if (ended.get()) {
        disarm();
      }
    }

    private void disarm() {
      Scheduler.Task task = check;
      if (task != null) {
        task.cancel();
      }
    }

    /** The check: how long since this write began, or since the socket last took a byte of it. */
    @Override
    public void run() {
      if (ended.get()) {
        return;
      }
      long quiet = NanoTime.millisSince(started);
      if (endPoint instanceof IdleTimeout flushed) {
        quiet = Math.min(quiet, flushed.getIdleFor());
      }
      if (quiet >= idleMillis) {
        endPoint.close(new TimeoutException("The client read nothing of the answer for " + quiet
            + " ms (the gateway's idle timeout is " + idleMillis + " ms)"));
      } else {
        arm(idleMillis - quiet);
      }
    }

    @Override
    public void succeeded() {
      if (ended.compareAndSet(false, true)) {
        disarm();
        callback.succeeded();
      }
    }

    @Override
    public void failed(Throwable x) {
      if (ended.compareAndSet(false, true)) {
        disarm();
        callback.failed(x);
      }
    }

    @Override
    public InvocationType getInvocationType() {
      return callback.getInvocationType();
    }
  }
}
