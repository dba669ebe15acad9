package io.modelmux.djl;

import static org.assertj.core.api.Assertions.assertThat;

import io.modelmux.GenerateRequest;
import io.modelmux.spi.ModelAdapter;
import io.modelmux.spi.ModelSpec;
import io.modelmux.testing.ModelAdapterContractTest;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;

/** The DJL adapter keeps the adapter contract, with batching on. */
class DjlAdapterContractTest extends ModelAdapterContractTest {
  @TempDir static Path dir;
  static Path model;

  @BeforeAll
  static void makeModel() throws IOException {
    model = TinyModels.randomTinyLm(dir.resolve("tiny"), 32);
  }

  @Override
  protected ModelAdapter createAdapter() {
    try {
      return new DjlModelFactory()
          .create(
              ModelSpec.builder("tiny", "djl")
                  .option("path", model.toString())
                  .option("max_batch_delay", "2ms")
                  .device("cpu")
                  .build());
    } catch (UncheckedIOException e) {
      throw e;
    }
  }

  @Override
  protected GenerateRequest deterministicRequest() {
    return GenerateRequest.builder().prompt("Hello").temperature(0).maxTokens(8).build();
  }

  @Override
  protected GenerateRequest failingRequest() {
    return GenerateRequest.of(""); // no token to continue from
  }

  @Override
  protected void assertReleased(ModelAdapter adapter) {
    super.assertReleased(adapter);
    assertThat(((DjlAdapter) adapter).modelForTests()).isNull();
  }
}
