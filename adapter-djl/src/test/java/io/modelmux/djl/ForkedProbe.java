package io.modelmux.djl;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Runs a probe's {@code main} in a JVM of its own, with this test's class path, and returns the
 * {@code key=value} pairs of the last line it printed; for memory tests whose figures other
 * tests in the same JVM would blur.
 */
final class ForkedProbe {
  private ForkedProbe() {}

  static Map<String, String> run(Class<?> probe, List<String> jvmOptions, long timeoutSeconds, String... args) throws Exception {
    String classPath = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.addAll(jvmOptions);
    command.add("-Dorg.slf4j.simpleLogger.defaultLogLevel=warn");
    command.add("-cp");
    command.add(classPath);
    command.add(probe.getName());
    command.addAll(List.of(args));
    Process p = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.DISCARD).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
    assertThat(p.waitFor(timeoutSeconds, TimeUnit.SECONDS)).as("%s ended within %d s", probe.getSimpleName(), timeoutSeconds).isTrue();
    assertThat(p.exitValue()).as(out).isZero();
    System.out.println(out);
    Map<String, String> figures = new LinkedHashMap<>();
    for (String pair : out.substring(out.lastIndexOf('\n') + 1).split(" ")) {
      String[] kv = pair.split("=", 2);
      figures.put(kv[0], kv.length > 1 ? kv[1] : "");
    }
    return figures;
  }
}
