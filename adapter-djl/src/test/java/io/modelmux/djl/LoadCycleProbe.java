package io.modelmux.djl;

import io.modelmux.GenerateRequest;
import io.modelmux.spi.ModelAdapter;
import io.modelmux.spi.ModelSpec;
import java.io.IOException;
import java.lang.management.BufferPoolMXBean;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Loads, uses and unloads the shipped tiny LM {@code args[0]} times and prints what the process
 * holds; {@link LoadUnloadMemoryIT} runs it in a JVM of its own. Linux only (reads
 * {@code /proc/self/status}).
 */
public final class LoadCycleProbe {
  private LoadCycleProbe() {}

  /** Runs the probe. */
  public static void main(String[] args) throws Exception {
    int cycles = Integer.parseInt(args[0]);
    BufferPoolMXBean direct =
        ManagementFactory.getPlatformMXBeans(BufferPoolMXBean.class).stream()
            .filter(b -> b.getName().equals("direct"))
            .findFirst()
            .orElseThrow();
    GenerateRequest request = GenerateRequest.builder().prompt("ROMEO:\n").temperature(0).maxTokens(8).build();
    try (ModelAdapter adapter =
        new DjlModelFactory()
            .create(ModelSpec.builder("m", "djl").option("path", "classpath:/models/tiny-lm").device("cpu").build())) {
      // Warm up: engine start, native libraries, JIT, the allocator's arenas.
      for (int i = 0; i < 3; i++) {
        adapter.load();
        adapter.generate(request);
        adapter.unload();
      }
      long start = vmRssKb();
      long peak = start;
      long directWhileLoaded = 0;
      long parameterBytes = 0;
      for (int i = 0; i < cycles; i++) {
        long before = direct.getMemoryUsed();
        adapter.load();
        directWhileLoaded = Math.max(directWhileLoaded, direct.getMemoryUsed() - before);
        parameterBytes = adapter.footprint().totalBytes();
        adapter.generate(request);
        peak = Math.max(peak, vmRssKb());
        adapter.unload();
      }
      long end = vmRssKb();
      System.out.println(
          "start_kb=" + start + " end_kb=" + end + " peak_kb=" + Math.max(peak, end)
              + " direct_while_loaded=" + directWhileLoaded + " footprint=" + parameterBytes);
    }
  }

  static long vmRssKb() throws IOException {
    for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
      if (line.startsWith("VmRSS:")) {
        return Long.parseLong(line.replaceAll("[^0-9]", ""));
      }
    }
    throw new IllegalStateException("no VmRSS in /proc/self/status");
  }
}
