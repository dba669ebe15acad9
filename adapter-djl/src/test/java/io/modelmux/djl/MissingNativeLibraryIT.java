package io.modelmux.djl;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Without the {@code pytorch-native-cpu} jar, loading fails at once (nothing is downloaded) with
 * an error that names the artifact to add. Runs a second JVM whose class path lacks the jar and
 * whose DJL cache is empty.
 */
class MissingNativeLibraryIT {
  @TempDir Path home;

  @Test
  void should_name_the_native_artifact_when_the_library_is_missing() throws Exception {
    String classPath =
        Arrays.stream(System.getProperty("surefire.test.class.path", System.getProperty("java.class.path")).split(File.pathSeparator))
            .filter(entry -> !entry.contains("pytorch-native-cpu"))
            .collect(Collectors.joining(File.pathSeparator));
    ProcessBuilder pb =
        new ProcessBuilder(
                List.of(
                    Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                    "-Duser.home=" + home,
                    "-cp",
                    classPath,
                    LoadProbe.class.getName()))
            .redirectErrorStream(false);
    pb.environment().put("DJL_CACHE_DIR", home.resolve("djl").toString());
    pb.environment().remove("PYTORCH_LIBRARY_PATH");
    Process p = pb.start();
    p.getErrorStream().transferTo(java.io.OutputStream.nullOutputStream());
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(120, TimeUnit.SECONDS)).isTrue();

    assertThat(out)
        .startsWith("ModelLoadException: model 'probe': the PyTorch native library could not be loaded")
        .contains("ai.djl.pytorch:pytorch-native-cpu:2.7.1 with classifier linux-x86_64")
        .contains("downloads nothing at run time");
  }
}
