package io.modelmux.examples;

import io.modelmux.GenerateRequest;
import io.modelmux.GenerateResponse;
import io.modelmux.MemoryStats;
import io.modelmux.ModelMuxConfig;
import io.modelmux.ModelStatus;
import io.modelmux.MultiModelManager;
import io.modelmux.PoolStatus;
import io.modelmux.TokenStream;
import io.modelmux.Usage;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;

/**
 * ModelMux's main job, end to end, on the built-in local model: no network, no keys. It builds
 * a {@link MultiModelManager} from {@code models.yaml} (the file given, else the copy inside the
 * jar), then generates, streams, sends concurrent requests that the adapter batches, and prints
 * what ModelMux did: which model served, latency, tokens per second and memory in use.
 */
public final class Quickstart {
  private Quickstart() {}

  /**
   * Runs the quickstart.
   *
   * @param args optionally the path of a models.yaml
   */
  public static void main(String[] args) {
    run(args.length > 0 ? Path.of(args[0]) : null, System.out);
  }

  static void run(Path configFile, PrintStream out) {
    ModelMuxConfig config = configFile != null ? ModelMuxConfig.load(configFile) : bundledConfig();
    out.println("ModelMux quickstart: " + config.models().size() + " models from "
        + (configFile != null ? configFile : "models.yaml (bundled)"));
    try (MultiModelManager models = MultiModelManager.builder().config(config).build()) {
      for (ModelStatus s : models.models()) {
        if (!s.type().equals("djl")) {
          out.printf("  %-12s %-6s remote: not contacted by the quickstart%n", s.ref(), s.type());
          continue;
        }
        long start = System.nanoTime();
        models.load(s.ref().toString());
        out.printf("  %-12s %-6s loaded in %4d ms %s%n", s.ref(), s.type(),
            (System.nanoTime() - start) / 1_000_000, s.isDefault() ? "(default)" : "");
      }

      section(out, "generate: greedy, on the default model");
      GenerateResponse greedy =
          models.generate(GenerateRequest.builder().prompt("ROMEO:\n").temperature(0).maxTokens(120).build());
      out.println("ROMEO:\n" + greedy.text());
      report(out, greedy);

      section(out, "stream: sampled (temperature 0.8, seed 42), on tiny-lm@2 (float16)");
      out.print("JULIET:\n");
      GenerateResponse streamed;
      try (TokenStream tokens =
          models.stream(
              GenerateRequest.builder()
                  .model("tiny-lm@2")
                  .prompt("JULIET:\n")
                  .temperature(0.8)
                  .seed(42)
                  .maxTokens(120)
                  .build())) {
        for (String piece : tokens) {
          out.print(piece);
          out.flush();
        }
        streamed = tokens.response();
      }
      out.println();
      report(out, streamed);

      section(out, "4 concurrent requests to alias prod (tiny-lm@1, batched together)");
      List<String> prompts = List.of("KING HENRY:\n", "HAMLET:\n", "First Citizen:\n", "MACBETH:\n");
      long start = System.nanoTime();
      List<CompletableFuture<GenerateResponse>> futures = new ArrayList<>();
      for (String p : prompts) {
        futures.add(models.generateAsync(GenerateRequest.builder().model("prod").prompt(p).seed(7).maxTokens(60).build()));
      }
      long tokens = 0;
      for (int i = 0; i < prompts.size(); i++) {
        GenerateResponse r = futures.get(i).join();
        tokens += r.usage().map(Usage::completionTokens).orElse(0L);
        String firstLine = r.text().strip().split("\n", 2)[0];
        out.printf("  %-16s -> %s%n", prompts.get(i).strip(), firstLine);
      }
      double seconds = (System.nanoTime() - start) / 1e9;
      out.printf("  [%d tokens in %.2f s: %.0f tokens/s over 4 requests]%n", tokens, seconds, tokens / seconds);

      section(out, "what ModelMux holds");
      for (ModelStatus s : models.models()) {
        out.printf("  %-12s %-8s %-6s %6.1f MB %-9s  requests %d, loads %d%s%n",
            s.ref(), s.state(), s.tier(), s.bytes() / 1e6,
            s.memoryStats().source() == MemoryStats.Source.NONE ? "remote" : s.memoryStats().source().name().toLowerCase(Locale.ROOT),
            s.requests(), s.loads(), s.aliases().isEmpty() ? "" : ", aliases " + s.aliases());
      }
      for (PoolStatus p : models.pools()) {
        out.printf("  pool %-8s %6.1f MB used of %.1f MB budget%n", p.name(), p.usedBytes() / 1e6, p.budgetBytes() / 1e6);
      }
    }
  }

  private static void section(PrintStream out, String title) {
    out.println();
    out.println("== " + title);
  }

  private static void report(PrintStream out, GenerateResponse r) {
    long tokens = r.usage().map(Usage::completionTokens).orElse(0L);
    double seconds = r.latency().toNanos() / 1e9;
    out.printf("  [served by %s, %s: %d tokens in %.2f s, %.0f tokens/s, first token after %s]%n",
        r.model(), r.finishReason(), tokens, seconds, tokens / seconds,
        r.timeToFirstToken().map(d -> d.toMillis() + " ms").orElse("?"));
  }

  /** Reads the models.yaml packed into the jar. */
  static ModelMuxConfig bundledConfig() {
    try (InputStream in = Quickstart.class.getResourceAsStream("/models.yaml")) {
      if (in == null) {
        throw new IllegalStateException("models.yaml is missing from the jar; rebuild examples");
      }
      return ModelMuxConfig.parse(new String(in.readAllBytes(), StandardCharsets.UTF_8), "models.yaml (bundled)", System::getenv);
    } catch (IOException e) {
      throw new IllegalStateException("cannot read the bundled models.yaml", e);
    }
  }
}
