package io.modelmux.llamacpp;

import io.modelmux.GenerateRequest;
import io.modelmux.spi.ModelSpec;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Loads, uses and unloads the tiny GGUF {@code args[0]} times and prints this process's
 * resident memory before and after, and how many runners outlived their unload; run by
 * {@link LoadUnloadMemoryIT} in a JVM of its own.
 */
public final class LoadCycleProbe {
  private LoadCycleProbe() {}

  static long rssKb() throws Exception {
    for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
      if (line.startsWith("VmRSS:")) {
        return Long.parseLong(line.replaceAll("[^0-9]", ""));
      }
    }
    throw new IllegalStateException("no VmRSS");
  }

  public static void main(String[] args) throws Exception {
    int cycles = Integer.parseInt(args[0]);
    LlamaCppAdapter a = (LlamaCppAdapter) new LlamaCppModelFactory().create(
        ModelSpec.builder("cycle", "llamacpp").option("path", TinyGguf.CLASSPATH).option("parallel", 2).device("cpu").build());
    GenerateRequest r = GenerateRequest.builder().prompt("ROMEO:\n").temperature(0).maxTokens(16).build();
    long start = 0;
    int outlived = 0;
    long measured = 0;
    for (int i = -5; i < cycles; i++) {
      if (i == 0) {
        System.gc();
        start = rssKb();
      }
      a.load();
      long pid = a.runnerPid();
      measured = a.footprint().totalBytes();
      a.generate(r);
      a.unload();
      if (ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false)) {
        outlived++;
      }
    }
    System.gc();
    long end = rssKb();
    a.close();
    System.out.println("start_kb=" + start + " end_kb=" + end + " outlived=" + outlived + " measured=" + measured);
  }
}
