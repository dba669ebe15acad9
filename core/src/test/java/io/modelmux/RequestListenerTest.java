package io.modelmux;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.modelmux.spi.Completion;
import io.modelmux.spi.ModelSpec;
import io.modelmux.testing.Await;
import io.modelmux.testing.ScriptedManagerTest;
import io.modelmux.testing.Threads;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * {@link RequestListener}: each request's start, attempts and end, heard in order on the
 * listener's own thread; shadow copies marked; a listener that throws or blocks never fails or
 * delays a request; events beyond a listener's queue are counted; close() delivers what was queued.
 */
class RequestListenerTest extends ScriptedManagerTest {
  private static final RetryPolicy QUICK = RetryPolicy.builder().backoff(Duration.ofMillis(1)).maxBackoff(Duration.ofMillis(5)).build();

  private static ModelSpec model(String id) {
    return ModelSpec.builder(id, "scripted").retry(QUICK).build();
  }

  /** Records each event as a line, and the threads it heard them on. */
  static final class Recorder implements RequestListener {
    final List<String> events = new CopyOnWriteArrayList<>();
    final Set<String> threads = ConcurrentHashMap.newKeySet();
    final Map<Long, List<String>> byRequest = new ConcurrentHashMap<>();

    private void add(RequestInfo r, String e) {
      threads.add(Thread.currentThread().getName());
      String line = (r.shadow() ? "shadow " : "") + e;
      events.add(line);
      byRequest.computeIfAbsent(r.id(), k -> new CopyOnWriteArrayList<>()).add(line);
    }

    @Override
    public void onStart(RequestInfo r) {
      add(r, "start " + r.request().model().orElse("-") + (r.stream() ? " stream" : ""));
    }

    @Override
    public void onAttempt(RequestInfo r, Attempt a) {
      add(r, "attempt " + a.model() + " " + a.outcome() + a.errorType().map(t -> " " + t).orElse(""));
    }

    @Override
    public void onResponse(RequestInfo r, GenerateResponse response) {
      add(r, "response " + response.model() + " " + response.text());
    }

    @Override
    public void onError(RequestInfo r, ModelMuxException error) {
      add(r, "error " + error.getClass().getSimpleName());
    }
  }

  @Test
  void should_hear_start_attempt_and_response_in_order_on_a_thread_of_its_own() {
    Recorder recorder = new Recorder();
    manager = builder().model(model("m")).requestListener(recorder).build();

    manager.generate(GenerateRequest.of("m", "hi"));

    Await.until(() -> recorder.events.size() == 3, "three events");
    assertThat(recorder.events).containsExactly("start m", "attempt m@latest SUCCEEDED", "response m@latest ok");
    assertThat(recorder.threads).hasSize(1).allSatisfy(t -> assertThat(t).contains("-listener-1"));
    assertThat(recorder.threads).doesNotContain(Thread.currentThread().getName());
  }

  @Test
  void should_hear_each_retry_and_fallback_then_the_response() {
    backends.on("m", (call, request, sink) -> {
      throw new BackendException("503 from m", "m", true, 503, null, null, null);
    });
    Recorder recorder = new Recorder();
    manager = builder().model(model("m")).model(model("spare")).requestListener(recorder)
        .route(RouteConfig.builder("chat").target("m").fallbacks(List.of("spare")).build()).build();

    GenerateResponse r = manager.generate(GenerateRequest.of("chat", "hi"));

    assertThat(r.model().id()).isEqualTo("spare");
    Await.until(() -> recorder.events.size() == 6, "six events");
    assertThat(recorder.events).containsExactly(
        "start chat",
        "attempt m@latest FAILED BackendException",
        "attempt m@latest FAILED BackendException",
        "attempt m@latest FAILED BackendException",
        "attempt spare@latest SUCCEEDED",
        "response spare@latest ok");
    ServingStats m = manager.model("m").orElseThrow().servingStats();
    assertThat(m.errors()).containsExactly(Map.entry("BackendException", 3L));
    assertThat(m.fallbacks()).isEqualTo(1);
  }

  @Test
  void should_hear_the_error_after_the_attempts_and_an_unknown_model_without_any() {
    backends.on("m", (call, request, sink) -> {
      throw new InvalidRequestException("bad request for m", "m", null);
    });
    Recorder recorder = new Recorder();
    manager = builder().model(model("m")).requestListener(recorder).build();

    assertThatThrownBy(() -> manager.generate(GenerateRequest.of("m", "hi"))).isInstanceOf(InvalidRequestException.class);
    assertThatThrownBy(() -> manager.generate(GenerateRequest.of("nope", "hi"))).isInstanceOf(UnknownModelException.class);

    Await.until(() -> recorder.events.size() == 5, "five events");
    assertThat(recorder.events).containsExactly(
        "start m", "attempt m@latest FAILED InvalidRequestException", "error InvalidRequestException",
        "start nope", "error UnknownModelException");
  }

  @Test
  void should_mark_the_copies_a_shadow_sends() {
    Recorder recorder = new Recorder();
    manager = builder().model(model("m")).model(model("s")).requestListener(recorder)
        .route(RouteConfig.builder("chat").target("m").shadow(new RouteConfig.Shadow("s", 100, 4)).build()).build();

    manager.generate(GenerateRequest.of("chat", "hi"));

    Await.until(() -> recorder.events.size() == 6, "six events");
    assertThat(recorder.events).filteredOn(e -> e.startsWith("shadow "))
        .containsExactly("shadow start chat", "shadow attempt s@latest SUCCEEDED", "shadow response s@latest ok");
    assertThat(recorder.events).filteredOn(e -> !e.startsWith("shadow "))
        .containsExactly("start chat", "attempt m@latest SUCCEEDED", "response m@latest ok");
  }

  @Test
  void should_hear_a_stream_marked_as_one() throws Exception {
    Recorder recorder = new Recorder();
    manager = builder().model(model("m")).requestListener(recorder).build();

    manager.stream(GenerateRequest.of("m", "hi"), new StreamListener() {
      @Override
      public void onToken(String piece) {}

      @Override
      public void onComplete(GenerateResponse response) {}

      @Override
      public void onError(ModelMuxException error) {}
    }).completion().get(10, TimeUnit.SECONDS);

    Await.until(() -> recorder.events.size() == 3, "three events");
    assertThat(recorder.events.get(0)).isEqualTo("start m stream");
  }

  @Test
  void should_serve_every_request_when_a_listener_throws_and_keep_it_hearing() {
    AtomicInteger heard = new AtomicInteger();
    RequestListener throwing = new RequestListener() {
      @Override
      public void onResponse(RequestInfo request, GenerateResponse response) {
        heard.incrementAndGet();
        throw new IllegalStateException("listener bug");
      }
    };
    Recorder recorder = new Recorder();
    manager = builder().model(model("m")).requestListener(throwing).requestListener(recorder).build();

    for (int i = 0; i < 20; i++) {
      assertThat(manager.generate(GenerateRequest.of("m", "hi")).text()).isEqualTo("ok");
    }

    Await.until(() -> heard.get() == 20, "the throwing listener hears all 20");
    Await.until(() -> recorder.events.size() == 60, "the other listener hears all 60 events");
  }

  @Test
  void should_not_delay_requests_while_a_listener_blocks_and_count_what_it_misses() throws Exception {
    CountDownLatch release = new CountDownLatch(1);
    AtomicInteger heard = new AtomicInteger();
    RequestListener blocked = new RequestListener() {
      @Override
      public void onStart(RequestInfo request) {
        heard.incrementAndGet();
        try {
          release.await();
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }
    };
    manager = builder().model(model("m")).requestListener(blocked).build();
    try {
      // 3,500 requests make 10,500 events: while the listener is stuck on the first, at most 10,000 wait
      for (int i = 0; i < 3_500; i++) {
        manager.generate(GenerateRequest.of("m", "hi"));
      }
      assertThat(release.getCount()).as("every request was served while the listener was blocked").isEqualTo(1);
      assertThat(manager.metrics().listenerEventsDropped()).isGreaterThanOrEqualTo(3_500 * 3 - 10_000 - 1);
    } finally {
      release.countDown();
    }
    Await.until(() -> heard.get() >= 1, "the listener resumes");
  }

  @Test
  void should_deliver_every_event_of_16_threads_with_unique_ids() throws Exception {
    Recorder recorder = new Recorder();
    manager = builder().model(model("m")).model(model("n")).requestListener(recorder).build();
    Threads.concurrently(16, t -> {
      String name = t % 2 == 0 ? "m" : "n";
      return () -> {
        for (int i = 0; i < 100; i++) {
          manager.generate(GenerateRequest.of(name, "hi"));
        }
        return null;
      };
    });

    Await.until(() -> recorder.events.size() == 1_600 * 3, "4,800 events");
    assertThat(recorder.byRequest).hasSize(1_600);
    assertThat(recorder.byRequest.keySet()).allSatisfy(id -> assertThat(id).isBetween(1L, 1_600L));
    assertThat(recorder.byRequest.values()).allSatisfy(events -> {
      assertThat(events).hasSize(3);
      assertThat(events.get(0)).startsWith("start ");
      assertThat(events.get(1)).startsWith("attempt ");
      assertThat(events.get(2)).startsWith("response ");
    });
  }

  @Test
  void should_deliver_queued_events_on_close_and_stop_its_thread() throws Exception {
    AtomicInteger responses = new AtomicInteger();
    RequestListener slow = new RequestListener() {
      @Override
      public void onResponse(RequestInfo request, GenerateResponse response) {
        try {
          Thread.sleep(2);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
        responses.incrementAndGet();
      }
    };
    manager = builder().model(model("m")).requestListener(slow).build();
    for (int i = 0; i < 200; i++) {
      manager.generate(GenerateRequest.of("m", "hi"));
    }

    manager.close();

    assertThat(responses.get()).as("close() delivered what was queued").isEqualTo(200);
    String thread = listenerThreadPrefix(manager) + "listener-1";
    assertThat(Thread.getAllStackTraces().keySet()).noneMatch(t -> t.getName().equals(thread) && t.isAlive());
  }

  private static String listenerThreadPrefix(MultiModelManager m) {
    return "modelmux-" + ((io.modelmux.internal.DefaultMultiModelManager) m).number() + "-";
  }

  @Test
  void should_make_no_event_without_a_listener() {
    manager = builder().model(model("m")).build();

    manager.generate(GenerateRequest.of("m", "hi"));

    assertThat(((io.modelmux.internal.DefaultMultiModelManager) manager).requestEvents().active()).isFalse();
    assertThat(manager.metrics().listenerEventsDropped()).isZero();
  }

  static Completion ok(String text) {
    return Completion.of(text, FinishReason.STOP);
  }
}
