package io.modelmux.djl;

import static org.assertj.core.api.Assertions.assertThat;

import io.modelmux.GenerateRequest;
import io.modelmux.GenerateResponse;
import io.modelmux.MultiModelManager;
import io.modelmux.spi.ModelAdapter;
import io.modelmux.spi.ModelFactory;
import io.modelmux.spi.ModelSpec;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/**
 * {@code max_concurrency} on a batched local model counts requests, and the requests it lets
 * through still reach the batch worker together.
 */
class BatchedLimitTest {
  @Test
  void should_let_max_concurrency_requests_through_to_be_decoded_in_one_batch() throws Exception {
    AtomicReference<DjlAdapter> created = new AtomicReference<>();
    ModelFactory djl = new ModelFactory() { // the DJL factory, holding on to the adapter it makes
      @Override
      public String type() {
        return "djl-observed";
      }

      @Override
      public Set<String> optionKeys() {
        return new DjlModelFactory().optionKeys();
      }

      @Override
      public ModelAdapter create(ModelSpec spec) {
        DjlAdapter a = (DjlAdapter) new DjlModelFactory().create(spec);
        created.set(a);
        return a;
      }
    };
    try (MultiModelManager manager = MultiModelManager.builder().environment(n -> null).factory(djl)
        .model(ModelSpec.builder("tiny", "djl-observed").option("path", "classpath:/models/tiny-lm").device("cpu")
            .option("max_batch_size", 8).option("max_batch_delay", "500ms").maxConcurrency(4).maxQueue(8).build())
        .build()) {
      manager.load("tiny");
      List<CompletableFuture<GenerateResponse>> calls = new ArrayList<>();
      for (int i = 0; i < 8; i++) {
        calls.add(manager.generateAsync(GenerateRequest.builder().model("tiny").prompt("ROMEO" + i).maxTokens(8).build()));
      }
      for (CompletableFuture<GenerateResponse> c : calls) {
        assertThat(c.get(60, TimeUnit.SECONDS).usage().orElseThrow().completionTokens()).isEqualTo(8);
      }

      assertThat(created.get().largestBatch()).as("a batch of 8 could form; the limit let 4 through, decoded together").isEqualTo(4);
      assertThat(manager.model("tiny").orElseThrow().guardStats().active()).isZero();
    }
  }
}
