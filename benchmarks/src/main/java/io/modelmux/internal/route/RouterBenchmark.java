package io.modelmux.internal.route;

import io.modelmux.GenerateRequest;
import io.modelmux.RouteConfig;
import io.modelmux.benchmarks.NoopModelFactory;
import io.modelmux.internal.registry.ModelRegistry;
import io.modelmux.internal.registry.RegisteredModel;
import io.modelmux.spi.ModelSpec;
import java.time.Clock;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import io.modelmux.benchmarks.Goal;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * What planning a request costs the router: a plain model name (one lookup in the router's
 * snapshot, no allocation), a weighted split drawn at random, a sticky split (hash of the routing
 * key, a logarithm per target), and automatic selection of a 1 KB prompt (the rule-based task
 * classifier, then the preference). {@link #baseline()} is a {@link HashMap#get} of the same
 * name in a map holding the same names. Goals (issue 10): a plain name within 2× the baseline, a
 * split within 200 ns, automatic selection within 10 µs.
 *
 * <p>Lives in {@code io.modelmux.internal.route}, beside the router it measures; the 10, 1,000
 * or 10,000 registered models are {@code noop} and never loaded.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Fork(value = 2, jvmArgsAppend = {"-Xms1g", "-Xmx1g", "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn"})
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@State(Scope.Benchmark)
public class RouterBenchmark {
  /** How many models are registered. */
  @Param({"10", "1000", "10000"})
  public int models;

  private Router router;
  private Map<String, Object> plainMap;
  private String name;
  private GenerateRequest plain;
  private GenerateRequest split;
  private GenerateRequest sticky;
  private GenerateRequest auto;

  /** Registers {@link #models} models (one in 25 tagged), the routes, and prebuilt requests. */
  @Setup(Level.Trial)
  public void setUp() {
    ModelRegistry registry = new ModelRegistry();
    NoopModelFactory factory = new NoopModelFactory();
    plainMap = new HashMap<>();
    List<RegisteredModel> all = new java.util.ArrayList<>();
    for (int i = 0; i < models; i++) {
      ModelSpec.Builder b = ModelSpec.builder("model-" + i, NoopModelFactory.TYPE).version("1");
      if (i % 25 == 0) {
        b.tags("code", "summarization");
      }
      ModelSpec spec = b.build();
      all.add(new RegisteredModel(spec, factory.create(spec), i, java.time.Clock.systemUTC()));
      plainMap.put("model-" + i, spec);
      plainMap.put("model-" + i + "@1", spec);
    }
    registry.addAll(all);
    router = new Router(registry, Clock.systemUTC(), new RouteEvents(List.of()), TaskClassifiers.ruleBased());
    router.setRoutes(
        List.of(
            RouteConfig.builder("chat").split("model-1@1", 90).split("model-2@1", 10).build(),
            RouteConfig.builder("auto").auto(RouteConfig.Preference.PRIORITY).build()));
    name = new String(("model-" + models / 2).toCharArray());
    plain = GenerateRequest.of(name, "hi");
    split = GenerateRequest.of("chat", "hi");
    sticky = GenerateRequest.builder().model("chat").prompt("hi").routingKey("user-1234567").build();
    StringBuilder prompt = new StringBuilder("Summarize the following meeting notes in three bullet points:\n\n");
    while (prompt.length() < 1024) {
      prompt.append("The team reviewed the quarterly roadmap, agreed to move the release to May, and asked finance for a revised budget. ");
    }
    auto = GenerateRequest.of("auto", prompt.substring(0, 1024));
    if (!router.plan(auto).routing().task().orElse("").equals("summarization")) {
      throw new IllegalStateException("the 1 KB prompt was not classified as a summary: " + router.plan(auto).routing());
    }
  }

  /** The floor: one {@link HashMap#get} of the name in a map of the same names. */
  @Benchmark
  public Object baseline() {
    return plainMap.get(name);
  }

  /** Plans a request that names a model: one lookup, the model's precomputed plan. */
  @Benchmark
  @Goal(maxRatio = 2)
  public Plan planModel() {
    return router.plan(plain);
  }

  /** Plans a request to a 90/10 split without a routing key: a random draw by weight. */
  @Benchmark
  @Goal(maxScore = 200)
  public Plan planSplit() {
    return router.plan(split);
  }

  /** Plans a request to the split with a routing key: weighted rendezvous hashing. */
  @Benchmark
  @Goal(maxScore = 200)
  public Plan planSticky() {
    return router.plan(sticky);
  }

  /** Plans a 1 KB request to an auto route: classification, then the preference among tagged models. */
  @Benchmark
  @Goal(maxScore = 10_000)
  public Plan planAuto1Kb() {
    return router.plan(auto);
  }
}
