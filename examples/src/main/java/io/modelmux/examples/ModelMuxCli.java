package io.modelmux.examples;

import io.modelmux.ConfigException;
import io.modelmux.GenerateRequest;
import io.modelmux.GenerateResponse;
import io.modelmux.ModelMuxException;
import io.modelmux.MultiModelManager;
import io.modelmux.TokenStream;
import io.modelmux.internal.config.Quantities;
import io.modelmux.spi.MessageText;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code java -jar modelmux.jar}: with no arguments, the {@link Quickstart}; with
 * {@code run ...}, one request through a {@link MultiModelManager} built from a models.yaml.
 *
 * <p>{@code run} prints only the generated text on stdout (as it comes with {@code --stream})
 * and diagnostics on stderr. Exit codes: 0 done; 1 the request failed (one line
 * {@code error: <exception type>: <message>} on stderr); 2 a usage or configuration error.
 */
@Command(
    name = "modelmux",
    mixinStandardHelpOptions = true,
    version = "ModelMux 0.1.0",
    description = "Many models behind one API. With no command, runs the quickstart.",
    subcommands = {ModelMuxCli.Run.class})
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
}
