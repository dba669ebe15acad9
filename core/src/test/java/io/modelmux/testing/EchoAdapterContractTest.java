package io.modelmux.testing;

import static org.assertj.core.api.Assertions.assertThat;

import io.modelmux.GenerateRequest;
import io.modelmux.spi.ModelAdapter;
import io.modelmux.spi.ModelFactories;
import io.modelmux.spi.ModelSpec;

/** The echo test adapter keeps the adapter contract, so the contract test is itself tested. */
class EchoAdapterContractTest extends ModelAdapterContractTest {
  @Override
  protected ModelAdapter createAdapter() {
    return ModelFactories.none()
        .register(new EchoModelFactory())
        .create(ModelSpec.builder("echo-1", "echo").build());
  }

  @Override
  protected GenerateRequest deterministicRequest() {
    return GenerateRequest.builder().prompt("to be or not to be").temperature(0).build();
  }

  @Override
  protected GenerateRequest failingRequest() {
    return GenerateRequest.of("please FAIL now");
  }

  @Override
  protected void assertReleased(ModelAdapter adapter) {
    super.assertReleased(adapter);
    assertThat(((EchoAdapter) adapter).isClosed()).isTrue();
  }
}
