package io.modelmux.llamacpp;

import static org.assertj.core.api.Assertions.assertThat;

import io.modelmux.GenerateRequest;
import io.modelmux.spi.ModelAdapter;
import io.modelmux.spi.ModelSpec;
import io.modelmux.testing.ModelAdapterContractTest;

/** The llama.cpp adapter keeps the adapter contract, with four slots. */
class LlamaCppAdapterContractTest extends ModelAdapterContractTest {
  @Override
  protected ModelAdapter createAdapter() {
    return new LlamaCppModelFactory()
        .create(ModelSpec.builder("tiny", "llamacpp").option("path", TinyGguf.CLASSPATH).option("threads", 1).device("cpu").build());
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
    assertThat(((LlamaCppAdapter) adapter).runnerPid()).isEqualTo(-1);
  }
}
