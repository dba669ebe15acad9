package io.modelmux.http;

import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.LongSupplier;

/**
 * The servers of one model: picks one per request by least in-flight with power-of-two
 * choices (two healthy replicas at random, the less busy wins), and ejects a replica after
 * {@code maxFailures} consecutive failures for {@code ejectFor}, passively (no probe traffic).
 * When every replica is ejected the one whose ejection ends first is tried. Thread-safe.
 */
final class ReplicaSet {
  /** One server. */
  static final class Replica {
    final URI baseUrl;
    /** The endpoints under this base URL, built once. */
    final URI chat;
    final URI completions;
    final URI models;
    final AtomicInteger inFlight = new AtomicInteger();
    final AtomicInteger consecutiveFailures = new AtomicInteger();
    volatile boolean ejected;
    volatile long ejectedUntilNanos;

    Replica(URI baseUrl) {
      this.baseUrl = baseUrl;
      this.chat = URI.create(baseUrl + "/chat/completions");
      this.completions = URI.create(baseUrl + "/completions");
      this.models = URI.create(baseUrl + "/models");
    }

    @Override
    public String toString() {
      return baseUrl.toString();
    }
  }

  private final List<Replica> replicas = new ArrayList<>();
  private final int maxFailures;
  private final long ejectNanos;
  private final LongSupplier nanoTime;

  ReplicaSet(List<URI> urls, int maxFailures, Duration ejectFor, LongSupplier nanoTime) {
    for (URI u : urls) {
      replicas.add(new Replica(u));
    }
    this.maxFailures = maxFailures;
    this.ejectNanos = ejectFor.toNanos();
    this.nanoTime = nanoTime;
  }

  List<Replica> all() {
    return replicas;
  }

  /** Chooses a replica and counts the request on it; call {@link #done} when it ends. */
  Replica acquire() {
    Replica chosen;
    if (replicas.size() == 1) {
      chosen = replicas.get(0);
    } else {
      long now = nanoTime.getAsLong();
      List<Replica> healthy = new ArrayList<>(replicas.size());
      for (Replica r : replicas) {
        if (!r.ejected || r.ejectedUntilNanos - now <= 0) {
          healthy.add(r);
        }
      }
      if (healthy.isEmpty()) {
        chosen = replicas.get(0);
        for (Replica r : replicas) {
          if (r.ejectedUntilNanos - chosen.ejectedUntilNanos < 0) {
            chosen = r;
          }
        }
      } else if (healthy.size() == 1) {
        chosen = healthy.get(0);
      } else {
        ThreadLocalRandom random = ThreadLocalRandom.current();
        int i = random.nextInt(healthy.size());
        int j = random.nextInt(healthy.size() - 1);
        if (j >= i) {
          j++;
        }
        Replica a = healthy.get(i);
        Replica b = healthy.get(j);
        chosen = b.inFlight.get() < a.inFlight.get() ? b : a;
      }
    }
    chosen.inFlight.incrementAndGet();
    return chosen;
  }

  /**
   * Ends a request on {@code r}.
   *
   * @param failed whether the replica failed (a connection error, timeout or 5xx), rather than
   *     the request being refused on its merits
   */
  void done(Replica r, boolean failed) {
    r.inFlight.decrementAndGet();
    if (!failed) {
      r.consecutiveFailures.set(0);
      return;
    }
    if (r.consecutiveFailures.incrementAndGet() >= maxFailures) {
      r.consecutiveFailures.set(0);
      r.ejectedUntilNanos = nanoTime.getAsLong() + ejectNanos;
      r.ejected = true;
    }
  }

  boolean isEjected(Replica r) {
    return r.ejected && r.ejectedUntilNanos - nanoTime.getAsLong() > 0;
  }
}
