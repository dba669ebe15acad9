package io.modelmux.llamacpp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.modelmux.ConfigException;
import io.modelmux.ModelLoadException;
import io.modelmux.spi.ModelAdapter;
import io.modelmux.spi.ModelSpec;
import io.modelmux.testing.StandardError;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Files llama.cpp cannot serve get a {@link ModelLoadException} that names the file and the
 * problem; the adapter stays unloaded with no runner left, and loads a good file afterwards.
 */
class BadInputTest {
  @TempDir Path dir;

  private static LlamaCppAdapter adapter(String path, Object... options) {
    ModelSpec.Builder b = ModelSpec.builder("m", "llamacpp").option("path", path).device("cpu");
    for (int i = 0; i < options.length; i += 2) {
      b.option((String) options[i], options[i + 1]);
    }
    return (LlamaCppAdapter) new LlamaCppModelFactory().create(b.build());
  }

  private static void assertRefused(ModelAdapter a, String... parts) {
    assertThatThrownBy(a::load).isInstanceOf(ModelLoadException.class).message().contains(parts);
    assertThat(a.isLoaded()).isFalse();
    assertThat(((LlamaCppAdapter) a).runnerPid()).isEqualTo(-1);
  }

  @Test
  void a_missing_file_is_named() {
    Path missing = dir.resolve("nope.gguf");
    try (LlamaCppAdapter a = adapter(missing.toString())) {
      assertRefused(a, "model 'm'", missing.toString(), "does not exist");
    }
  }

  @Test
  void a_file_that_is_not_gguf_says_what_it_starts_with() throws IOException {
    Path text = Files.writeString(dir.resolve("model.gguf"), "this is no model\n");
    try (LlamaCppAdapter a = adapter(text.toString())) {
      assertRefused(a, text.toString(), "is not a GGUF file", "74 68 69 73"); // "this"
    }
  }

  @Test
  void a_truncated_file_is_named_truncated_whether_cut_in_its_header_or_its_data() throws IOException {
    byte[] whole = TinyGguf.bytes();
    Path header = Files.write(dir.resolve("header.gguf"), Arrays.copyOf(whole, 3000));
    Path data = Files.write(dir.resolve("data.gguf"), Arrays.copyOf(whole, whole.length - 4096));
    try (LlamaCppAdapter a = adapter(header.toString()); LlamaCppAdapter b = adapter(data.toString())) {
      assertRefused(a, header.toString(), "is truncated", "while reading");
      assertRefused(b, data.toString(), "is truncated", "output.weight", "file has " + (whole.length - 4096) + " bytes");
    }
  }

  @Test
  void an_architecture_llama_cpp_does_not_know_gets_llama_cpps_own_words() throws IOException {
    Path odd = TinyGguf.patched(dir.resolve("odd.gguf"), "gpt2", "zz99");
    String[] stderr = new String[1];
    try (LlamaCppAdapter a = adapter(odd.toString())) {
      stderr[0] = StandardError.capture(() -> assertRefused(a, odd.toString(), "unknown model architecture: 'zz99'"));
      // and it can try again: the same typed error, no runner left behind
      assertRefused(a, "unknown model architecture");
    }
    assertThat(stderr[0]).doesNotContain("llama_model_loader").doesNotContain("print_info");
  }

  @Test
  void a_context_larger_than_the_model_was_trained_for_is_refused_with_the_numbers() throws IOException {
    Path model = TinyGguf.copy(dir.resolve("tiny.gguf"));
    try (LlamaCppAdapter a = adapter(model.toString(), "context_length", 256)) {
      assertRefused(a, "context_length 256 is larger than the 128 tokens", model.toString(), "gpt2.context_length");
    }
    try (LlamaCppAdapter a = adapter(model.toString(), "context_length", 128)) {
      a.load(); // its own context is fine
      assertThat(a.contextLength()).hasValue(128);
    }
  }

  @Test
  void a_load_longer_than_load_timeout_is_abandoned_and_its_runner_ended() {
    try (LlamaCppAdapter a = adapter(TinyGguf.CLASSPATH, "load_timeout", "1ms")) {
      assertRefused(a, "did not finish loading within load_timeout (PT0.001S)");
      assertThat(SharedBudgetTest.runnerPids()).isEmpty();
    }
  }

  @Test
  void a_missing_class_path_resource() {
    try (LlamaCppAdapter a = adapter("classpath:/models/no-such.gguf")) {
      assertThat(a.footprint().totalBytes()).as("no estimate without a file").isZero();
      assertRefused(a, "model 'm'", "class path resource /models/no-such.gguf does not exist", "classpath:/models/no-such.gguf");
    }
  }

  @Test
  void a_failed_load_leaves_the_adapter_able_to_load_a_good_file_later() throws IOException {
    Path model = dir.resolve("later.gguf");
    try (LlamaCppAdapter a = adapter(model.toString())) {
      assertRefused(a, "does not exist");
      TinyGguf.copy(model);
      a.load();
      assertThat(a.isLoaded()).isTrue();
      assertThat(ProcessHandle.of(a.runnerPid())).isPresent();
    }
  }

  @Test
  void bad_options_are_refused_when_the_model_is_declared() {
    assertThatThrownBy(() -> adapter("x.gguf", "kv_cache_type", "f8")).isInstanceOf(ConfigException.class)
        .hasMessageContaining("kv_cache_type").hasMessageContaining("f8");
    assertThatThrownBy(() -> adapter("x.gguf", "parallel", 0)).isInstanceOf(ConfigException.class)
        .hasMessageContaining("parallel").hasMessageContaining("at least 1");
    assertThatThrownBy(() -> adapter("x.gguf", "gpu_layers", 10)).isInstanceOf(ConfigException.class)
        .hasMessageContaining("device is cpu");
    assertThatThrownBy(() -> new LlamaCppModelFactory().create(ModelSpec.builder("m", "llamacpp").build()))
        .isInstanceOf(ConfigException.class).hasMessageContaining("path");
  }
}
