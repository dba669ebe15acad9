package io.modelmux.llamacpp;

import static org.assertj.core.api.Assertions.assertThat;

import io.modelmux.spi.ModelSpec;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/**
 * java-llama.cpp's loader deletes every file in its temp directory whose name starts with
 * "llama" or "jllama" before it extracts its library. The runners get a directory of their own:
 * a user's files in the system's temp directory survive loads, and nothing is left behind.
 */
class TempFilesTest {
  @Test
  void loads_leave_the_users_llama_files_in_the_temp_directory_alone_and_leave_nothing_behind() throws Exception {
    Path tmp = Path.of(System.getProperty("java.io.tmpdir"));
    Path mine = Files.writeString(tmp.resolve("llama-" + UUID.randomUUID() + ".gguf"), "a user's download");
    try (var before = Files.list(tmp)) {
      long runnerDirs = before.filter(p -> p.getFileName().toString().startsWith("modelmux-llamacpp-")).count();
      try (LlamaCppAdapter a = (LlamaCppAdapter) new LlamaCppModelFactory().create(
          ModelSpec.builder("t", "llamacpp").option("path", TinyGguf.CLASSPATH).device("cpu").build())) {
        for (int i = 0; i < 2; i++) {
          a.load();
          a.unload();
        }
      }
      assertThat(mine).exists().hasContent("a user's download");
      try (var after = Files.list(tmp)) {
        assertThat(after.filter(p -> p.getFileName().toString().startsWith("modelmux-llamacpp-")).count())
            .as("runner directories left").isEqualTo(runnerDirs);
      }
    } finally {
      Files.deleteIfExists(mine);
    }
  }
}
