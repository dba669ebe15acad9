package io.modelmux.examples;

import io.modelmux.BenchmarkConfig;
import io.modelmux.BenchmarkResult;
import io.modelmux.BenchmarkRound;
import io.modelmux.ConfigException;
import io.modelmux.GenerateRequest;
import io.modelmux.GenerateResponse;
import io.modelmux.ModelMuxException;
import io.modelmux.MultiModelManager;
import io.modelmux.TokenStream;
import io.modelmux.gateway.Gateway;
import io.modelmux.internal.config.Quantities;
import io.modelmux.spi.MessageText;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code java -jar modelmux.jar}: with no arguments, the {@link Quickstart}; with
 * {@code run ...}, one request through a {@link MultiModelManager} built from a models.yaml; with
 * {@code bench ...}, a comparative benchmark of every model in a models.yaml; with
 * {@code serve ...}, an OpenAI-compatible HTTP gateway to them until stopped.
 *
 * <p>{@code run} prints only the generated text on stdout (as it comes with {@code --stream})
 * and diagnostics on stderr; {@code bench} prints the comparison as a table on stdout. Exit
 * codes: 0 done; 1 the request failed, or no model could be benchmarked (one line
 * {@code error: <exception type>: <message>} on stderr); 2 a usage or configuration error.
 */
@Command(
    name = "modelmux",
    mixinStandardHelpOptions = true,
    version = "ModelMux 0.1.0",
    description = "Many models behind one API. With no command, runs the quickstart.",
    subcommands = {ModelMuxCli.Run.class, ModelMuxCli.Bench.class, ModelMuxCli.Serve.class})
public final class ModelMuxCli implements Callable<Integer> {
  /** A request failed. */
  static final int REQUEST_FAILED = 1;
  /** The command line or the configuration is wrong. */
  static final int USAGE = 2;

  @Override
  public Integer call() {
    Quickstart.main(new String[0]);
    return 0;
  }

  /**
   * Runs the command line.
   *
   * @param args the arguments
   */
  public static void main(String[] args) {
    System.exit(execute(args, new PrintWriter(System.out, true), new PrintWriter(System.err, true)));
  }

  /** Runs the command line with the given streams and returns the exit code. */
  static int execute(String[] args, PrintWriter out, PrintWriter err) {
    CommandLine cli = new CommandLine(new ModelMuxCli());
    cli.setOut(out);
    cli.setErr(err);
    cli.setExecutionExceptionHandler(
        (e, commandLine, parseResult) -> {
          if (e instanceof ModelMuxException) {
            commandLine.getErr().println(errorLine(e.getClass().getSimpleName(), e.getMessage()));
            return e instanceof ConfigException ? USAGE : REQUEST_FAILED;
          }
          throw e;
        });
    return cli.execute(args);
  }

  /** Reads {@code --timeout} as models.yaml reads durations; a bad value is a usage error (exit 2). */
  static final class DurationConverter implements CommandLine.ITypeConverter<Duration> {
    @Override
    public Duration convert(String value) {
      Duration d;
      try {
        d = Quantities.parseDuration(value);
      } catch (IllegalArgumentException e) {
        throw new CommandLine.TypeConversionException("expected a duration such as 500ms, 30s or 2m: " + e.getMessage());
      }
      if (d.isNegative() || d.isZero()) {
        throw new CommandLine.TypeConversionException("must be positive, such as 30s");
      }
      return d;
    }
  }

  /**
   * Returns the one line {@code error: <what>: <message>}, with any character that could break
   * it into several lines or drive the terminal escaped (messages quote text from backends).
   */
  static String errorLine(String what, String message) {
    return "error: " + what + ": " + MessageText.escape(String.valueOf(message));
  }

  /** {@code run}: one request. */
  @Command(
      name = "run",
      mixinStandardHelpOptions = true,
      description = "Send one request and print the generated text.")
  static final class Run implements Callable<Integer> {
    @Option(names = "--config", required = true, paramLabel = "FILE", description = "the models.yaml to build the manager from")
    Path config;

    @Option(names = "--model", paramLabel = "ID", description = "model id, id@version or alias (default: the default model)")
    String model;

    @Option(names = "--prompt", required = true, paramLabel = "TEXT", description = "the prompt")
    String prompt;

    @Option(names = "--max-tokens", paramLabel = "N", description = "the most tokens to generate")
    Integer maxTokens;

    @Option(names = "--temperature", paramLabel = "T", description = "sampling temperature; 0 is greedy")
    Double temperature;

    @Option(names = "--seed", paramLabel = "S", description = "random seed: the same seed gives the same text")
    Long seed;

    @Option(names = "--stream", description = "print the text as it is generated")
    boolean stream;

    @Option(
        names = "--timeout",
        paramLabel = "DURATION",
        converter = DurationConverter.class,
        description = "give up after this long (500ms, 30s, 2m), counted from when the request is sent;"
            + " retries and fallbacks stay within it")
    Duration timeout;

    @CommandLine.Spec CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
      PrintWriter out = spec.commandLine().getOut();
      PrintWriter err = spec.commandLine().getErr();
      if (!Files.isRegularFile(config)) {
        err.println(errorLine("ConfigException", config + " does not exist or is not a file"));
        return USAGE;
      }
      GenerateRequest request;
      try {
        GenerateRequest.Builder b = GenerateRequest.builder().prompt(prompt);
        if (model != null) {
          b.model(model);
        }
        if (maxTokens != null) {
          b.maxTokens(maxTokens);
        }
        if (temperature != null) {
          b.temperature(temperature);
        }
        if (seed != null) {
          b.seed(seed);
        }
        request = b.build();
      } catch (IllegalArgumentException | IllegalStateException e) {
        err.println(errorLine("invalid option", e.getMessage()));
        return USAGE;
      }
      try (MultiModelManager models = MultiModelManager.builder().config(config).build()) {
        if (timeout != null) {
          request = request.toBuilder().timeout(timeout).build(); // from now: loading the config is not the request's time
        }
        GenerateResponse response;
        if (stream) {
          try (TokenStream tokens = models.stream(request)) {
            for (String piece : tokens) {
              out.print(piece);
              out.flush();
            }
            response = tokens.response();
          }
        } else {
          response = models.generate(request);
          out.print(response.text());
        }
        out.println();
        out.flush();
        err.printf("[%s, %s, %s tokens, %d ms]%n", response.model(), response.finishReason(),
            response.usage().map(u -> Long.toString(u.completionTokens())).orElse("?"),
            response.latency().toMillis());
        return 0;
      }
    }
  }

  /** {@code serve}: the models behind an OpenAI-compatible HTTP API until the process is stopped. */
  @Command(
      name = "serve",
      mixinStandardHelpOptions = true,
      description = "Serve the models over an OpenAI-compatible HTTP API (POST /v1/chat/completions,"
          + " POST /v1/completions, GET /v1/models, GET /health, GET /metrics) until stopped:"
          + " Ctrl-C or SIGTERM stops taking requests, lets those in flight finish, then exits."
          + " Prints the address on stdout once listening.")
  static final class Serve implements Callable<Integer> {
    @Option(names = "--config", required = true, paramLabel = "FILE", description = "the models.yaml to build the manager from")
    Path config;

    @Option(names = "--host", paramLabel = "ADDRESS", defaultValue = "127.0.0.1",
        description = "the address to listen on (default ${DEFAULT-VALUE}; 0.0.0.0 for every interface: set --api-key-env then)")
    String host;

    @Option(names = "--port", paramLabel = "N", defaultValue = "8080",
        description = "the port (default ${DEFAULT-VALUE}; 0 lets the system choose)")
    int port;

    @Option(names = "--api-key-env", paramLabel = "NAME",
        description = "the environment variable holding the API keys callers must send (Authorization: Bearer),"
            + " comma-separated; without it no key is asked")
    String apiKeyEnv;

    @Option(names = "--request-timeout", paramLabel = "DURATION", converter = DurationConverter.class,
        description = "how long a request may take when it does not say (header X-ModelMux-Timeout)")
    Duration requestTimeout;

    @Option(names = "--drain-timeout", paramLabel = "DURATION", converter = DurationConverter.class, defaultValue = "30s",
        description = "how long requests in flight may run on after a stop (default ${DEFAULT-VALUE})")
    Duration drainTimeout;

    @Option(names = "--max-body", paramLabel = "SIZE", defaultValue = "4MiB",
        description = "the largest request body accepted (default ${DEFAULT-VALUE}); larger ones get 413")
    String maxBody;

    @CommandLine.Spec CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws InterruptedException {
      PrintWriter out = spec.commandLine().getOut();
      PrintWriter err = spec.commandLine().getErr();
      if (!Files.isRegularFile(config)) {
        err.println(errorLine("ConfigException", config + " does not exist or is not a file"));
        return USAGE;
      }
      List<String> keys = List.of();
      if (apiKeyEnv != null) {
        String value = System.getenv(apiKeyEnv);
        keys = value == null ? List.of() : java.util.Arrays.stream(value.split(","))
            .map(String::trim).filter(k -> !k.isEmpty()).toList();
        if (keys.isEmpty()) {
          err.println(errorLine("ConfigException", "--api-key-env " + apiKeyEnv
              + ": the environment variable is not set or holds no key; set it to one or more comma-separated keys"));
          return USAGE;
        }
      }
      Gateway.Builder builder;
      MultiModelManager models = MultiModelManager.builder().config(config).build();
      try {
        builder = Gateway.builder(models).host(host).port(port).apiKeys(keys).drainTimeout(drainTimeout)
            .maxBodyBytes(Quantities.parseBytes(maxBody));
        if (requestTimeout != null) {
          builder.requestTimeout(requestTimeout);
        }
      } catch (IllegalArgumentException e) {
        models.close();
        err.println(errorLine("invalid option", e.getMessage()));
        return USAGE;
      }
      Gateway gateway = builder.build();
      try {
        gateway.start();
      } catch (ModelMuxException e) {
        gateway.close();
        models.close();
        err.println(errorLine(e.getClass().getSimpleName(), e.getMessage()));
        return USAGE;
      }
      java.util.concurrent.CountDownLatch stopped = new java.util.concurrent.CountDownLatch(1);
      Thread stop = new Thread(() -> {
        err.println("stopping: draining requests in flight (at most " + drainTimeout.toSeconds() + " s)");
        err.flush();
        gateway.close();
        models.close();
        stopped.countDown();
      }, "modelmux-serve-stop");
      Runtime.getRuntime().addShutdownHook(stop);
      out.println(gateway.uri() + "/v1");
      out.flush();
      err.println("serving " + models.models().size() + " models and " + models.routes().size()
          + " routes on " + gateway.uri() + "/v1" + (keys.isEmpty() ? " (no API key asked)" : " (" + keys.size() + " API keys)")
          + "; Ctrl-C to stop");
      err.flush();
      stopped.await();
      return 0;
    }
  }

  /** {@code bench}: every model on the same prompts, compared. */
  @Command(
      name = "bench",
      mixinStandardHelpOptions = true,
      description = "Give every model the same prompts, one model at a time, and compare them: a table on stdout,"
          + " a round of JSON Lines appended to a file.")
  static final class Bench implements Callable<Integer> {
    /** The file rounds go to when neither --out nor the configuration's benchmark.out names one. */
    static final String DEFAULT_OUT = "modelmux-bench.jsonl";

    @Option(names = "--config", required = true, paramLabel = "FILE", description = "the models.yaml to build the manager from")
    Path config;

    @Option(names = "--prompts", paramLabel = "FILE",
        description = "prompts, one a line (default: the configuration's benchmark prompts, else built-in ones)")
    Path prompts;

    @Option(names = "--out", paramLabel = "FILE.jsonl",
        description = "append the round here as JSON Lines (default: benchmark.out, else " + DEFAULT_OUT + ")")
    Path out;

    @Option(names = "--max-tokens", paramLabel = "N", description = "the most tokens of each answer (default 32)")
    Integer maxTokens;

    @Option(names = "--skip-unloaded", description = "skip local models that are not loaded, rather than load each in turn")
    boolean skipUnloaded;

    @CommandLine.Spec CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws Exception {
      PrintWriter stdout = spec.commandLine().getOut();
      PrintWriter err = spec.commandLine().getErr();
      if (!Files.isRegularFile(config)) {
        err.println(errorLine("ConfigException", config + " does not exist or is not a file"));
        return USAGE;
      }
      List<String> given = null;
      if (prompts != null) {
        try {
          given = Files.readAllLines(prompts).stream().map(String::strip).filter(l -> !l.isEmpty()).toList();
        } catch (java.io.IOException | RuntimeException e) {
          err.println(errorLine("invalid option", "--prompts " + prompts + " cannot be read: " + e.getMessage()));
          return USAGE;
        }
        if (given.isEmpty()) {
          err.println(errorLine("invalid option", "--prompts " + prompts + " has no prompt; give one prompt a line"));
          return USAGE;
        }
      }
      if (maxTokens != null && maxTokens < 1) {
        err.println(errorLine("invalid option", "--max-tokens must be at least 1"));
        return USAGE;
      }
      io.modelmux.ModelMuxConfig cfg = io.modelmux.ModelMuxConfig.load(config);
      BenchmarkConfig section = cfg.benchmark().orElse(BenchmarkConfig.of(BenchmarkConfig.DEFAULT_PROMPTS));
      Path file = out != null ? out : section.outFile().orElse(Path.of(DEFAULT_OUT));
      BenchmarkConfig options = new BenchmarkConfig(
          0, given != null ? given : section.prompts(), file, maxTokens != null ? maxTokens : section.maxTokens(), !skipUnloaded);
      BenchmarkRound round;
      try (MultiModelManager models = MultiModelManager.builder().config(cfg).build()) {
        try {
          round = models.benchmark(options).get();
        } catch (java.util.concurrent.ExecutionException e) {
          throw e.getCause() instanceof RuntimeException ? (RuntimeException) e.getCause() : e;
        }
      }
      printTable(round, stdout);
      stdout.flush();
      err.println("[round " + round.round() + " of " + round.prompts() + " prompt(s) appended to " + file + "]");
      if (round.results().isEmpty()) {
        err.println(errorLine("BenchmarkException", "no model could be benchmarked: " + round.skipped()));
        return REQUEST_FAILED;
      }
      return 0;
    }

    /** Prints the round as a table: a row a model, then the skipped ones and the verdict. */
    static void printTable(BenchmarkRound round, PrintWriter out) {
      String row = "%-24s %-8s %7s %6s %9s %9s %9s %9s %8s %10s%n";
      out.printf(row, "model", "type", "prompts", "errors", "avg ms", "p50 ms", "p99 ms", "ttft ms", "tok/s", "cost");
      for (BenchmarkResult r : round.results()) {
        boolean answered = r.answered() > 0; // else no figure to show but the errors
        out.printf(row, MessageText.escape(r.model().toString()), MessageText.escape(r.type()), r.prompts(), r.errors(),
            answered ? ms(r.average()) : "-", answered ? ms(r.p50()) : "-", answered ? ms(r.p99()) : "-",
            r.ttft().map(Bench::ms).orElse("-"),
            answered ? String.format(java.util.Locale.ROOT, "%.1f", r.tokensPerSecond()) : "-",
            answered ? r.costOfAnswers().map(c -> String.format(java.util.Locale.ROOT, "%.6f", c)).orElse("-") : "-");
        if (!answered) {
          out.println("  errors: " + r.errorTypes());
        }
      }
      round.skipped().forEach((model, why) -> out.println("skipped " + model + ": " + why));
      out.println("fastest: " + (round.fastest() == null ? "-" : round.fastest()));
      out.println("cheapest: " + (round.cheapest() == null ? "-" : round.cheapest()));
      out.println("recommendation: " + round.recommendation());
    }

    private static String ms(Duration d) {
      return String.format(java.util.Locale.ROOT, "%.1f", d.toNanos() / 1e6);
    }
  }
}
