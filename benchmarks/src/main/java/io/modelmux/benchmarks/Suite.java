package io.modelmux.benchmarks;

import io.modelmux.benchmarks.report.ResultsReport;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.openjdk.jmh.results.format.ResultFormatType;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.RunnerException;
import org.openjdk.jmh.runner.options.ChainedOptionsBuilder;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;

/**
 * The whole suite in one command: runs every benchmark (or those matching the given patterns)
 * with {@code -prof gc}, writes JMH's JSON, then regenerates {@code RESULTS.md}'s tables and
 * the chart ({@link ResultsReport}).
 *
 * <pre>
 * java -cp benchmarks/target/benchmarks.jar io.modelmux.benchmarks.Suite [--quick] [--out DIR] [pattern ...]
 * </pre>
 *
 * <p>Without {@code --quick} each benchmark runs with its own settings (forks, warm-up,
 * iterations in its annotations). {@code --quick}: one fork, one warm-up and two measured
 * iterations of one second each — under 10 minutes on 2 cores, for a look rather than for the
 * record. {@code --out} is the directory of {@code RESULTS.md}, {@code results.json} and {@code
 * results.png} (default {@code benchmarks}, from the repository root).
 */
public final class Suite {
  private Suite() {}

  /** Runs the suite; exits 1 when a benchmark failed. */
  public static void main(String[] args) throws Exception {
    boolean quick = false;
    Path out = Path.of("benchmarks");
    List<String> patterns = new ArrayList<>();
    for (int i = 0; i < args.length; i++) {
      switch (args[i]) {
        case "--quick":
          quick = true;
          break;
        case "--out":
          out = Path.of(args[++i]);
          break;
        default:
          patterns.add(args[i]);
      }
    }
    Files.createDirectories(out);
    Path json = out.resolve("results.json");
    ChainedOptionsBuilder options = new OptionsBuilder()
        .addProfiler("gc")
        .shouldFailOnError(true)
        .resultFormat(ResultFormatType.JSON)
        .result(json.toString());
    for (String p : patterns) {
      options.include(p);
    }
    if (quick) {
      options.forks(1).warmupIterations(1).warmupTime(TimeValue.seconds(1))
          .measurementIterations(2).measurementTime(TimeValue.seconds(1));
    }
    String command = "java -cp benchmarks/target/benchmarks.jar io.modelmux.benchmarks.Suite " + String.join(" ", args);
    try {
      new Runner(options.build()).run();
    } catch (RunnerException e) {
      System.err.println("the suite failed: " + e.getMessage());
      System.exit(1);
    }
    ResultsReport.main(new String[] {
      json.toString(), out.resolve("RESULTS.md").toString(), out.resolve("results.png").toString(), command
    });
  }
}
