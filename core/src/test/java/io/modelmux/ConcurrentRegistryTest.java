package io.modelmux;

import static org.assertj.core.api.Assertions.assertThat;

import io.modelmux.spi.ModelSpec;
import io.modelmux.testing.EchoAdapter;
import io.modelmux.testing.RecordingEchoFactory;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/**
 * Eight threads register, unregister, re-alias and generate for two seconds against the echo
 * adapter. Every request must end in its own model's answer or a documented exception; no
 * closed model may serve; nothing may be left running.
 */
class ConcurrentRegistryTest {
  private static final int THREADS = 8;
  private static final long RUN_NANOS = TimeUnit.SECONDS.toNanos(2);
  private static final List<String> STABLE = List.of("s0", "s1", "s2", "s3");

  @Test
  void should_lose_and_misroute_no_request_while_models_come_and_go() throws Exception {
    RecordingEchoFactory factory = new RecordingEchoFactory();
    MultiModelManager.Builder b =
        MultiModelManager.builder().environment(n -> null).factory(factory);
    for (String id : STABLE) {
      b.model(ModelSpec.builder(id, "echo").version("1").build());
    }
    MultiModelManager manager = b.alias("hot", "s0").build();

    AtomicLong submitted = new AtomicLong();
    AtomicLong answered = new AtomicLong();
    AtomicLong refused = new AtomicLong();
    AtomicLong registrations = new AtomicLong();
    AtomicLong unregistrations = new AtomicLong();
    ConcurrentLinkedQueue<Throwable> unexpected = new ConcurrentLinkedQueue<>();
    CountDownLatch start = new CountDownLatch(1);
    List<Thread> threads = new ArrayList<>();
    for (int t = 0; t < THREADS; t++) {
      Thread thread =
          new Thread(
              () -> {
                try {
                  start.await();
                  long end = System.nanoTime() + RUN_NANOS;
                  while (System.nanoTime() < end) {
                    step(manager, submitted, answered, refused, registrations, unregistrations);
                  }
                } catch (Throwable e) {
                  unexpected.add(e);
                }
              },
              "registry-stress-" + t);
      threads.add(thread);
      thread.start();
    }
    start.countDown();
    for (Thread thread : threads) {
      thread.join(TimeUnit.SECONDS.toMillis(30));
      assertThat(thread.isAlive()).as(thread.getName() + " finished").isFalse();
    }

    assertThat(unexpected).isEmpty();
    assertThat(answered.get() + refused.get()).isEqualTo(submitted.get());
    assertThat(answered.get()).as("requests answered: the manager made progress").isGreaterThan(200);
    assertThat(registrations.get()).isPositive();
    assertThat(unregistrations.get()).isPositive();
    for (EchoAdapter a : factory.adapters) {
      assertThat(a.servedWhileUnloaded).as("requests served by a closed model").hasValue(0);
      assertThat(a.running).hasValue(0);
    }
    assertThat(manager.models()).allSatisfy(s -> assertThat(s.inFlight()).isZero());

    manager.close();
    assertThat(factory.adapters).allSatisfy(a -> assertThat(a.isClosed()).isTrue());
  }

  private static void step(
      MultiModelManager manager,
      AtomicLong submitted,
      AtomicLong answered,
      AtomicLong refused,
      AtomicLong registrations,
      AtomicLong unregistrations)
      throws InterruptedException {
    ThreadLocalRandom random = ThreadLocalRandom.current();
    int op = random.nextInt(100);
    String volatileId = "v" + random.nextInt(6);
    String version = Integer.toString(1 + random.nextInt(2));
    if (op < 10) {
      try {
        manager.register(
            ModelSpec.builder(volatileId, "echo")
                .version(version)
                .option("token_delay", "0.1ms") // keeps requests in flight while others unregister
                .build());
        registrations.incrementAndGet();
      } catch (ConfigException e) {
        assertThat(e).hasMessageContaining("already registered");
      }
    } else if (op < 20) {
      try {
        manager.unregister(random.nextBoolean() ? volatileId : volatileId + "@" + version);
        unregistrations.incrementAndGet();
      } catch (UnknownModelException e) {
        assertThat(e.requested()).startsWith(volatileId);
      }
    } else if (op < 23) {
      manager.alias("hot", STABLE.get(random.nextInt(STABLE.size())));
    } else if (op < 60) {
      String id = STABLE.get(random.nextInt(STABLE.size()));
      String name = random.nextBoolean() ? id : id + "@1";
      submitted.incrementAndGet();
      GenerateResponse r = serve(manager, name, random);
      check(r, id);
      answered.incrementAndGet();
    } else if (op < 70) {
      submitted.incrementAndGet();
      GenerateResponse r = serve(manager, "hot", random);
      assertThat(STABLE).contains(r.model().id());
      check(r, r.model().id());
      answered.incrementAndGet();
    } else {
      String name = random.nextBoolean() ? volatileId : volatileId + "@" + version;
      submitted.incrementAndGet();
      try {
        GenerateResponse r = serve(manager, name, random);
        check(r, volatileId);
        if (name.contains("@")) {
          assertThat(r.model().version()).isEqualTo(version);
        }
        answered.incrementAndGet();
      } catch (UnknownModelException e) {
        assertThat(e.requested()).isEqualTo(name);
        refused.incrementAndGet();
      }
    }
  }

  /** Sends one request by one of the three ways, chosen at random. */
  private static GenerateResponse serve(MultiModelManager manager, String name, ThreadLocalRandom random)
      throws InterruptedException {
    GenerateRequest request = GenerateRequest.of(name, "w" + random.nextInt(1000) + " x");
    int way = random.nextInt(4);
    if (way == 0) {
      try {
        return manager.generateAsync(request).get(30, TimeUnit.SECONDS);
      } catch (ExecutionException e) {
        throw (ModelMuxException) e.getCause();
      } catch (java.util.concurrent.TimeoutException e) {
        throw new AssertionError("request lost: no answer in 30 s", e);
      }
    }
    if (way == 1) {
      StringBuilder text = new StringBuilder();
      try (TokenStream tokens = manager.stream(request)) {
        tokens.forEach(text::append);
        GenerateResponse r = tokens.response();
        assertThat(text.toString()).isEqualTo(r.text());
        return r;
      }
    }
    GenerateResponse r = manager.generate(request);
    assertThat(r.text()).endsWith(request.prompt().get());
    return r;
  }

  private static void check(GenerateResponse r, String expectedId) {
    assertThat(r.model().id()).isEqualTo(expectedId);
    assertThat(r.text()).startsWith(r.model() + ":");
    assertThat(r.finishReason()).isEqualTo(FinishReason.STOP);
  }
}
