package io.modelmux.http;

import io.modelmux.http.testing.FakeServer;
import static org.assertj.core.api.Assertions.assertThat;

import io.modelmux.BackendException;
import io.modelmux.BreakerPolicy;
import io.modelmux.GenerateRequest;
import io.modelmux.spi.ModelAdapter;
import io.modelmux.spi.ModelSpec;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** 200 concurrent requests over 3 replicas, one of which fails half of what it gets. */
class ReplicaConcurrencyTest {
  @Test
  void should_answer_or_fail_typed_every_request_and_lean_away_from_the_bad_replica() throws Exception {
    byte[] ok = FakeServer.fixture("openai/vllm_chat_completion.json");
    byte[] err = FakeServer.fixture("openai/error_500_server_error_openai.json");
    AtomicInteger badServed = new AtomicInteger();
    try (FakeServer a = new FakeServer(); FakeServer b = new FakeServer(); FakeServer bad = new FakeServer()) {
      a.on("/v1/chat/completions", FakeServer.body(200, "application/json", ok));
      b.on("/v1/chat/completions", FakeServer.body(200, "application/json", ok));
      bad.on("/v1/chat/completions", ex -> {
        badServed.incrementAndGet();
        if (ThreadLocalRandom.current().nextBoolean()) {
          FakeServer.send(ex, 500, "application/json", err);
        } else {
          FakeServer.send(ex, 200, "application/json", ok);
        }
      });
      ModelAdapter adapter =
          new OpenAiModelFactory()
              .create(
                  ModelSpec.builder("llama", "openai")
                      .option("replicas", List.of(a.openAiBaseUrl(), b.openAiBaseUrl(), bad.openAiBaseUrl()))
                      .option("http_version", "1.1")
                      .circuitBreaker(BreakerPolicy.builder().window(4).minimumCalls(4).failureRate(50).openFor(Duration.ofSeconds(30)).build())
                      .build());
      adapter.load();
      ExecutorService pool = Executors.newFixedThreadPool(32);
      int answered = 0;
      int failed = 0;
      try {
        List<Future<String>> futures = new ArrayList<>();
        for (int i = 0; i < 200; i++) {
          futures.add(pool.submit(() -> adapter.generate(GenerateRequest.of("Hi")).text()));
        }
        for (Future<String> f : futures) {
          try {
            assertThat(f.get(60, TimeUnit.SECONDS)).isNotEmpty();
            answered++;
          } catch (ExecutionException e) {
            assertThat(e.getCause()).isInstanceOfSatisfying(BackendException.class, be -> {
              assertThat(be.isRetryable()).isTrue();
              assertThat(be.statusCode()).hasValue(500);
            });
            failed++;
          }
        }
      } finally {
        pool.shutdownNow();
        adapter.close();
      }
      assertThat(answered + failed).isEqualTo(200);
      assertThat(a.requests.get() + b.requests.get() + bad.requests.get()).isEqualTo(200);
      assertThat(failed).isLessThanOrEqualTo(badServed.get()).isPositive();
      assertThat(badServed.get()).as("the failing replica's circuit opened").isLessThan(Math.min(a.requests.get(), b.requests.get()));
    }
  }
}
