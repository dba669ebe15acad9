package io.modelmux.internal.observe;

import io.modelmux.Attempt;
import io.modelmux.GenerateRequest;
import io.modelmux.GenerateResponse;
import io.modelmux.ModelMuxException;
import io.modelmux.RequestInfo;
import io.modelmux.RequestListener;
import java.time.Clock;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Takes the request path's events to the {@link RequestListener}s: the application's, each on
 * a thread and a bounded queue of its own (so one that is slow or throws neither delays a
 * request nor the other listeners), and the manager's own observers, called in place (they are
 * ours, quick and never throw: the Micrometer binder). With no listener at all {@link
 * #active()} is false and the path makes no event. Thread-safe.
 */
public final class RequestEvents {
  private static final Logger log = LoggerFactory.getLogger(RequestEvents.class);
  /** Events a listener may fall behind by before it misses some. */
  public static final int QUEUE = 10_000;

  private final Clock clock;
  private final AtomicLong ids = new AtomicLong();
  private final Queued[] queued;
  private volatile RequestListener[] inPlace = new RequestListener[0];
  private volatile boolean active;
  private final LongAdder dropped = new LongAdder();
  private final String threadPrefix;

  /**
   * @param listeners the application's listeners, each served on a thread of its own
   * @param clock for {@link RequestInfo#started()}
   * @param threadPrefix names the listeners' threads
   */
  public RequestEvents(List<RequestListener> listeners, Clock clock, String threadPrefix) {
    this.clock = clock;
    this.threadPrefix = threadPrefix;
    this.queued = new Queued[listeners.size()];
    for (int i = 0; i < queued.length; i++) {
      queued[i] = new Queued(listeners.get(i), threadPrefix + "-listener-" + (i + 1));
    }
    this.active = queued.length > 0;
  }

  /** Adds one of the manager's own observers, called on the request's thread: it must be quick and must not throw. */
  public synchronized void addInPlace(RequestListener observer) {
    RequestListener[] now = inPlace;
    RequestListener[] more = java.util.Arrays.copyOf(now, now.length + 1);
    more[now.length] = observer;
    inPlace = more;
    active = true;
  }

  /** Removes an observer added with {@link #addInPlace}. */
  public synchronized void removeInPlace(RequestListener observer) {
    RequestListener[] now = inPlace;
    inPlace = java.util.Arrays.stream(now).filter(l -> l != observer).toArray(RequestListener[]::new);
    active = queued.length > 0 || inPlace.length > 0;
  }

  /** Returns whether anybody listens: when not, the path makes no event. */
  public boolean active() {
    return active;
  }

  /** Returns how many events listeners missed because their queue was full. */
  public long dropped() {
    return dropped.sum();
  }

  /** A request started: returns its info, for its later events. */
  public RequestInfo start(GenerateRequest request, boolean stream, boolean shadow, long startNanos) {
    RequestInfo info = new RequestInfo(ids.incrementAndGet(), request, stream, shadow, clock.instant(), startNanos);
    emit(Kind.START, info, null);
    return info;
  }

  /** An attempt ended. */
  public void attempt(RequestInfo info, Attempt attempt) {
    emit(Kind.ATTEMPT, info, attempt);
  }

  /** The request was answered. */
  public void response(RequestInfo info, GenerateResponse response) {
    emit(Kind.RESPONSE, info, response);
  }

  /** The request failed. */
  public void error(RequestInfo info, ModelMuxException error) {
    emit(Kind.ERROR, info, error);
  }

  private void emit(Kind kind, RequestInfo info, @Nullable Object payload) {
    for (RequestListener l : inPlace) {
      try {
        deliver(l, kind, info, payload);
      } catch (RuntimeException e) {
        log.debug("observer {} threw from on{}", l, capitalized(kind), e);
      }
    }
    for (Queued q : queued) {
      q.offer(kind, info, payload);
    }
  }

  private static void deliver(RequestListener listener, Kind kind, RequestInfo info, @Nullable Object payload) {
    switch (kind) {
      case START:
        listener.onStart(info);
        break;
      case ATTEMPT:
        listener.onAttempt(info, (Attempt) payload);
        break;
      case RESPONSE:
        listener.onResponse(info, (GenerateResponse) payload);
        break;
      default:
        listener.onError(info, (ModelMuxException) payload);
        break;
    }
  }

  /**
   * Delivers the events already queued, waiting until {@code untilNanos} ({@link
   * System#nanoTime()}) at most, then stops the listeners' threads. Events after this are
   * dropped.
   */
  public void close(long untilNanos) {
    for (Queued q : queued) {
      q.close();
    }
    for (Queued q : queued) {
      q.await(untilNanos);
    }
  }

  private enum Kind {
    START,
    ATTEMPT,
    RESPONSE,
    ERROR
  }

  private static final class Event {
    final Kind kind;
    final RequestInfo info;
    final @Nullable Object payload;

    Event(Kind kind, RequestInfo info, @Nullable Object payload) {
      this.kind = kind;
      this.info = info;
      this.payload = payload;
    }
  }

  private static final Event STOP = new Event(Kind.START, new RequestInfo(0, GenerateRequest.of(""), false, false, java.time.Instant.EPOCH, 0), null);

  /** One application listener: its queue and its thread (started with its first event). */
  private final class Queued implements Runnable {
    private final RequestListener listener;
    private final String threadName;
    private final ArrayBlockingQueue<Event> events = new ArrayBlockingQueue<>(QUEUE);
    private volatile @Nullable Thread thread; // written under this
    private volatile boolean closed; // written under this
    private volatile long lastDropWarning = Long.MIN_VALUE;
    private boolean warnedOfFailure; // the listener's thread only

    Queued(RequestListener listener, String threadName) {
      this.listener = listener;
      this.threadName = threadName;
    }

    void offer(Kind kind, RequestInfo info, @Nullable Object payload) {
      if (closed || (thread == null && !start())) {
        dropped.increment();
        return;
      }
      if (!events.offer(new Event(kind, info, payload))) {
        dropped.increment();
        long now = System.nanoTime();
        long last = lastDropWarning;
        if (last == Long.MIN_VALUE || now - last > TimeUnit.MINUTES.toNanos(1)) {
          lastDropWarning = now;
          log.warn(
              "request listener {} is more than {} events behind: events it cannot take are dropped ({} so far for all listeners)",
              listener, QUEUE, dropped.sum());
        }
      }
    }

    /** Starts the thread; false once closed. */
    private synchronized boolean start() {
      if (closed) {
        return false;
      }
      if (thread == null) {
        Thread t = new Thread(this, threadName);
        t.setDaemon(true);
        t.start();
        thread = t;
      }
      return true;
    }

    @Override
    public void run() {
      while (true) {
        Event e;
        try {
          e = events.take();
        } catch (InterruptedException ie) {
          return; // close() gave up waiting
        }
        if (e == STOP) {
          return;
        }
        deliver(e);
      }
    }

    private void deliver(Event e) {
      try {
        RequestEvents.deliver(listener, e.kind, e.info, e.payload);
      } catch (RuntimeException | Error failure) {
        if (failure instanceof VirtualMachineError) {
          throw (VirtualMachineError) failure;
        }
        if (!warnedOfFailure) {
          warnedOfFailure = true;
          log.warn("request listener {} threw from on{}; it keeps hearing later events (further failures at DEBUG)",
              listener, capitalized(e.kind), failure);
        } else {
          log.debug("request listener {} threw from on{}", listener, capitalized(e.kind), failure);
        }
      }
    }

    synchronized void close() {
      closed = true;
      if (thread != null) {
        while (!events.offer(STOP)) {
          Event oldest = events.poll(); // full: the stop takes the place of the oldest event
          if (oldest != null) {
            dropped.increment();
          }
        }
      }
    }

    void await(long untilNanos) {
      Thread t;
      synchronized (this) {
        t = thread;
      }
      if (t == null) {
        return;
      }
      try {
        long left = untilNanos - System.nanoTime();
        if (left > 0) {
          TimeUnit.NANOSECONDS.timedJoin(t, left);
        }
      } catch (InterruptedException ie) {
        Thread.currentThread().interrupt();
      }
      if (t.isAlive()) {
        log.warn("request listener {} still had events to hear when close() stopped waiting; stopping it", listener);
        t.interrupt();
      }
    }
  }

  private static String capitalized(Kind kind) {
    String k = kind.name().toLowerCase(java.util.Locale.ROOT);
    return Character.toUpperCase(k.charAt(0)) + k.substring(1);
  }

  @Override
  public String toString() {
    return "RequestEvents{" + threadPrefix + ", listeners=" + queued.length + '}';
  }
}
