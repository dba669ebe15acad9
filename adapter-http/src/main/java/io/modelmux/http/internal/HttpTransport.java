package io.modelmux.http.internal;

import io.modelmux.BackendException;
import java.io.IOException;
import java.io.InputStream;
import java.net.ConnectException;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.jspecify.annotations.Nullable;

/**
 * What every HTTP adapter needs from {@code java.net.http}: one client per adapter (started on
 * load, dropped on unload), sending with transport failures mapped to retryable
 * {@link BackendException}s that name the server, and a watchdog that closes a streamed body
 * when it goes silent for too long or passes its total time. Thread-safe.
 */
public final class HttpTransport {
  private final String modelId;
  private final Duration connectTimeout;
  private final HttpClient.Version version;
  private final Object lock = new Object();
  private volatile @Nullable HttpClient client; // written under lock
  private volatile @Nullable ScheduledExecutorService watchdog; // written under lock

  /**
   * @param modelId the model, for messages and thread names
   * @param connectTimeout how long to wait for a connection
   * @param version HTTP/1.1 or HTTP/2
   */
  public HttpTransport(String modelId, Duration connectTimeout, HttpClient.Version version) {
    this.modelId = modelId;
    this.connectTimeout = connectTimeout;
    this.version = version;
  }

  /** Creates the client and the watchdog thread. Idempotent. */
  public void start() {
    synchronized (lock) {
      if (client != null) {
        return;
      }
      client = HttpClient.newBuilder().version(version).connectTimeout(connectTimeout).followRedirects(HttpClient.Redirect.NORMAL).build();
      watchdog =
          Executors.newSingleThreadScheduledExecutor(
              r -> {
                Thread t = new Thread(r, "modelmux-http-" + modelId + "-timeouts");
                t.setDaemon(true);
                return t;
              });
    }
  }

  /** Drops the client (its idle connections close with it) and stops the watchdog. Idempotent. */
  public void stop() {
    synchronized (lock) {
      client = null;
      ScheduledExecutorService w = watchdog;
      watchdog = null;
      if (w != null) {
        w.shutdownNow();
      }
    }
  }

  /** Returns whether {@link #start()} ran and {@link #stop()} did not since. */
  public boolean isStarted() {
    return client != null;
  }

  /**
   * Sends {@code request}.
   *
   * @param where the server, for messages (never holds a key)
   * @param timeout the timeout the request carries, for messages
   * @throws BackendException retryable, when the connection fails or the server does not answer
   * @throws IllegalStateException when not started
   */
  public <T> HttpResponse<T> send(HttpRequest request, HttpResponse.BodyHandler<T> handler, String where, Duration timeout) {
    HttpClient c = client;
    if (c == null) {
      throw new IllegalStateException("model '" + modelId + "' is not loaded");
    }
    try {
      return c.send(request, handler);
    } catch (HttpConnectTimeoutException e) {
      throw new BackendException(
          "could not connect to " + where + " for model '" + modelId + "' within " + connectTimeout.toMillis()
              + " ms; is the server up?", modelId, true, e);
    } catch (HttpTimeoutException e) {
      throw new BackendException(
          "the server at " + where + " did not answer for model '" + modelId + "' within " + timeout.toMillis()
              + " ms; it may be overloaded", modelId, true, e);
    } catch (ConnectException e) {
      throw new BackendException(
          "could not connect to " + where + " for model '" + modelId + "' (" + e.getMessage() + "); is the server up?",
          modelId, true, e);
    } catch (IOException e) {
      throw new BackendException("the connection to " + where + " failed for model '" + modelId + "': " + e, modelId, true, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new BackendException("interrupted while calling " + where + " for model '" + modelId + "'", modelId, false, e);
    }
  }

  /** Watches one streamed body; close it when the stream ends. */
  public interface Watch extends AutoCloseable {
    /** Records that bytes arrived. */
    void touch();

    /** Returns whether the watchdog closed the body for silence or total time. */
    boolean timedOut();

    @Override
    void close();
  }

  /**
   * Starts watching {@code body}: it is closed when no byte arrives for {@code idle} or the
   * stream passes {@code total}, which makes a blocked read fail.
   */
  public Watch watch(InputStream body, Duration idle, Duration total) {
    long start = System.nanoTime();
    long[] last = {start};
    AtomicBoolean fired = new AtomicBoolean();
    ScheduledExecutorService w = watchdog;
    ScheduledFuture<?> task = null;
    if (w != null) {
      long every = Math.max(10, Math.min(idle.toMillis(), 1000) / 4);
      task =
          w.scheduleAtFixedRate(
              () -> {
                long now = System.nanoTime();
                if (now - last[0] > idle.toNanos() || now - start > total.toNanos()) {
                  fired.set(true);
                  closeQuietly(body);
                }
              },
              every, every, TimeUnit.MILLISECONDS);
    }
    ScheduledFuture<?> scheduled = task;
    return new Watch() {
      @Override
      public void touch() {
        last[0] = System.nanoTime();
      }

      @Override
      public boolean timedOut() {
        return fired.get();
      }

      @Override
      public void close() {
        if (scheduled != null) {
          scheduled.cancel(false);
        }
      }
    };
  }

  /** Closes {@code in}, ignoring failures: the stream is being abandoned. */
  public static void closeQuietly(InputStream in) {
    try {
      in.close();
    } catch (IOException e) {
      // nothing more can be done with a stream that fails to close
    }
  }
}
