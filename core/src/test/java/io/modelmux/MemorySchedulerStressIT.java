package io.modelmux;

import static org.assertj.core.api.Assertions.assertThat;

import io.modelmux.spi.Accelerator;
import io.modelmux.spi.ModelSpec;
import io.modelmux.testing.EchoAdapter;
import io.modelmux.testing.RecordingEchoFactory;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/**
 * Sixteen threads send requests, loads, unloads, pins and unpins at twenty models of random
 * sizes for ten seconds. After every step: no pool holds more than its budget, no model served
 * a request while unloaded, demoted or closed, and every request either completed or failed
 * with a documented exception. At the end no thread is left blocked.
 */
class MemorySchedulerStressIT {
  private static final int THREADS = 16;
  private static final int MODELS = 20;
  private static final long RUN_NANOS = TimeUnit.SECONDS.toNanos(10);

  @Test
  void should_keep_every_rule_under_random_concurrent_load() throws Exception {
    Random sizes = new Random(42);
    RecordingEchoFactory factory = new RecordingEchoFactory();
    Hardware hardware = new Hardware(100_000, List.of(new Accelerator("cuda:0", "test GPU", 5_000, false)), false);
    MemoryConfig memory =
        new MemoryConfig(MemoryConfig.Amount.ofBytes(10_000), null, Duration.ofSeconds(2), -1, "gdsf",
            Map.of("cuda:0", MemoryConfig.Amount.ofBytes(5_000)));
    ConcurrentLinkedQueue<Throwable> broken = new ConcurrentLinkedQueue<>();
    MultiModelManager.Builder b =
        MultiModelManager.builder().environment(n -> null).factory(factory).memory(memory).hardware(hardware);
    for (int i = 0; i < MODELS; i++) {
      boolean gpu = i % 4 == 0;
      ModelSpec.Builder spec =
          ModelSpec.builder("m" + i, "echo")
              .option("bytes", 500 + sizes.nextInt(gpu ? 2_000 : 3_500))
              .option("load_delay", "1ms")
              .option("token_delay", "0.1ms")
              .priority(i % 3);
      if (gpu) {
        spec.option("pool", "cuda:0").option("tiered", true);
      }
      b.model(spec.build());
    }
    MultiModelManager manager = b.build();
    manager.pools(); // the budget check below reads these
    Runnable checkBudgets =
        () -> {
          for (PoolStatus p : manager.pools()) {
            if (p.usedBytes() > p.budgetBytes()) {
              broken.add(new AssertionError("pool " + p.name() + " holds " + p.usedBytes() + " > " + p.budgetBytes()));
            }
          }
        };
    AtomicLong completed = new AtomicLong();
    AtomicLong refused = new AtomicLong();
    AtomicLong submitted = new AtomicLong();
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
                    step(manager, submitted, completed, refused);
                    checkBudgets.run();
                  }
                } catch (Throwable e) {
                  broken.add(e);
                }
              },
              "scheduler-stress-" + t);
      threads.add(thread);
      thread.start();
    }
    start.countDown();
    for (Thread thread : threads) {
      thread.join(TimeUnit.SECONDS.toMillis(60));
      assertThat(thread.isAlive()).as(thread.getName() + " left blocked").isFalse();
    }

    assertThat(broken).isEmpty();
    assertThat(completed.get() + refused.get()).isEqualTo(submitted.get());
    assertThat(completed.get()).as("requests completed: the scheduler made progress").isGreaterThan(200);
    for (EchoAdapter a : factory.adapters) {
      assertThat(a.servedWhileUnloaded).as("requests served while not loaded").hasValue(0);
    }
    assertThat(manager.models()).allSatisfy(s -> assertThat(s.inFlight()).isZero());
    assertThat(manager.models().stream().mapToLong(ModelStatus::evictions).sum()).isPositive();

    Thread closer = new Thread(manager::close);
    closer.start();
    closer.join(TimeUnit.SECONDS.toMillis(60));
    assertThat(closer.isAlive()).as("close() left blocked").isFalse();
    assertThat(factory.adapters).allSatisfy(a -> assertThat(a.isClosed()).isTrue());
  }

  private static void step(MultiModelManager manager, AtomicLong submitted, AtomicLong completed, AtomicLong refused) {
    ThreadLocalRandom random = ThreadLocalRandom.current();
    String model = "m" + random.nextInt(MODELS);
    int op = random.nextInt(100);
    try {
      if (op < 60) {
        submitted.incrementAndGet();
        GenerateRequest request =
            GenerateRequest.builder().model(model).prompt("a b c").deadline(Instant.now().plusMillis(500)).build();
        GenerateResponse r = manager.generate(request);
        assertThat(r.text()).isEqualTo(model + "@latest: a b c");
        completed.incrementAndGet();
      } else if (op < 70) {
        submitted.incrementAndGet();
        StringBuilder text = new StringBuilder();
        try (TokenStream tokens =
            manager.stream(GenerateRequest.builder().model(model).prompt("x y").deadline(Instant.now().plusMillis(500)).build())) {
          tokens.forEach(text::append);
          assertThat(text.toString()).isEqualTo(model + "@latest: x y");
        }
        completed.incrementAndGet();
      } else if (op < 78) {
        manager.preload(model).handle((v, e) -> null);
      } else if (op < 88) {
        manager.unload(model);
      } else if (op < 91) {
        manager.pin(model).handle((v, e) -> null); // loads in the background
      } else {
        manager.unpin(model);
      }
    } catch (DeadlineExceededException | OverloadedException e) {
      if (op < 70) {
        refused.incrementAndGet();
      }
    }
  }
}
