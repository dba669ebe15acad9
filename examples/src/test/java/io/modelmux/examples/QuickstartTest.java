package io.modelmux.examples;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** The quickstart runs offline on the bundled models.yaml and says what ModelMux did. */
class QuickstartTest {
  @Test
  void should_generate_stream_batch_and_report_on_the_bundled_models() {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();

    Quickstart.run(null, new PrintStream(bytes, true, StandardCharsets.UTF_8));

    String out = bytes.toString(StandardCharsets.UTF_8);
    assertThat(out)
        .contains("3 models from models.yaml (bundled)")
        .contains("llama-8b@latest openai remote: not contacted")
        .contains("[served by tiny-lm@1, LENGTH: 120 tokens")
        .contains("[served by tiny-lm@2, LENGTH: 120 tokens")
        .contains("tokens/s over 4 requests")
        .containsPattern("tiny-lm@1 +LOADED +ACTIVE +\\d+\\.\\d MB (measured|counted)")
        .containsPattern("llama-8b@latest +REGISTERED +COLD +0\\.0 MB remote")
        .containsPattern("pool host +\\d+\\.\\d MB used of \\d+\\.\\d MB budget")
        .contains("aliases [prod]");
  }
}
