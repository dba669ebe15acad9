package io.modelmux.examples.adapter;

import io.modelmux.GenerateRequest;
import io.modelmux.spi.ModelAdapter;
import io.modelmux.spi.ModelFactories;
import io.modelmux.spi.ModelSpec;
import io.modelmux.testing.ModelAdapterContractTest;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.io.TempDir;

/** The example FAQ adapter keeps the contract every adapter keeps. */
class FaqAdapterContractTest extends ModelAdapterContractTest {
  @TempDir Path dir;

  @Override
  protected ModelAdapter createAdapter() {
    Path faq = dir.resolve("faq.txt");
    try {
      Files.writeString(faq, "refund return money back => Refunds reach your account within 5 working days.\n");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return ModelFactories.none()
        .register(new FaqModelFactory())
        .create(ModelSpec.builder("faq-1", "faq").option("path", faq.toString()).build());
  }

  @Override
  protected GenerateRequest deterministicRequest() {
    return GenerateRequest.builder().prompt("How long does a refund take?").temperature(0).build();
  }

  @Override
  protected GenerateRequest failingRequest() {
    return GenerateRequest.of("What is the airspeed velocity of an unladen swallow?");
  }
}
