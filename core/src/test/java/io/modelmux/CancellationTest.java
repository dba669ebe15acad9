package io.modelmux;

import static org.assertj.core.api.Assertions.assertThat;

import io.modelmux.spi.ModelSpec;
import io.modelmux.testing.Await;
import io.modelmux.testing.GateModelFactory;
import io.modelmux.testing.ScriptedModelFactory;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Cancellation and life cycle on the request path: a cancelled {@code generateAsync} stops its
 * work and frees what it held, the default executor is bounded, and {@code close()} ends in
 * bounded time even when an adapter call is stuck.
 */
class CancellationTest {
  private MultiModelManager manager;

  @AfterEach
  void close() {
    if (manager != null) {
      manager.close();
    }
  }

  @Test
  void should_stop_the_work_and_free_the_lease_and_the_slot_when_generate_async_is_cancelled() throws Exception {
    CountDownLatch started = new CountDownLatch(1);
    AtomicBoolean interrupted = new AtomicBoolean();
    ScriptedModelFactory backends = new ScriptedModelFactory().on("m", (call, request, sink) -> {
      started.countDown();
      try {
        new CountDownLatch(1).await(30, TimeUnit.SECONDS); // a call that would run on
      } catch (InterruptedException e) {
        interrupted.set(true);
        Thread.currentThread().interrupt();
        throw new ModelMuxException("interrupted", e);
      }
      throw new AssertionError("the call was not interrupted");
    });
    manager = MultiModelManager.builder().environment(n -> null).factory(backends)
        .model(ModelSpec.builder("m", "scripted").maxConcurrency(1).build()).build();

    CompletableFuture<GenerateResponse> call = manager.generateAsync(GenerateRequest.of("m", "hi"));
    assertThat(started.await(10, TimeUnit.SECONDS)).isTrue();
    assertThat(manager.model("m").orElseThrow().inFlight()).isEqualTo(1);

    assertThat(call.cancel(true)).isTrue();

    Await.until(interrupted::get, "the adapter's call was interrupted");
    Await.until(() -> manager.model("m").orElseThrow().inFlight() == 0, "the lease was given back");
    Await.until(() -> manager.model("m").orElseThrow().guardStats().active() == 0, "the slot was given back");
    assertThat(call.isCancelled()).isTrue();
    assertThat(backends.calls("m")).as("an interrupted call is not retried").isEqualTo(1);
  }

  @Test
  void should_queue_asynchronous_requests_on_a_bounded_pool_rather_than_start_a_thread_each() throws Exception {
    GateModelFactory gate = new GateModelFactory(64);
    manager = MultiModelManager.builder().environment(n -> null).factory(gate)
        .model(ModelSpec.builder("g", "gate").build()).build();
    int before = workers();

    List<CompletableFuture<GenerateResponse>> calls = new ArrayList<>();
    for (int i = 0; i < 200; i++) {
      calls.add(manager.generateAsync(GenerateRequest.of("g", "hi")));
    }
    assertThat(gate.entered.await(10, TimeUnit.SECONDS)).as("64 calls run at once").isTrue();

    assertThat(workers() - before).isLessThanOrEqualTo(64);
    gate.gate.countDown();
    for (CompletableFuture<GenerateResponse> c : calls) {
      assertThat(c.get(30, TimeUnit.SECONDS).text()).isEqualTo("ab");
    }
  }

  @Test
  void should_return_from_close_within_close_timeout_when_an_adapter_call_is_stuck() throws Exception {
    GateModelFactory gate = new GateModelFactory(1); // never opened: the call is stuck
    manager = MultiModelManager.builder().environment(n -> null).factory(gate).closeTimeout(Duration.ofMillis(300))
        .model(ModelSpec.builder("g", "gate").build()).build();
    CompletableFuture<GenerateResponse> stuck = manager.generateAsync(GenerateRequest.of("g", "hi"));
    assertThat(gate.entered.await(10, TimeUnit.SECONDS)).isTrue();

    long start = System.nanoTime();
    manager.close();
    long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);

    assertThat(millis).as("closeTimeout, then a second for the worker threads at most").isLessThan(3_000);
    assertThat(gate.closed).as("the model was closed under the stuck call").isTrue();
    Await.until(stuck::isDone, "the stuck call ended: its thread was interrupted");
    assertThat(stuck).isCompletedExceptionally();
  }

  @Test
  void should_return_from_close_within_close_timeout_when_a_load_is_stuck() {
    manager = MultiModelManager.builder().environment(n -> null).closeTimeout(Duration.ofMillis(300))
        .model(ModelSpec.builder("slow", "echo").option("load_delay", "60s").build()).build();
    manager.preload("slow");
    Await.until(() -> manager.model("slow").orElseThrow().state() == ModelState.LOADING, "the load began");

    long start = System.nanoTime();
    manager.close();
    long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);

    assertThat(millis).as("closeTimeout, then a second for the worker threads at most").isLessThan(3_000);
  }

  private static int workers() {
    int n = 0;
    for (Thread t : Thread.getAllStackTraces().keySet()) {
      if (t.getName().matches("modelmux-\\d+-worker-\\d+") && t.isAlive()) {
        n++;
      }
    }
    return n;
  }
}
