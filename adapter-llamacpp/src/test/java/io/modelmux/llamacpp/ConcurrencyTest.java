package io.modelmux.llamacpp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.modelmux.BackendException;
import io.modelmux.FinishReason;
import io.modelmux.GenerateRequest;
import io.modelmux.ModelMuxException;
import io.modelmux.MultiModelManager;
import io.modelmux.spi.Completion;
import io.modelmux.spi.Health;
import io.modelmux.spi.ModelSpec;
import io.modelmux.spi.TokenSink;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Requests from many threads at once: decoded together in llama.cpp's slots, each answer the
 * one it would get alone; cancellation stops decoding at the next token; an unload or a runner
 * that dies mid-request fails the requests in flight with a typed error, never a hang.
 */
class ConcurrencyTest {
  static final List<String> PROMPTS =
      List.of("ROMEO:\n", "JULIET:\n", "KING HENRY:\nWhat says", "First Citizen:\n", "To be, or not to be", "O Romeo",
          "MENENIUS:\n", "Now is the winter");
  static final Map<String, String> alone = new ConcurrentHashMap<>();
  static LlamaCppAdapter eight;

  static LlamaCppAdapter adapter(int slots) {
    return (LlamaCppAdapter) new LlamaCppModelFactory().create(
        ModelSpec.builder("m" + slots, "llamacpp").option("path", TinyGguf.CLASSPATH).option("parallel", slots)
            .option("kv_cache_type", "f32").device("cpu").build());
  }

  static GenerateRequest greedy(String prompt, int tokens) {
    return GenerateRequest.builder().prompt(prompt).temperature(0).maxTokens(tokens).build();
  }

  @BeforeAll
  static void start() {
    eight = adapter(8);
    eight.load();
    for (String p : PROMPTS) {
      alone.put(p, eight.generate(greedy(p, 40)).text());
    }
  }

  @AfterAll
  static void stop() {
    eight.close();
  }

  /** Streams every prompt at once; returns, per prompt, when its first piece came and when it ended. */
  private static Map<String, long[]> streamAll(LlamaCppAdapter a, int tokens, Map<String, String> texts) throws Exception {
    Map<String, long[]> times = new ConcurrentHashMap<>();
    ExecutorService pool = Executors.newFixedThreadPool(PROMPTS.size());
    CountDownLatch go = new CountDownLatch(1);
    try {
      List<Future<?>> futures = new ArrayList<>();
      for (String p : PROMPTS) {
        futures.add(pool.submit(() -> {
          go.await();
          long[] t = {0, 0};
          Completion c = a.stream(greedy(p, tokens), new TokenSink() {
            @Override
            public void accept(String text) {
              if (t[0] == 0) {
                t[0] = System.nanoTime();
              }
            }

            @Override
            public boolean isCancelled() {
              return false;
            }

            @Override
            public void onCancel(Runnable action) {}
          });
          t[1] = System.nanoTime();
          times.put(p, t);
          texts.put(p, c.text());
          return null;
        }));
      }
      go.countDown();
      for (Future<?> f : futures) {
        f.get(2, TimeUnit.MINUTES);
      }
    } finally {
      pool.shutdownNow();
    }
    return times;
  }

  @Test
  void eight_streams_at_once_share_the_slots_and_each_gets_its_own_answer() throws Exception {
    Map<String, String> texts = new ConcurrentHashMap<>();
    Map<String, long[]> times = streamAll(eight, 40, texts);
    assertThat(texts).isEqualTo(alone);
    long lastFirstPiece = times.values().stream().mapToLong(t -> t[0]).max().orElseThrow();
    long firstEnd = times.values().stream().mapToLong(t -> t[1]).min().orElseThrow();
    assertThat(lastFirstPiece).as("every stream had begun before any ended: decoded together").isLessThan(firstEnd);
  }

  @Test
  void one_slot_serves_them_one_after_another_with_the_same_answers() throws Exception {
    try (LlamaCppAdapter one = adapter(1)) {
      one.load();
      Map<String, String> texts = new ConcurrentHashMap<>();
      Map<String, long[]> times = streamAll(one, 40, texts);
      assertThat(texts).isEqualTo(alone);
      long lastFirstPiece = times.values().stream().mapToLong(t -> t[0]).max().orElseThrow();
      long firstEnd = times.values().stream().mapToLong(t -> t[1]).min().orElseThrow();
      assertThat(lastFirstPiece).as("one slot: the last stream began after the first ended").isGreaterThan(firstEnd);
    }
  }

  @Test
  void sixteen_threads_of_mixed_requests_through_the_manager() throws Exception {
    try (MultiModelManager manager = MultiModelManager.builder()
        .model(ModelSpec.builder("gguf", "llamacpp").option("path", TinyGguf.CLASSPATH).option("parallel", 8)
            .option("kv_cache_type", "f32").device("cpu").build())
        .build()) {
      ExecutorService pool = Executors.newFixedThreadPool(16);
      List<Future<String>> answers = new ArrayList<>();
      List<String> asked = new ArrayList<>();
      for (int i = 0; i < 64; i++) {
        String p = PROMPTS.get(i % PROMPTS.size());
        boolean streamed = i % 2 == 0;
        asked.add(p);
        answers.add(pool.submit(() -> {
          GenerateRequest r = greedy(p, 40).toBuilder().model("gguf").build();
          if (!streamed) {
            return manager.generate(r).text();
          }
          StringBuilder sb = new StringBuilder();
          try (var s = manager.stream(r)) {
            s.forEach(sb::append);
          }
          return sb.toString();
        }));
      }
      for (int i = 0; i < answers.size(); i++) {
        assertThat(answers.get(i).get(2, TimeUnit.MINUTES)).as("answer %d", i).isEqualTo(alone.get(asked.get(i)));
      }
      pool.shutdownNow();
      assertThat(manager.model("gguf").get().failures()).isZero();
    }
  }

  @Test
  void a_cancelled_stream_stops_decoding_at_once_and_the_slot_serves_the_next_request() {
    AtomicInteger pieces = new AtomicInteger();
    AtomicBoolean cancelled = new AtomicBoolean();
    List<Runnable> onCancel = new CopyOnWriteArrayList<>();
    Completion c = eight.stream(greedy("ROMEO:\n", 2000), new TokenSink() {
      @Override
      public void accept(String text) {
        if (pieces.incrementAndGet() == 5) {
          cancelled.set(true);
          onCancel.forEach(Runnable::run);
        }
      }

      @Override
      public boolean isCancelled() {
        return cancelled.get();
      }

      @Override
      public void onCancel(Runnable action) {
        onCancel.add(action);
      }
    });
    assertThat(c.finishReason()).isEqualTo(FinishReason.CANCELLED);
    assertThat(pieces).hasValue(5);
    assertThat(c.text()).isEqualTo(alone.get("ROMEO:\n").substring(0, 5));
    // the runner stopped within a few tokens of the cancel, not after the 2,000 asked for
    assertThat(c.usage().get().completionTokens()).isLessThan(40);
    assertThat(eight.generate(greedy("ROMEO:\n", 40)).text()).isEqualTo(alone.get("ROMEO:\n"));
  }

  @Test
  void a_whole_answer_past_its_deadline_is_stopped_and_its_slot_serves_the_next_request() {
    try (LlamaCppAdapter one = adapter(1)) {
      one.load();
      GenerateRequest endless = greedy("ROMEO:\n", 100_000).toBuilder().timeout(java.time.Duration.ofMillis(300)).build();
      assertThatThrownBy(() -> one.generate(endless)).isInstanceOf(io.modelmux.DeadlineExceededException.class)
          .hasMessageContaining("passed its deadline");
      // one slot: had the runner not stopped it, this would wait behind 100,000 tokens
      GenerateRequest next = greedy("ROMEO:\n", 40).toBuilder().timeout(java.time.Duration.ofSeconds(30)).build();
      assertThat(one.generate(next).text()).isEqualTo(alone.get("ROMEO:\n"));
    }
  }

  @Test
  void unloading_during_requests_fails_them_with_a_typed_error_and_a_reload_serves_again() throws Exception {
    try (LlamaCppAdapter a = adapter(4)) {
      a.load();
      CountDownLatch started = new CountDownLatch(4);
      ExecutorService pool = Executors.newFixedThreadPool(4);
      List<Future<Completion>> inFlight = new ArrayList<>();
      for (int i = 0; i < 4; i++) {
        inFlight.add(pool.submit(() -> a.stream(greedy("ROMEO:\n", 5000), new TokenSink() {
          boolean first = true;

          @Override
          public void accept(String text) {
            if (first) {
              first = false;
              started.countDown();
            }
          }

          @Override
          public boolean isCancelled() {
            return false;
          }

          @Override
          public void onCancel(Runnable action) {}
        })));
      }
      assertThat(started.await(1, TimeUnit.MINUTES)).isTrue();
      a.unload();
      for (Future<Completion> f : inFlight) {
        assertThatThrownBy(() -> f.get(1, TimeUnit.MINUTES)).hasCauseInstanceOf(BackendException.class)
            .hasMessageContaining("the model was unloaded");
      }
      pool.shutdownNow();
      assertThatThrownBy(() -> a.generate(greedy("A", 4))).isInstanceOf(IllegalStateException.class).hasMessageContaining("not loaded");
      a.load();
      assertThat(a.generate(greedy("ROMEO:\n", 40)).text()).isEqualTo(alone.get("ROMEO:\n"));
    }
  }

  @Test
  void a_runner_that_dies_fails_its_requests_with_its_exit_and_reports_down() throws Exception {
    try (LlamaCppAdapter a = adapter(2)) {
      a.load();
      long pid = a.runnerPid();
      CountDownLatch started = new CountDownLatch(1);
      ExecutorService pool = Executors.newSingleThreadExecutor();
      Future<Completion> f = pool.submit(() -> a.stream(greedy("ROMEO:\n", 5000), new TokenSink() {
        @Override
        public void accept(String text) {
          started.countDown();
        }

        @Override
        public boolean isCancelled() {
          return false;
        }

        @Override
        public void onCancel(Runnable action) {}
      }));
      assertThat(started.await(1, TimeUnit.MINUTES)).isTrue();
      new ProcessBuilder("kill", "-9", Long.toString(pid)).start().waitFor();
      assertThatThrownBy(() -> f.get(1, TimeUnit.MINUTES)).hasCauseInstanceOf(BackendException.class)
          .hasMessageContaining("pid " + pid).hasMessageContaining("exited with code 137");
      pool.shutdownNow();
      assertThat(a.health().status()).isEqualTo(Health.Status.DOWN);
      assertThatThrownBy(() -> a.generate(greedy("A", 4))).isInstanceOf(ModelMuxException.class).hasMessageContaining("exited");
      a.unload();
      a.load();
      assertThat(a.generate(greedy("ROMEO:\n", 40)).text()).isEqualTo(alone.get("ROMEO:\n"));
    }
  }
}
