package io.modelmux.llamacpp;

import static org.assertj.core.api.Assertions.assertThat;

import io.modelmux.GenerateRequest;
import io.modelmux.MultiModelManager;
import io.modelmux.spi.ModelSpec;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The shipped tiny LM served two ways from the same weights: by DJL from its {@code .params}
 * ({@code type: djl}) and by llama.cpp from the GGUF the converter wrote ({@code type: llamacpp}),
 * both in float32 (llama.cpp's KV cache too). Greedy continuations agree token for token.
 */
class ParityTest {
  static final int TOKENS = 48;
  static final List<String> PROMPTS =
      List.of("ROMEO:\n", "First Citizen:\nBefore we proceed any further, hear me speak.\n", "KING HENRY:\nWhat says",
          "To be, or not to be", "O Romeo, Romeo! wherefore art thou");
  static MultiModelManager manager;

  @BeforeAll
  static void start() {
    manager =
        MultiModelManager.builder()
            .model(ModelSpec.builder("djl", "djl").option("path", "classpath:/models/tiny-lm").device("cpu")
                .option("max_batch_size", 1).build())
            .model(ModelSpec.builder("gguf", "llamacpp").option("path", "classpath:/models/tiny-lm.gguf")
                .option("kv_cache_type", "f32").option("parallel", 1).device("cpu").build())
            .build();
  }

  @AfterAll
  static void stop() {
    manager.close();
  }

  @Test
  void greedyContinuationsAreIdenticalForFortyEightTokensOnFivePrompts() {
    for (String prompt : PROMPTS) {
      GenerateRequest r = GenerateRequest.builder().prompt(prompt).temperature(0).maxTokens(TOKENS).build();
      String viaDjl = manager.generate(r.toBuilder().model("djl").build()).text();
      String viaLlama = manager.generate(r.toBuilder().model("gguf").build()).text();
      System.out.printf("parity %-40s djl=%s | llama.cpp=%s%n", "[" + prompt.replace("\n", "\\n") + "]",
          viaDjl.replace("\n", "\\n"), viaLlama.replace("\n", "\\n"));
      assertThat(viaDjl.getBytes(java.nio.charset.StandardCharsets.UTF_8)).hasSize(TOKENS); // one byte per token
      assertThat(viaLlama).as("llama.cpp vs DJL for %s", prompt).isEqualTo(viaDjl);
    }
  }
}
