package io.modelmux.http;

import io.modelmux.BreakerPolicy;
import io.modelmux.CircuitOpenException;
import io.modelmux.spi.Breaker;
import java.net.URI;
import java.time.Clock;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicInteger;
import org.jspecify.annotations.Nullable;

/**
 * The servers of one model: picks one per request by least in-flight with power-of-two
 * choices (two replicas whose circuit lets calls through, at random; the less busy wins), and
 * keeps a circuit breaker per replica with the model's {@code circuit_breaker} policy — the
 * same {@link Breaker} the manager keeps for the model, so that a replica is judged as a model
 * is: it is left out while its circuit is open, then one probe decides. A model of one server
 * has no breaker here: the manager's covers it. When every replica's circuit is open, the
 * request fails with a {@link CircuitOpenException} naming each and its probe time (the
 * manager's fallbacks take it from there). Thread-safe.
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
    final Breaker breaker;

    Replica(URI baseUrl, Breaker breaker) {
      this.baseUrl = baseUrl;
      this.chat = URI.create(baseUrl + "/chat/completions");
      this.completions = URI.create(baseUrl + "/completions");
      this.models = URI.create(baseUrl + "/models");
      this.breaker = breaker;
    }

    @Override
    public String toString() {
      return baseUrl.toString();
    }
  }

  private final List<Replica> replicas = new ArrayList<>();
  private final String modelId;
  private final Clock clock;

  ReplicaSet(List<URI> urls, BreakerPolicy policy, Clock clock, String modelId) {
    this.modelId = modelId;
    this.clock = clock;
    BreakerPolicy each = urls.size() > 1 ? policy : BreakerPolicy.disabled();
    for (URI u : urls) {
      replicas.add(new Replica(u, Breaker.of("replica " + u + " of model '" + modelId + "'", each, clock)));
    }
  }

  List<Replica> all() {
    return replicas;
  }

  /**
   * Chooses a replica whose circuit lets the call through, takes that permission and counts the
   * request on it; call {@link #done} when it ends.
   *
   * @throws CircuitOpenException when every replica's circuit is open
   */
  Replica acquire() {
    if (replicas.size() == 1) {
      Replica only = replicas.get(0);
      only.inFlight.incrementAndGet();
      return only;
    }
    List<Replica> candidates = new ArrayList<>(replicas.size());
    for (Replica r : replicas) {
      if (r.breaker.mayEnter()) {
        candidates.add(r);
      }
    }
    while (!candidates.isEmpty()) {
      Replica chosen = choose(candidates);
      if (chosen.breaker.tryEnter()) {
        chosen.inFlight.incrementAndGet();
        return chosen;
      }
      candidates.remove(chosen); // its half-open probe was taken by another request
    }
    throw allOpen();
  }

  private static Replica choose(List<Replica> candidates) {
    if (candidates.size() == 1) {
      return candidates.get(0);
    }
    ThreadLocalRandom random = ThreadLocalRandom.current();
    int i = random.nextInt(candidates.size());
    int j = random.nextInt(candidates.size() - 1);
    if (j >= i) {
      j++;
    }
    Replica a = candidates.get(i);
    Replica b = candidates.get(j);
    return b.inFlight.get() < a.inFlight.get() ? b : a;
  }

  private CircuitOpenException allOpen() {
    Map<String, Breaker> breakers = new LinkedHashMap<>();
    for (Replica r : replicas) {
      breakers.put(r.toString(), r.breaker);
    }
    return Breaker.allOpen("every replica of model '" + modelId + "'", modelId, breakers, clock);
  }


  /**
   * Ends a request on {@code r}: its breaker records the outcome.
   *
   * @param nanos how long the call took
   * @param failure what it failed with, or null when it succeeded (or was cancelled)
   */
  void done(Replica r, long nanos, @Nullable Throwable failure) {
    r.inFlight.decrementAndGet();
    if (failure == null) {
      r.breaker.succeeded(nanos);
    } else {
      r.breaker.failed(nanos, failure);
    }
  }
}
