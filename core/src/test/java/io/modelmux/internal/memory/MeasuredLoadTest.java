package io.modelmux.internal.memory;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.modelmux.FinishReason;
import io.modelmux.GenerateRequest;
import io.modelmux.Hardware;
import io.modelmux.InsufficientMemoryException;
import io.modelmux.MemoryConfig;
import io.modelmux.MemoryStats;
import io.modelmux.ModelLoadException;
import io.modelmux.ModelState;
import io.modelmux.internal.registry.RegisteredModel;
import io.modelmux.spi.Capability;
import io.modelmux.spi.Completion;
import io.modelmux.spi.Footprint;
import io.modelmux.spi.Health;
import io.modelmux.spi.ModelAdapter;
import io.modelmux.spi.ModelInfo;
import io.modelmux.spi.ModelSpec;
import io.modelmux.spi.TokenSink;
import java.time.Clock;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import io.modelmux.testing.Await;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * What the scheduler charges a model resident in the process: the process's growth over load
 * and warm-up, measured one load at a time, against the adapter's own count. The process here
 * is a scripted {@link MemoryMeter} that the test's adapters move.
 */
@Timeout(30)
class MeasuredLoadTest {
  /** A process whose memory the adapters below grow and shrink. */
  static final class ScriptedProcess implements MemoryMeter {
    final AtomicLong resident = new AtomicLong(1_000_000);
    final AtomicLong peak = new AtomicLong(1_000_000);
    final AtomicLong jvm = new AtomicLong(500_000);
    volatile boolean available = true;
    volatile boolean peakResettable = true;

    void grow(long bytes) {
      peak.accumulateAndGet(resident.addAndGet(bytes), Math::max);
    }

    /** Touches {@code bytes} more for a moment and gives them back. */
    void spike(long bytes) {
      peak.accumulateAndGet(resident.get() + bytes, Math::max);
    }

    @Override
    public boolean available() {
      return available;
    }

    @Override
    public boolean resetPeak() {
      if (peakResettable) {
        peak.set(resident.get());
      }
      return peakResettable;
    }

    @Override
    public Reading read() {
      return new Reading(resident.get(), peak.get(), jvm.get());
    }
  }

  /** A model in the process: its load takes {@code loadBytes}, its warm-up spikes {@code workBytes}. */
  class Resident implements ModelAdapter {
    final String id;
    final long loadBytes;
    final long workBytes;
    final long count;
    volatile boolean resident = true;
    volatile RuntimeException warmUpFailure;
    volatile CountDownLatch holdLoad;
    volatile boolean loaded;
    final AtomicInteger loads = new AtomicInteger();
    final AtomicInteger warmUps = new AtomicInteger();
    final List<String> calls = java.util.Collections.synchronizedList(new ArrayList<>());

    Resident(String id, long loadBytes, long workBytes, long count) {
      this.id = id;
      this.loadBytes = loadBytes;
      this.workBytes = workBytes;
      this.count = count;
    }

    @Override
    public boolean residentInProcess() {
      return resident;
    }

    @Override
    public void prepare() {
      calls.add("prepare");
      if (!enginesStarted.getAndSet(true)) {
        process.grow(ENGINE);
      }
    }

    @Override
    public void load() {
      calls.add("load");
      int now = resident ? measuring.incrementAndGet() : 0;
      mostAtOnce.accumulateAndGet(now, Math::max);
      try {
        CountDownLatch hold = holdLoad;
        if (hold != null) {
          hold.await(10, TimeUnit.SECONDS);
        }
        process.grow(loadBytes);
        loaded = true;
        loads.incrementAndGet();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      } finally {
        if (resident) {
          measuring.decrementAndGet();
        }
      }
    }

    @Override
    public void warmUp() {
      calls.add("warmUp");
      warmUps.incrementAndGet();
      if (warmUpFailure != null) {
        throw warmUpFailure;
      }
      process.spike(workBytes);
    }

    @Override
    public void unload() {
      calls.add("unload");
      if (loaded) {
        process.grow(-loadBytes);
      }
      loaded = false;
    }

    @Override
    public ModelInfo info() {
      return new ModelInfo(new io.modelmux.ModelRef(id, "1"), "resident", EnumSet.of(Capability.STREAMING));
    }

    @Override
    public boolean isLoaded() {
      return loaded;
    }

    @Override
    public Completion generate(GenerateRequest request) {
      return Completion.of("ok", FinishReason.STOP);
    }

    @Override
    public Completion stream(GenerateRequest request, TokenSink sink) {
      return generate(request);
    }

    @Override
    public Health health() {
      return Health.up("resident");
    }

    @Override
    public Footprint footprint() {
      return loaded ? Footprint.measured(Footprint.HOST, count) : Footprint.estimated(Footprint.HOST, ESTIMATE);
    }

    @Override
    public void close() {
      unload();
    }
  }

  static final long ENGINE = 400_000_000;
  static final long ESTIMATE = 900_000;

  final ScriptedProcess process = new ScriptedProcess();
  final java.util.concurrent.atomic.AtomicBoolean enginesStarted = new java.util.concurrent.atomic.AtomicBoolean();
  final AtomicInteger measuring = new AtomicInteger();
  final AtomicInteger mostAtOnce = new AtomicInteger();
  final List<MemoryScheduler> schedulers = new ArrayList<>();

  @AfterEach
  void closeSchedulers() {
    schedulers.forEach(MemoryScheduler::close);
  }

  MemoryScheduler scheduler(long budget, boolean unified) {
    MemoryScheduler s =
        new MemoryScheduler(
            new MemoryConfig(MemoryConfig.Amount.ofBytes(budget), null, null, -1, "lru", Map.of()),
            new Hardware(1L << 34, List.of(), unified), null,
            MemoryScheduler.Settings.DEFAULTS.withMeter(process), Clock.systemUTC());
    schedulers.add(s);
    return s;
  }

  static RegisteredModel model(ModelAdapter adapter) {
    return new RegisteredModel(ModelSpec.builder(adapter.info().ref().id(), "resident").build(), adapter, 1, Clock.systemUTC());
  }

  static void use(MemoryScheduler s, RegisteredModel m) {
    Lease lease = s.lease(m, null);
    assertThat(lease).isNotNull();
    lease.close();
  }

  static long used(MemoryScheduler s) {
    return s.pools().get(0).usedBytes();
  }

  @Test
  void should_charge_the_processs_growth_at_its_peak_less_the_jvms_own_when_more_than_the_adapter_counts() {
    MemoryScheduler s = scheduler(10_000_000, false);
    Resident a = new Resident("a", 3_000_000, 2_000_000, 1_000_000);
    RegisteredModel m = model(a);
    assertThat(s.expectedOf(m)).isEqualTo(new MemoryScheduler.Expected(ESTIMATE, MemoryStats.Source.ESTIMATED));

    process.jvm.addAndGet(0); // the JVM did not grow: all of it is the model's
    use(s, m);

    assertThat(used(s)).isEqualTo(5_000_000); // 3 MB kept + 2 MB at the warm-up's peak
    assertThat(s.expectedOf(m)).isEqualTo(new MemoryScheduler.Expected(5_000_000, MemoryStats.Source.MEASURED));
    assertThat(a.calls).containsExactly("prepare", "load", "warmUp");
    assertThat(s.pools().get(0).models()).containsExactly(m.ref);
  }

  @Test
  void should_not_charge_the_jvms_growth_nor_the_engine_started_before_the_measurement() {
    MemoryScheduler s = scheduler(10_000_000, false);
    Resident a =
        new Resident("a", 3_000_000, 0, 1_000_000) {
          @Override
          public void load() {
            process.jvm.addAndGet(1_000_000); // its classes and heap: the JVM's, not the model's
            process.grow(1_000_000);
            super.load();
          }
        };
    RegisteredModel m = model(a);
    use(s, m);
    assertThat(used(s)).as("the engine's 400 MB came before; the JVM's 1 MB is not the model's").isEqualTo(3_000_000);
  }

  @Test
  void should_charge_the_adapters_count_when_larger_or_when_the_process_cannot_be_read() {
    MemoryScheduler s = scheduler(10_000_000, false);
    RegisteredModel small = model(new Resident("small", 100_000, 0, 2_000_000));
    use(s, small);
    assertThat(s.expectedOf(small)).isEqualTo(new MemoryScheduler.Expected(2_000_000, MemoryStats.Source.COUNTED));

    process.available = false;
    RegisteredModel unread = model(new Resident("unread", 5_000_000, 0, 1_500_000));
    use(s, unread);
    assertThat(s.expectedOf(unread)).isEqualTo(new MemoryScheduler.Expected(1_500_000, MemoryStats.Source.COUNTED));
    assertThat(used(s)).isEqualTo(3_500_000);
  }

  @Test
  void should_end_at_the_resident_memory_where_the_peak_cannot_be_reset() {
    process.peakResettable = false;
    process.peak.set(50_000_000); // an old peak must not be taken for this load's
    MemoryScheduler s = scheduler(10_000_000, false);
    RegisteredModel m = model(new Resident("a", 3_000_000, 2_000_000, 1_000_000));
    use(s, m);
    assertThat(used(s)).isEqualTo(3_000_000);
  }

  @Test
  void should_charge_the_unified_pool_on_unified_memory() {
    MemoryScheduler s = scheduler(10_000_000, true);
    RegisteredModel m = model(new Resident("a", 3_000_000, 0, 1_000_000));
    use(s, m);
    assertThat(s.pools()).singleElement().satisfies(p -> {
      assertThat(p.name()).isEqualTo(Footprint.UNIFIED);
      assertThat(p.usedBytes()).isEqualTo(3_000_000);
    });
  }

  @Test
  void should_admit_the_next_load_by_the_learned_size_and_forget_it_with_the_registration() {
    MemoryScheduler s = scheduler(10_000_000, false);
    Resident a = new Resident("a", 3_000_000, 0, 1_000_000);
    RegisteredModel m = model(a);
    use(s, m);
    s.unload(m);
    assertThat(used(s)).isZero();
    assertThat(s.expectedOf(m)).isEqualTo(new MemoryScheduler.Expected(3_000_000, MemoryStats.Source.MEASURED));

    RegisteredModel again = model(a); // registered anew under the same name
    assertThat(s.expectedOf(again).source()).isEqualTo(MemoryStats.Source.ESTIMATED);
    assertThat(s.expectedOf(again).bytes()).isEqualTo(ESTIMATE);
  }

  @Test
  void should_refuse_with_the_numbers_a_model_measured_larger_than_its_pool() {
    MemoryScheduler s = scheduler(4_000_000, false);
    Resident a = new Resident("big", 3_000_000, 2_000_000, 1_000_000); // estimated 0.9 MB, measures 5 MB
    RegisteredModel m = model(a);
    assertThatThrownBy(() -> use(s, m))
        .isInstanceOf(InsufficientMemoryException.class)
        .hasMessageContaining("needs 4.8 MiB in pool host, whose budget is 3.8 MiB");
    assertThat(a.isLoaded()).as("unloaded once measured too big").isFalse();
    assertThat(used(s)).isZero();
  }

  @Test
  void should_fail_the_load_and_give_back_its_memory_when_the_warm_up_fails_then_try_again() {
    MemoryScheduler s = scheduler(10_000_000, false);
    Resident a = new Resident("a", 3_000_000, 0, 1_000_000);
    a.warmUpFailure = new IllegalStateException("batch of 8 at 1024 tokens: index out of range");
    RegisteredModel m = model(a);
    assertThatThrownBy(() -> use(s, m))
        .isInstanceOf(ModelLoadException.class)
        .hasMessageContaining("model 'a@latest' loaded but failed its warm-up")
        .hasMessageContaining("index out of range");
    assertThat(a.isLoaded()).isFalse();
    assertThat(used(s)).isZero();
    assertThat(m.residency.state()).isEqualTo(ModelState.FAILED);

    a.warmUpFailure = null;
    use(s, m);
    assertThat(a.warmUps).hasValue(2);
    assertThat(used(s)).isEqualTo(3_000_000);
  }

  @Test
  void should_load_and_measure_one_model_at_a_time_across_managers_while_remote_loads_go_on() throws Exception {
    MemoryScheduler first = scheduler(100_000_000, false);
    MemoryScheduler second = scheduler(100_000_000, false);
    List<Resident> adapters = new ArrayList<>();
    List<CompletableFuture<Void>> loads = new ArrayList<>();
    CountDownLatch hold = new CountDownLatch(1);
    for (int i = 0; i < 8; i++) {
      Resident a = new Resident("m" + i, 1_000_000, 500_000, 100_000);
      a.holdLoad = i == 0 ? hold : null;
      adapters.add(a);
      loads.add((i % 2 == 0 ? first : second).preload(model(a)));
    }
    Resident remote = new Resident("remote", 0, 0, 0);
    remote.resident = false;
    remote.holdLoad = null;
    // m0's load holds the measurement: a model whose memory is elsewhere loads meanwhile
    CompletableFuture<Void> remoteLoad = first.preload(model(remote));
    remoteLoad.get(5, TimeUnit.SECONDS);
    hold.countDown();
    for (CompletableFuture<Void> f : loads) {
      f.get(10, TimeUnit.SECONDS);
    }
    assertThat(mostAtOnce).as("measured loads at once").hasValue(1);
    assertThat(used(first) + used(second)).isEqualTo(8 * 1_500_000);
  }

  @Test
  void should_take_the_specs_memory_in_place_of_the_estimate_and_as_a_floor_after_load() {
    MemoryScheduler s = scheduler(10_000_000, false);
    RegisteredModel small =
        new RegisteredModel(ModelSpec.builder("small", "resident").memoryBytes(5_000_000).build(),
            new Resident("small", 3_000_000, 0, 1_000_000), 1, Clock.systemUTC());
    RegisteredModel big =
        new RegisteredModel(ModelSpec.builder("big", "resident").memoryBytes(500_000).build(),
            new Resident("big", 3_000_000, 0, 1_000_000), 1, Clock.systemUTC());
    assertThat(s.expectedOf(small)).isEqualTo(new MemoryScheduler.Expected(5_000_000, MemoryStats.Source.ESTIMATED));
    assertThat(s.expectedOf(big)).as("lower than the adapter's estimate").isEqualTo(new MemoryScheduler.Expected(500_000, MemoryStats.Source.ESTIMATED));

    use(s, small);
    use(s, big);

    assertThat(s.expectedOf(small)).isEqualTo(new MemoryScheduler.Expected(5_000_000, MemoryStats.Source.DECLARED));
    assertThat(s.expectedOf(big)).isEqualTo(new MemoryScheduler.Expected(3_000_000, MemoryStats.Source.MEASURED));
    assertThat(used(s)).isEqualTo(8_000_000);
  }

  @Test
  void should_close_in_bounded_time_while_a_load_waits_for_another_managers_measurement() throws Exception {
    MemoryScheduler busy = scheduler(100_000_000, false);
    MemoryScheduler closing = scheduler(100_000_000, false);
    CountDownLatch hold = new CountDownLatch(1);
    Resident slow = new Resident("slow", 1_000_000, 0, 100_000);
    slow.holdLoad = hold;
    CompletableFuture<Void> holding = busy.preload(model(slow));
    Await.until(() -> measuring.get() == 1, "the other manager's load holds the measurement");
    Resident waiting = new Resident("waiting", 1_000_000, 0, 100_000);
    RegisteredModel waitingModel = model(waiting);
    CompletableFuture<Void> waits = closing.preload(waitingModel);
    Await.until(() -> waitingModel.residency.state() == ModelState.LOADING, "its load waits for the measurement");

    long start = System.nanoTime();
    closing.close(System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(200));
    long tookMillis = (System.nanoTime() - start) / 1_000_000;

    assertThat(tookMillis).as("close waited its timeout, then interrupted the waiting load").isLessThan(5_000);
    assertThatThrownBy(() -> waits.get(5, TimeUnit.SECONDS)).hasCauseInstanceOf(io.modelmux.ModelMuxException.class);
    assertThat(waiting.loads).hasValue(0);
    hold.countDown();
    holding.get(5, TimeUnit.SECONDS);
    assertThat(slow.isLoaded()).isTrue();
  }

  @Test
  void should_refuse_a_load_once_closed_and_leave_the_books_as_they_were() {
    MemoryScheduler s = scheduler(10_000_000, false);
    s.close();
    RegisteredModel m = model(new Resident("late", 1_000_000, 0, 100_000));
    assertThatThrownBy(() -> s.lease(m, null))
        .isInstanceOf(ModelLoadException.class)
        .hasMessageContaining("its manager is closing");
    assertThat(used(s)).isZero();
    assertThat(m.residency.state()).isEqualTo(ModelState.REGISTERED);
  }

  @Test
  void should_apply_the_specs_memory_to_the_pool_that_holds_most_of_the_model() {
    MemoryScheduler s = scheduler(10_000_000, false);
    Resident gpu =
        new Resident("gpu", 0, 0, 0) {
          @Override
          public Footprint footprint() {
            return Footprint.of(Map.of(Footprint.HOST, 100L, "cuda:0", 1_000L), false);
          }
        };
    gpu.resident = false;
    RegisteredModel m =
        new RegisteredModel(ModelSpec.builder("gpu", "resident").memoryBytes(5_000).build(), gpu, 1, Clock.systemUTC());
    assertThat(s.expectedOf(m).bytes()).as("5000 on cuda:0 in place of 1000, host's 100 kept").isEqualTo(5_100);
  }
}
