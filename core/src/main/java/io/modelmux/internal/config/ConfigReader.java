package io.modelmux.internal.config;

import io.modelmux.BenchmarkConfig;
import io.modelmux.BreakerPolicy;
import io.modelmux.CacheConfig;
import io.modelmux.ConfigException;
import io.modelmux.ConfigLocation;
import io.modelmux.MemoryConfig;
import io.modelmux.MemoryConfig.Amount;
import io.modelmux.ModelMuxConfig;
import io.modelmux.ModelRef;
import io.modelmux.RetryPolicy;
import io.modelmux.RouteConfig;
import io.modelmux.SpendLimit;
import io.modelmux.internal.ClosestMatch;
import io.modelmux.internal.config.ConfigNode.Entry;
import io.modelmux.internal.config.ConfigNode.Kind;
import io.modelmux.internal.route.RouteGraph;
import io.modelmux.spi.MessageText;
import io.modelmux.spi.ModelSpec;
import io.modelmux.spi.Prices;
import java.io.IOException;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.function.Function;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;

/**
 * Reads {@code models.yaml} into a {@link ModelMuxConfig}. The YAML becomes a tree of
 * {@link ConfigNode}s that keep their line and column; this class binds the tree to the schema
 * by hand so that each error names the file, line, column and key path, what was expected and
 * what was found, and, for a misspelt key or model name, the closest known one.
 *
 * <p>Keys of a model other than the common ones ({@code id}, {@code type}, {@code version},
 * {@code tags}, {@code memory}, ...) are backend options: they are kept as plain Java values
 * (String, Integer, Long, BigInteger, Double, Boolean, unmodifiable List and Map) together with
 * the location of each value, and checked by the backend's factory later.
 *
 * <p>Where a number or a boolean is expected, quoted text that reads as one ({@code "4"},
 * {@code "true"}) is accepted too, so that such values can come from {@code ${VAR}}.
 */
public final class ConfigReader {
  private static final List<String> TOP_KEYS =
      List.of("default_model", "memory", "models", "aliases", "routes", "cache", "cost", "benchmark");
  private static final List<String> MEMORY_KEYS =
      List.of("budget", "headroom", "keep_alive", "max_loaded_models", "eviction", "pools");
  private static final List<String> PRICE_KEYS = List.of("input", "output");
  private static final List<String> RETRY_KEYS = List.of("max_attempts", "backoff", "max_backoff");
  private static final List<String> BREAKER_KEYS = List.of("failure_rate", "window", "minimum_calls", "open_for");
  private static final List<String> ROUTE_KEYS =
      List.of("name", "split", "target", "canary", "auto", "shadow", "fallbacks", "on_context_length", "on_content_filter",
          "spend_limit");
  private static final List<String> CANARY_KEYS =
      List.of("stable", "canary", "percent", "window", "min_requests", "max_error_rate_increase", "max_latency_ratio");
  private static final List<String> SHADOW_KEYS = List.of("model", "percent", "max_concurrent");
  private static final List<String> CACHE_KEYS = List.of("max_entries", "max_bytes", "ttl");
  private static final List<String> SPEND_KEYS = List.of("amount", "period");
  private static final List<String> COST_KEYS = List.of("reference");
  private static final List<String> BENCHMARK_KEYS =
      List.of("every", "prompts", "prompts_file", "out", "max_tokens", "load_evicted");
  private static final List<String> EVICTION_POLICIES = List.of("lru", "gdsf");
  private static final Pattern TYPE = Pattern.compile("[a-z0-9][a-z0-9_-]*");
  private static final String SIZE_OR_PERCENT =
      "a size such as 2GiB or 512MB, or a percentage such as 80%";

  /** The versions of each model id, in the order written; filled by {@link #models}. */
  private final Map<String, List<String>> versions = new LinkedHashMap<>();
  /** Alias to model name; filled by {@link #aliases}. */
  private final Map<String, String> aliases = new LinkedHashMap<>();
  /** Route names and where each is written; filled by {@link #routes}. */
  private final Map<String, ConfigLocation> routeNames = new LinkedHashMap<>();
  /** The model being read, for {@link ConfigException#modelId()}; null outside models. */
  private @Nullable String modelId;
  /** Checks of names that may be defined further down the file, run once it is read. */
  private final List<Runnable> nameChecks = new ArrayList<>();

  private ConfigReader() {}

  /**
   * Parses and validates YAML text.
   *
   * @param yaml the YAML text; not null
   * @param source the name used in error messages, such as a file path; not null
   * @param env returns a variable's value, or null when unset; not null
   * @return the configuration
   * @throws ConfigException if the text is not valid YAML or does not match the schema
   */
  public static ModelMuxConfig read(String yaml, String source, Function<String, String> env) {
    Objects.requireNonNull(yaml, "yaml");
    Objects.requireNonNull(source, "source");
    Objects.requireNonNull(env, "env");
    ConfigNode root = ConfigNode.parse(yaml, source, env);
    if (root == null || root.isNull()) {
      throw new ConfigException(
          "no models defined: the file is empty; add a 'models:' list, such as"
              + " models: [{id: tiny-lm, type: djl}]",
          new ConfigLocation(source, 1, 1), null, null, null);
    }
    return new ConfigReader().config(root);
  }

  private ModelMuxConfig config(ConfigNode root) {
    Map<String, Entry> top =
        map(root, "", "a map of the sections " + String.join(", ", TOP_KEYS));
    checkKeys(top, "", TOP_KEYS);
    Entry models = top.get("models");
    if (models == null) {
      throw error(
          root.location(), "",
          "no models defined; add a 'models:' list with at least one model, such as"
              + " models: [{id: tiny-lm, type: djl}]");
    }
    List<ModelSpec> specs = models(models.value());
    MemoryConfig memory =
        top.containsKey("memory") ? memory(top.get("memory").value()) : MemoryConfig.defaults();
    if (top.containsKey("aliases")) {
      aliases(top.get("aliases").value());
    }
    nameChecks.forEach(Runnable::run);
    List<RouteConfig> routes =
        top.containsKey("routes") ? routes(top.get("routes").value()) : List.of();
    CacheConfig cache = top.containsKey("cache") ? cache(top.get("cache").value()) : null;
    String costReference = top.containsKey("cost") ? costReference(top.get("cost").value()) : null;
    BenchmarkConfig benchmark = top.containsKey("benchmark") ? benchmark(top.get("benchmark").value()) : null;
    String defaultModel = null;
    if (top.containsKey("default_model")) {
      ConfigNode node = top.get("default_model").value();
      defaultModel = text(node, "default_model");
      checkModelName(defaultModel, node.location(), "default_model", true, node);
    }
    return new ModelMuxConfig(defaultModel, memory, specs, aliases, routes, cache, costReference, benchmark);
  }

  // ---- sections ---------------------------------------------------------------------------

  private List<ModelSpec> models(ConfigNode node) {
    if (node.isNull() || (node.kind() == Kind.LIST && node.items().isEmpty())) {
      throw error(
          node.location(), "models",
          "no models defined; add at least one model, such as - {id: tiny-lm, type: djl}");
    }
    List<ConfigNode> items =
        list(node, "models", "a list of models, each a map such as {id: tiny-lm, type: djl}");
    Map<ModelRef, ModelSpec> seen = new HashMap<>();
    List<ModelSpec> specs = new ArrayList<>();
    for (int i = 0; i < items.size(); i++) {
      ModelSpec spec = model(items.get(i), "models[" + i + "]");
      ModelSpec first = seen.putIfAbsent(spec.ref(), spec);
      if (first != null) {
        String which =
            items.get(i).entries().containsKey("version")
                ? "model '" + spec.id() + "' version '" + spec.version() + "'"
                : "model '" + spec.id() + "' (without a version)";
        throw error(
            spec.location().orElseThrow(), spec.path(),
            which + " is already defined at line " + first.location().orElseThrow().line()
                + " (" + first.path() + "); give one of them another id or version");
      }
      versions.computeIfAbsent(spec.id(), k -> new ArrayList<>()).add(spec.version());
      specs.add(spec);
    }
    modelId = null;
    return specs;
  }

  private ModelSpec model(ConfigNode node, String path) {
    modelId = null;
    Map<String, Entry> fields = map(node, path, "a model: a map such as {id: tiny-lm, type: djl}");
    ConfigNode idNode = required(node, fields, path, "id", "the model's name, such as tiny-lm");
    String id = text(idNode, path + ".id");
    checkNamePart(id, idNode, path + ".id", "an id");
    modelId = id;
    ConfigNode typeNode =
        required(node, fields, path, "type", "the backend type, such as djl, openai or gemini");
    String type = text(typeNode, path + ".type");
    if (!TYPE.matcher(type).matches()) {
      String lower = type.strip().toLowerCase(Locale.ROOT);
      throw error(
          typeNode.location(), path + ".type",
          "a type is lower case letters, digits, '-' and '_', such as djl, openai or gemini;"
              + " found " + typeNode.describe()
              + (TYPE.matcher(lower).matches() && !typeNode.fromEnvironment()
                  ? "; did you mean " + MessageText.quote(lower) + "?"
                  : ""));
    }
    ModelSpec.Builder b =
        ModelSpec.builder(id, type).source(node.location(), path).optionLocation("type", typeNode.location());
    for (Entry e : fields.values()) {
      ConfigNode v = e.value();
      String p = child(path, e.key());
      switch (e.key()) {
        case "id":
        case "type":
          break;
        case "version":
          String version = text(v, p);
          checkNamePart(version, v, p, "a version");
          b.version(version);
          break;
        case "tags":
          b.tags(tags(v, p));
          break;
        case "memory":
          b.memoryBytes(bytes(v, p));
          break;
        case "device":
          b.device(text(v, p));
          break;
        case "pinned":
          b.pinned(bool(v, p));
          break;
        case "priority":
          b.priority((int) whole(v, p, Integer.MIN_VALUE, Integer.MAX_VALUE));
          break;
        case "max_concurrency":
          b.maxConcurrency((int) whole(v, p, 1, Integer.MAX_VALUE));
          break;
        case "max_queue":
          b.maxQueue((int) whole(v, p, 0, Integer.MAX_VALUE));
          break;
        case "queue_timeout":
          b.queueTimeout(positiveDuration(v, p));
          break;
        case "retry":
          b.retry(retry(v, p));
          break;
        case "circuit_breaker":
          b.circuitBreaker(breaker(v, p));
          break;
        case "overflow_to":
          b.overflowTo(overflowTo(v, p, id));
          break;
        case "price":
          b.prices(prices(v, p));
          break;
        case "spend_limit":
          if (!fields.containsKey("price")) {
            throw error(v.location(), p, "needs the model's price to count spend; add price: {input: ..., output: ...}");
          }
          b.spendLimit(spendLimit(v, p));
          break;
        case "keep_alive":
          b.keepAlive(duration(v, p));
          break;
        default:
          if (e.key().isBlank()) {
            throw error(e.keyLocation(), p, "a key must not be blank; name the option");
          }
          b.option(e.key(), plain(v, p)).optionLocation(e.key(), v.location());
          break;
      }
    }
    for (String queueKey : List.of("max_queue", "queue_timeout")) {
      if (fields.containsKey(queueKey) && !fields.containsKey("max_concurrency")) {
        Entry e = fields.get(queueKey);
        throw error(
            e.keyLocation(), child(path, queueKey),
            "a queue holds requests waiting for a slot of max_concurrency, and this model sets none;"
                + " add max_concurrency or remove " + queueKey);
      }
    }
    return b.build();
  }

  private List<String> overflowTo(ConfigNode node, String path, String id) {
    present(node, path);
    List<ConfigNode> items = node.kind() == Kind.SCALAR ? List.of(node) : list(node, path, "a list of model names, such as [llama-8b]");
    List<String> out = new ArrayList<>();
    for (int i = 0; i < items.size(); i++) {
      ConfigNode n = items.get(i);
      String p = node.kind() == Kind.SCALAR ? path : path + "[" + i + "]";
      String name = text(n, p);
      if (name.equals(id) || name.startsWith(id + "@")) {
        throw error(n.location(), p, "is this model itself; name another model that serves the same job");
      }
      nameChecks.add(() -> checkModelName(name, n.location(), p, true, n)); // once every model and alias is read
      if (out.contains(name)) {
        throw error(n.location(), p, n.describe() + " is listed twice; list each model once");
      }
      out.add(name);
    }
    return out;
  }

  private RetryPolicy retry(ConfigNode node, String path) {
    if (isOff(node)) {
      return RetryPolicy.none();
    }
    Map<String, Entry> fields = map(node, path, "a map such as {max_attempts: 3, backoff: 250ms, max_backoff: 4s}, or off");
    checkKeys(fields, path, RETRY_KEYS);
    RetryPolicy.Builder b = RetryPolicy.builder();
    for (Entry e : fields.values()) {
      ConfigNode v = e.value();
      String p = child(path, e.key());
      switch (e.key()) {
        case "max_attempts":
          b.maxAttempts((int) whole(v, p, 1, 100));
          break;
        case "backoff":
          b.backoff(positiveDuration(v, p));
          break;
        default: // max_backoff
          b.maxBackoff(positiveDuration(v, p));
          break;
      }
    }
    try {
      return b.build();
    } catch (IllegalArgumentException e) {
      if (fields.containsKey("backoff")) {
        throw error(
            fields.get("backoff").value().location(), path + ".backoff",
            "must not be longer than max_backoff" + (fields.containsKey("max_backoff") ? "" : " (4s by default)"));
      }
      throw error(
          fields.get("max_backoff").value().location(), path + ".max_backoff",
          "must not be shorter than backoff (by default 250ms)");
    }
  }

  private BreakerPolicy breaker(ConfigNode node, String path) {
    if (isOff(node)) {
      return BreakerPolicy.disabled();
    }
    Map<String, Entry> fields =
        map(node, path, "a map such as {failure_rate: 50%, window: 20, minimum_calls: 5, open_for: 15s}, or off");
    checkKeys(fields, path, BREAKER_KEYS);
    BreakerPolicy.Builder b = BreakerPolicy.builder();
    for (Entry e : fields.values()) {
      ConfigNode v = e.value();
      String p = child(path, e.key());
      switch (e.key()) {
        case "failure_rate":
          b.failureRate(failureRate(v, p));
          break;
        case "window":
          b.window((int) whole(v, p, 1, 10_000));
          break;
        case "minimum_calls":
          b.minimumCalls((int) whole(v, p, 1, 10_000));
          break;
        default: // open_for
          b.openFor(positiveDuration(v, p));
          break;
      }
    }
    try {
      return b.build();
    } catch (IllegalArgumentException e) {
      ConfigNode at = fields.containsKey("minimum_calls") ? fields.get("minimum_calls").value() : node;
      throw error(
          at.location(), path + ".minimum_calls",
          "must not be more than window (the default window is 20 calls, the default minimum_calls 5)");
    }
  }

  /** Returns a failure rate written as {@code 50%} or {@code 50}: above 0, at most 100. */
  private double failureRate(ConfigNode node, String path) {
    present(node, path);
    Object value = node.value();
    double rate;
    if (value instanceof String && ((String) value).strip().endsWith("%")) {
      String text = ((String) value).strip();
      try {
        rate = Double.parseDouble(text.substring(0, text.length() - 1).strip());
      } catch (NumberFormatException e) {
        throw expected(node, path, "a percentage such as 50%");
      }
    } else {
      rate = number(node, path);
    }
    if (!(rate > 0 && rate <= 100)) {
      throw error(node.location(), path, "must be a percentage above 0 and at most 100, such as 50%; found " + node.describe());
    }
    return rate;
  }

  /** Returns whether {@code node} says {@code off} (or {@code false}, which YAML may make of it). */
  private static boolean isOff(ConfigNode node) {
    Object value = node.value();
    return Boolean.FALSE.equals(value)
        || value instanceof String && (((String) value).strip().equalsIgnoreCase("off") || ((String) value).strip().equalsIgnoreCase("false"));
  }

  private Duration positiveDuration(ConfigNode node, String path) {
    Duration d = duration(node, path);
    if (d.isNegative() || d.isZero()) {
      throw error(node.location(), path, "must be a positive duration, such as 30s; found " + node.describe());
    }
    return d;
  }

  private Prices prices(ConfigNode node, String path) {
    String expected = "prices per million tokens, such as {input: 0.15, output: 0.60}";
    Map<String, Entry> fields = map(node, path, expected);
    checkKeys(fields, path, PRICE_KEYS);
    double input = price(required(node, fields, path, "input", expected), path + ".input");
    double output = price(required(node, fields, path, "output", expected), path + ".output");
    return new Prices(input, output);
  }

  private SpendLimit spendLimit(ConfigNode node, String path) {
    String expected = "a limit per period, such as {amount: 5.00, period: day}";
    Map<String, Entry> fields = map(node, path, expected);
    checkKeys(fields, path, SPEND_KEYS);
    double amount = price(required(node, fields, path, "amount", expected), path + ".amount");
    ConfigNode periodNode = required(node, fields, path, "period", "hour, day, week, month or a duration such as 12h");
    String period = text(periodNode, path + ".period");
    switch (period) {
      case "hour":
        return SpendLimit.per(amount, Duration.ofHours(1));
      case "day":
        return SpendLimit.per(amount, Duration.ofDays(1));
      case "week":
        return SpendLimit.perWeek(amount);
      case "month":
        return SpendLimit.perMonth(amount);
      default:
        Duration d;
        try {
          d = duration(periodNode, path + ".period");
        } catch (ConfigException e) {
          d = Duration.ZERO;
        }
        if (d.compareTo(Duration.ofSeconds(1)) < 0) {
          throw error(periodNode.location(), path + ".period",
              "must be hour, day, week, month or a duration of at least 1s; found " + periodNode.describe());
        }
        return SpendLimit.per(amount, d);
    }
  }

  /** Reads the benchmark section; relative files are resolved against the models.yaml's directory. */
  private BenchmarkConfig benchmark(ConfigNode node) {
    Map<String, Entry> fields = map(node, "benchmark", "a map such as {every: 1000, out: benchmark.jsonl}");
    checkKeys(fields, "benchmark", BENCHMARK_KEYS);
    int every = fields.containsKey("every") ? (int) whole(fields.get("every").value(), "benchmark.every", 0, Integer.MAX_VALUE) : 0;
    if (fields.containsKey("prompts") && fields.containsKey("prompts_file")) {
      throw error(fields.get("prompts_file").keyLocation(), "benchmark.prompts_file",
          "give prompts or prompts_file, not both");
    }
    List<String> prompts = BenchmarkConfig.DEFAULT_PROMPTS;
    if (fields.containsKey("prompts")) {
      ConfigNode list = fields.get("prompts").value();
      List<ConfigNode> items = list(list, "benchmark.prompts", "a list of prompts, such as [\"What is 2 + 2?\"]");
      prompts = new ArrayList<>();
      for (int i = 0; i < items.size(); i++) {
        String prompt = text(items.get(i), "benchmark.prompts[" + i + "]");
        if (prompt.isBlank()) {
          throw error(items.get(i).location(), "benchmark.prompts[" + i + "]", "is blank; give a prompt");
        }
        prompts.add(prompt);
      }
      if (prompts.isEmpty()) {
        throw error(list.location(), "benchmark.prompts", "is empty; give at least one prompt, or leave it out for the built-in ones");
      }
    }
    if (fields.containsKey("prompts_file")) {
      ConfigNode f = fields.get("prompts_file").value();
      Path file = besideConfig(f, text(f, "benchmark.prompts_file"));
      try {
        prompts = Files.readAllLines(file).stream().map(String::strip).filter(l -> !l.isEmpty()).toList();
      } catch (IOException | RuntimeException e) {
        throw error(f.location(), "benchmark.prompts_file", "cannot be read (" + file + "): " + MessageText.quote(e.toString()));
      }
      if (prompts.isEmpty()) {
        throw error(f.location(), "benchmark.prompts_file", file + " has no prompt; give one prompt a line");
      }
    }
    Path out = null;
    if (fields.containsKey("out")) {
      ConfigNode o = fields.get("out").value();
      out = besideConfig(o, text(o, "benchmark.out"));
    }
    int maxTokens = fields.containsKey("max_tokens")
        ? (int) whole(fields.get("max_tokens").value(), "benchmark.max_tokens", 1, Integer.MAX_VALUE)
        : BenchmarkConfig.DEFAULT_MAX_TOKENS;
    boolean loadEvicted = fields.containsKey("load_evicted") && bool(fields.get("load_evicted").value(), "benchmark.load_evicted");
    return new BenchmarkConfig(every, prompts, out, maxTokens, loadEvicted);
  }

  /** Resolves {@code name} against the directory of the file {@code node} was read from (else the working directory). */
  private Path besideConfig(ConfigNode node, String name) {
    Path p;
    try {
      p = Path.of(name);
    } catch (RuntimeException e) {
      throw error(node.location(), "benchmark", "is not a file name: " + node.describe());
    }
    if (p.isAbsolute()) {
      return p;
    }
    Path source = Path.of(node.location().source()).toAbsolutePath();
    Path dir = Files.isRegularFile(source) ? source.getParent() : null;
    return dir == null ? p : dir.resolve(p);
  }

  /** Reads the cost section: the reference model whose prices savings are counted against. */
  private String costReference(ConfigNode node) {
    Map<String, Entry> fields = map(node, "cost", "a map such as {reference: gpt-4o}");
    checkKeys(fields, "cost", COST_KEYS);
    ConfigNode ref = required(node, fields, "cost", "reference", "the model whose prices savings are counted against");
    String name = text(ref, "cost.reference");
    checkModelName(name, ref.location(), "cost.reference", false, ref);
    return name;
  }

  private double price(ConfigNode node, String path) {
    double price = number(node, path);
    if (!(price >= 0) || Double.isInfinite(price)) {
      throw error(
          node.location(), path,
          "a price must be a finite number of at least 0, found " + node.describe());
    }
    return price;
  }

  private List<String> tags(ConfigNode node, String path) {
    present(node, path);
    if (node.kind() == Kind.SCALAR) {
      return List.of(text(node, path));
    }
    List<ConfigNode> items = list(node, path, "a tag or a list of tags, such as [chat, code]");
    List<String> tags = new ArrayList<>(items.size());
    for (int i = 0; i < items.size(); i++) {
      tags.add(text(items.get(i), path + "[" + i + "]"));
    }
    return tags;
  }

  private MemoryConfig memory(ConfigNode node) {
    Map<String, Entry> fields =
        map(node, "memory", "a map such as {budget: 2GiB, keep_alive: 5m}");
    checkKeys(fields, "memory", MEMORY_KEYS);
    Amount budget = null;
    Amount headroom = null;
    Duration keepAlive = null;
    int maxLoadedModels = -1;
    String eviction = "lru";
    Map<String, Amount> pools = Map.of();
    for (Entry e : fields.values()) {
      ConfigNode v = e.value();
      String p = child("memory", e.key());
      switch (e.key()) {
        case "budget":
          budget = amount(v, p, true);
          break;
        case "headroom":
          headroom = amount(v, p, false);
          break;
        case "keep_alive":
          keepAlive = duration(v, p);
          break;
        case "max_loaded_models":
          maxLoadedModels = (int) whole(v, p, 1, Integer.MAX_VALUE);
          break;
        case "eviction":
          eviction = text(v, p).strip().toLowerCase(Locale.ROOT);
          if (!EVICTION_POLICIES.contains(eviction)) {
            throw error(
                v.location(), p,
                "unknown eviction policy " + v.describe()
                    + hint(eviction, EVICTION_POLICIES, v.fromEnvironment(), "expected one of",
                        String.join(", ", EVICTION_POLICIES)));
          }
          break;
        default: // pools
          pools = pools(v, p);
          break;
      }
    }
    return new MemoryConfig(budget, headroom, keepAlive, maxLoadedModels, eviction, pools);
  }

  private Map<String, Amount> pools(ConfigNode node, String path) {
    Map<String, Entry> fields =
        map(node, path, "a map of pool to budget, such as {host: 20GiB, \"cuda:0\": 70GiB}");
    Map<String, Amount> pools = new LinkedHashMap<>();
    for (Entry e : fields.values()) {
      if (e.key().isBlank()) {
        throw error(e.keyLocation(), path, "a pool's name must not be blank");
      }
      pools.put(e.key(), amount(e.value(), child(path, e.key()), true));
    }
    return pools;
  }

  private void aliases(ConfigNode node) {
    Map<String, Entry> fields =
        map(node, "aliases", "a map of alias to model, such as {prod: tiny-lm@1}");
    for (Entry e : fields.values()) {
      String alias = e.key();
      String p = child("aliases", alias);
      if (alias.isBlank() || alias.indexOf('@') >= 0 || !alias.strip().equals(alias)) {
        throw error(
            e.keyLocation(), p,
            "an alias is a name without '@' (which separates a model's id and version) and"
                + " without spaces at either end; rename " + MessageText.quote(alias));
      }
      if (versions.containsKey(alias)) {
        throw error(
            e.keyLocation(), p,
            "alias " + MessageText.quote(alias) + " has the name of a model id; give the alias a name of its own");
      }
      ConfigNode v = e.value();
      String target = text(v, p);
      if (fields.containsKey(target) && !versions.containsKey(target)) {
        throw error(
            v.location(), p,
            v.describe() + " is an alias; an alias names a model (id or id@version), not another"
                + " alias");
      }
      checkModelName(target, v.location(), p, false, v);
      aliases.put(alias, target);
    }
  }

  private List<RouteConfig> routes(ConfigNode node) {
    List<ConfigNode> items =
        list(node, "routes",
            "a list of routes, each a map such as {name: chat, split: {tiny-lm: 1}}");
    // first the names, so that a route may send to a route defined below it
    List<Map<String, Entry>> all = new ArrayList<>();
    for (int i = 0; i < items.size(); i++) {
      ConfigNode item = items.get(i);
      String path = "routes[" + i + "]";
      Map<String, Entry> fields = map(item, path, "a route: a map such as {name: chat, split: {tiny-lm: 1}}");
      checkKeys(fields, path, ROUTE_KEYS);
      ConfigNode nameNode = required(item, fields, path, "name", "the route's name, such as chat");
      String name = text(nameNode, path + ".name");
      checkNamePart(name, nameNode, path + ".name", "a route's name");
      ConfigLocation first = routeNames.putIfAbsent(name, nameNode.location());
      if (first != null) {
        throw error(
            nameNode.location(), path + ".name",
            "route " + nameNode.describe() + " is already defined at line " + first.line()
                + "; give each route its own name");
      }
      if (versions.containsKey(name) || aliases.containsKey(name)) {
        throw error(
            nameNode.location(), path + ".name",
            "route " + nameNode.describe() + " has the name of a model " + (aliases.containsKey(name) ? "alias" : "id")
                + "; routes share that namespace, so rename the route");
      }
      all.add(fields);
    }
    List<RouteConfig> routes = new ArrayList<>();
    for (int i = 0; i < items.size(); i++) {
      routes.add(route(items.get(i), all.get(i), "routes[" + i + "]"));
    }
    List<String> cycle = RouteGraph.cycle(routes);
    if (cycle != null) {
      throw error(
          routeNames.get(cycle.get(0)), "routes",
          "routes form a cycle: " + String.join(" -> ", cycle) + "; a route must not lead back to itself");
    }
    return routes;
  }

  /** Reads one route, whose name was checked. */
  private RouteConfig route(ConfigNode item, Map<String, Entry> fields, String path) {
    String name = Objects.requireNonNull(fields.get("name").value().text());
    List<String> policies = new ArrayList<>();
    for (String k : List.of("split", "target", "canary", "auto")) {
      if (fields.containsKey(k)) {
        policies.add(k);
      }
    }
    if (policies.size() != 1) {
      throw error(
          item.location(), path,
          (policies.isEmpty() ? "route '" + name + "' has no policy" : "route '" + name + "' has " + String.join(" and ", policies))
              + "; give exactly one of split (weights such as {tiny-lm@1: 90, tiny-lm@2: 10}), target (one model),"
              + " canary ({stable: m@1, canary: m@2, percent: 10}) or auto ({prefer: latency})");
    }
    RouteConfig.Builder b = RouteConfig.builder(name);
    switch (policies.get(0)) {
      case "split":
        String splitHint = "the models to use and their weights, such as {tiny-lm@1: 90, tiny-lm@2: 10}";
        ConfigNode splitNode = fields.get("split").value();
        Map<String, Entry> splitFields = map(splitNode, path + ".split", splitHint);
        if (splitFields.isEmpty()) {
          throw error(splitNode.location(), path + ".split", "names no model; add " + splitHint);
        }
        for (Entry e : splitFields.values()) {
          String p = child(path + ".split", e.key());
          checkModelName(e.key(), e.keyLocation(), p, true, null);
          b.split(e.key(), (int) whole(e.value(), p, 1, Integer.MAX_VALUE));
        }
        break;
      case "target":
        ConfigNode t = fields.get("target").value();
        String target = text(t, path + ".target");
        checkModelName(target, t.location(), path + ".target", true, t);
        b.target(target);
        break;
      case "canary":
        b.canary(canary(fields.get("canary").value(), path + ".canary"));
        break;
      default:
        ConfigNode autoNode = fields.get("auto").value();
        Map<String, Entry> autoFields = map(autoNode, path + ".auto", "a map such as {prefer: latency}");
        checkKeys(autoFields, path + ".auto", List.of("prefer"));
        RouteConfig.Preference prefer = RouteConfig.Preference.LATENCY;
        if (autoFields.containsKey("prefer")) {
          ConfigNode p = autoFields.get("prefer").value();
          String text = text(p, path + ".auto.prefer");
          try {
            prefer = RouteConfig.Preference.parse(text);
          } catch (IllegalArgumentException e) {
            throw error(p.location(), path + ".auto.prefer", "must be latency, price or priority; found " + p.describe());
          }
        }
        b.auto(prefer);
        break;
    }
    if (fields.containsKey("shadow")) {
      b.shadow(shadow(fields.get("shadow").value(), path + ".shadow", name, b.build().targets()));
    }
    List<String> fallbacks = new ArrayList<>();
    if (fields.containsKey("fallbacks")) {
      String fp = path + ".fallbacks";
      List<ConfigNode> chain =
          list(fields.get("fallbacks").value(), fp,
              "a list of model names, such as [llama-8b, gemini-flash]");
      for (int j = 0; j < chain.size(); j++) {
        ConfigNode f = chain.get(j);
        String model = text(f, fp + "[" + j + "]");
        checkModelName(model, f.location(), fp + "[" + j + "]", true, f);
        if (fallbacks.contains(model)) {
          throw error(
              f.location(), fp + "[" + j + "]",
              f.describe() + " is listed twice; list each fallback once");
        }
        fallbacks.add(model);
      }
    }
    if (fields.containsKey("spend_limit")) {
      b.spendLimit(spendLimit(fields.get("spend_limit").value(), path + ".spend_limit"));
    }
    for (String key : List.of("on_context_length", "on_content_filter")) {
      if (fields.containsKey(key)) {
        ConfigNode n = fields.get(key).value();
        String model = text(n, path + "." + key);
        checkModelName(model, n.location(), path + "." + key, true, n);
        if (model.equals(name)) {
          throw error(n.location(), path + "." + key, "is the route itself; name another model or route");
        }
        if (key.equals("on_context_length")) {
          b.onContextLength(model);
        } else {
          b.onContentFilter(model);
        }
      }
    }
    return b.fallbacks(fallbacks).build();
  }

  private RouteConfig.Canary canary(ConfigNode node, String path) {
    String hint = "a map such as {stable: tiny-lm@1, canary: tiny-lm@2, percent: 10}";
    Map<String, Entry> f = map(node, path, hint);
    checkKeys(f, path, CANARY_KEYS);
    ConfigNode stableNode = required(node, f, path, "stable", "the model that serves most traffic, such as tiny-lm@1");
    String stable = text(stableNode, path + ".stable");
    checkModelName(stable, stableNode.location(), path + ".stable", true, stableNode);
    ConfigNode canaryNode = required(node, f, path, "canary", "the model being tried, such as tiny-lm@2");
    String canary = text(canaryNode, path + ".canary");
    checkModelName(canary, canaryNode.location(), path + ".canary", true, canaryNode);
    if (stable.equals(canary)) {
      throw error(canaryNode.location(), path + ".canary", "is the stable model too; a canary tries another model");
    }
    double percent = percent(required(node, f, path, "percent", "the canary's share of traffic, 0 to 100"), path + ".percent");
    RouteConfig.Canary d = RouteConfig.Canary.of(stable, canary, percent);
    Duration window = d.window();
    if (f.containsKey("window")) {
      ConfigNode w = f.get("window").value();
      window = duration(w, path + ".window");
      if (window.isNegative() || window.isZero()) {
        throw error(w.location(), path + ".window", "must be a positive duration, such as 5m; found " + w.describe());
      }
    }
    int minRequests = f.containsKey("min_requests")
        ? (int) whole(f.get("min_requests").value(), path + ".min_requests", 1, Integer.MAX_VALUE)
        : d.minRequests();
    double maxError = d.maxErrorRateIncrease();
    if (f.containsKey("max_error_rate_increase")) {
      ConfigNode m = f.get("max_error_rate_increase").value();
      maxError = number(m, path + ".max_error_rate_increase");
      if (!(maxError >= 0 && maxError <= 1)) {
        throw error(m.location(), path + ".max_error_rate_increase", "must be from 0 to 1 (0.05 is 5 points); found " + m.describe());
      }
    }
    double maxRatio = d.maxLatencyRatio();
    if (f.containsKey("max_latency_ratio")) {
      ConfigNode m = f.get("max_latency_ratio").value();
      maxRatio = number(m, path + ".max_latency_ratio");
      if (!(maxRatio >= 1) || Double.isInfinite(maxRatio)) {
        throw error(m.location(), path + ".max_latency_ratio", "must be a finite number of at least 1; found " + m.describe());
      }
    }
    return new RouteConfig.Canary(stable, canary, percent, window, minRequests, maxError, maxRatio);
  }

  private RouteConfig.Shadow shadow(ConfigNode node, String path, String route, List<String> targets) {
    String hint = "a map such as {model: tiny-lm@2, percent: 10, max_concurrent: 4}";
    Map<String, Entry> f = map(node, path, hint);
    checkKeys(f, path, SHADOW_KEYS);
    ConfigNode modelNode = required(node, f, path, "model", "the model that receives the copies");
    String model = text(modelNode, path + ".model");
    checkModelName(model, modelNode.location(), path + ".model", true, modelNode);
    if (model.equals(route) || targets.contains(model)) {
      throw error(
          modelNode.location(), path + ".model",
          "shadows to " + modelNode.describe() + ", which the route already sends to; shadow to another model");
    }
    double percent = percent(required(node, f, path, "percent", "the share of requests copied, 0 to 100"), path + ".percent");
    int max = f.containsKey("max_concurrent")
        ? (int) whole(f.get("max_concurrent").value(), path + ".max_concurrent", 1, Integer.MAX_VALUE)
        : 4;
    return new RouteConfig.Shadow(model, percent, max);
  }

  private double percent(ConfigNode node, String path) {
    double p = number(node, path);
    if (!(p >= 0 && p <= 100)) {
      throw error(node.location(), path, "must be a percentage from 0 to 100; found " + node.describe());
    }
    return p;
  }

  private CacheConfig cache(ConfigNode node) {
    Map<String, Entry> fields = map(node, "cache", "a map such as {max_entries: 10000, ttl: 10m}");
    checkKeys(fields, "cache", CACHE_KEYS);
    long maxEntries =
        whole(
            required(
                node, fields, "cache", "max_entries", "the most responses kept, such as 10000"),
            "cache.max_entries", 1, Long.MAX_VALUE);
    ConfigNode ttlNode =
        required(node, fields, "cache", "ttl", "how long a response is kept, such as 10m");
    Duration ttl = duration(ttlNode, "cache.ttl");
    if (ttl.isNegative() || ttl.isZero()) {
      throw error(
          ttlNode.location(), "cache.ttl",
          "must be a positive duration, such as 10m; found " + ttlNode.describe());
    }
    long maxBytes = CacheConfig.DEFAULT_MAX_BYTES;
    if (fields.containsKey("max_bytes")) {
      ConfigNode bytesNode = fields.get("max_bytes").value();
      String text = quantityText(bytesNode, "cache.max_bytes", "a size such as 64MiB");
      try {
        maxBytes = Quantities.isPercent(text) ? -1 : Quantities.parseBytes(text);
      } catch (IllegalArgumentException e) {
        throw quantityError(bytesNode, "cache.max_bytes", Quantities.SIZE_FORMS, e, "");
      }
      if (maxBytes < 1024) {
        throw error(bytesNode.location(), "cache.max_bytes", "must be at least 1KiB, such as 64MiB; found " + bytesNode.describe());
      }
    }
    return new CacheConfig(maxEntries, maxBytes, ttl);
  }

  // ---- names ------------------------------------------------------------------------------

  /** Checks a model id or version: no '@', no spaces at either end. */
  private void checkNamePart(String value, ConfigNode node, String path, String what) {
    if (value.length() > ModelRef.MAX_LENGTH) {
      throw error(
          node.location(), path,
          what + " must be at most " + ModelRef.MAX_LENGTH + " characters; found " + value.length() + ": "
              + node.describe());
    }
    if (value.indexOf('@') >= 0 || !value.strip().equals(value)) {
      throw error(
          node.location(), path,
          what + " must not contain '@' (which separates id and version, as in tiny-lm@1) nor"
              + " start or end with spaces; found " + node.describe());
    }
    try {
      new ModelRef(value, value); // the rest of what an id or a version may not hold
    } catch (IllegalArgumentException e) {
      throw error(node.location(), path, what + " must not contain control or invisible characters; found " + node.describe());
    }
  }

  /**
   * Checks that {@code name} is a model defined in the file: an id, an exact {@code id@version}
   * or, where allowed, an alias.
   *
   * @param node the value holding the name, or null when the name is a key (written as is)
   */
  private void checkModelName(
      String name, ConfigLocation at, String path, boolean aliasesAllowed,
      @Nullable ConfigNode node) {
    int sign = name.indexOf('@');
    String id = sign < 0 ? name : name.substring(0, sign);
    if (sign < 0
        ? versions.containsKey(name) || (aliasesAllowed && (aliases.containsKey(name) || routeNames.containsKey(name)))
        : versions.getOrDefault(id, List.of()).contains(name.substring(sign + 1))) {
      return;
    }
    List<String> candidates = new ArrayList<>();
    StringBuilder defined = new StringBuilder();
    versions.forEach(
        (modelId, modelVersions) -> {
          candidates.add(modelId);
          defined.append(defined.length() == 0 ? "" : ", ").append(modelId);
          if (!modelVersions.equals(List.of(ModelSpec.DEFAULT_VERSION))) {
            defined.append(" (versions ").append(String.join(", ", modelVersions)).append(')');
          }
          modelVersions.forEach(v -> candidates.add(modelId + "@" + v));
        });
    if (aliasesAllowed && !aliases.isEmpty()) {
      candidates.addAll(aliases.keySet());
      defined.append("; aliases: ").append(String.join(", ", aliases.keySet()));
    }
    if (aliasesAllowed && !routeNames.isEmpty()) {
      candidates.addAll(routeNames.keySet());
      defined.append("; routes: ").append(String.join(", ", routeNames.keySet()));
    }
    boolean hidden = node != null && node.fromEnvironment();
    String problem = "model " + (node == null ? MessageText.quote(name) : node.describe())
        + (sign >= 0 && versions.containsKey(id)
            ? " is not defined: the model has no such version"
            : " is not defined");
    throw error(
        at, path, problem + hint(name, candidates, hidden, "defined models", defined.toString()));
  }

  // ---- values -----------------------------------------------------------------------------

  private void checkKeys(Map<String, Entry> fields, String path, List<String> known) {
    for (Entry e : fields.values()) {
      if (!known.contains(e.key())) {
        throw error(
            e.keyLocation(), child(path, e.key()),
            "unknown key " + MessageText.quote(e.key())
                + hint(e.key(), known, false, "known keys", String.join(", ", known)));
      }
    }
  }

  /** Returns the value of a required key, failing at the map when it is absent or null. */
  private ConfigNode required(
      ConfigNode map, Map<String, Entry> fields, String path, String key, String hint) {
    Entry e = fields.get(key);
    if (e == null) {
      throw error(map.location(), path, "missing required key '" + key + "': " + hint);
    }
    if (e.value().isNull()) {
      throw error(e.value().location(), child(path, key), "is missing its value: " + hint);
    }
    return e.value();
  }

  private Map<String, Entry> map(ConfigNode node, String path, String expected) {
    present(node, path);
    if (node.kind() != Kind.MAP) {
      throw expected(node, path, expected);
    }
    return node.entries();
  }

  private List<ConfigNode> list(ConfigNode node, String path, String expected) {
    present(node, path);
    if (node.kind() != Kind.LIST) {
      throw expected(node, path, expected);
    }
    return node.items();
  }

  /** Returns a scalar as text; numbers are taken as written, booleans and blanks rejected. */
  private String text(ConfigNode node, String path) {
    present(node, path);
    if (node.kind() != Kind.SCALAR) {
      throw expected(node, path, "text");
    }
    if (node.value() instanceof Boolean) {
      throw error(
          node.location(), path,
          "expected text, found the boolean " + node.text() + "; put it in quotes if you mean the"
              + " text");
    }
    String text = Objects.requireNonNull(node.text());
    if (text.isBlank()) {
      throw error(node.location(), path, "is empty; give it a value or remove the key");
    }
    return text;
  }

  /** Returns a whole number in [min, max]; quoted whole numbers are accepted. */
  private long whole(ConfigNode node, String path, long min, long max) {
    present(node, path);
    Object value = node.value();
    Long result = null;
    if (value instanceof Integer || value instanceof Long) {
      result = ((Number) value).longValue();
    } else if (value instanceof String) {
      try {
        result = Long.parseLong(((String) value).strip());
      } catch (NumberFormatException e) {
        result = null; // reported below as "expected a whole number"
      }
    }
    if (result == null && !(value instanceof BigInteger)) {
      throw expected(node, path, "a whole number");
    }
    boolean tooSmall =
        result == null ? ((BigInteger) value).signum() < 0 : result < min;
    if (tooSmall || result == null || result > max) {
      throw error(
          node.location(), path,
          "must be " + (tooSmall ? "at least " + min : "at most " + max) + ", found "
              + node.describe());
    }
    return result;
  }

  /** Returns a number; quoted numbers are accepted. */
  private double number(ConfigNode node, String path) {
    present(node, path);
    Object value = node.value();
    if (value instanceof Number) {
      return ((Number) value).doubleValue();
    }
    if (value instanceof String) {
      try {
        return Double.parseDouble(((String) value).strip());
      } catch (NumberFormatException e) {
        throw expected(node, path, "a number");
      }
    }
    throw expected(node, path, "a number");
  }

  /** Returns true or false; the quoted words are accepted, in any case. */
  private boolean bool(ConfigNode node, String path) {
    present(node, path);
    Object value = node.value();
    if (value instanceof Boolean) {
      return (Boolean) value;
    }
    if (value instanceof String) {
      String s = ((String) value).strip();
      if (s.equalsIgnoreCase("true") || s.equalsIgnoreCase("false")) {
        return Boolean.parseBoolean(s);
      }
    }
    throw expected(node, path, "true or false");
  }

  private Amount amount(ConfigNode node, String path, boolean positive) {
    String text = quantityText(node, path, SIZE_OR_PERCENT);
    Amount amount;
    try {
      amount = positive && Quantities.isPercent(text) ? Amount.ofFraction(Quantities.parsePercent(text)) : Amount.parse(text);
    } catch (IllegalArgumentException e) {
      throw quantityError(
          node, path, SIZE_OR_PERCENT, e,
          Quantities.isPercent(text) ? "" : ", or a percentage such as 80%");
    }
    if (positive && amount.bytes() == 0) {
      throw error(node.location(), path, "must be more than 0 bytes; give " + SIZE_OR_PERCENT);
    }
    return amount;
  }

  private long bytes(ConfigNode node, String path) {
    String text = quantityText(node, path, "a size such as 4GiB or 512MB");
    if (Quantities.isPercent(text)) {
      throw error(
          node.location(), path,
          "a model's memory is a size such as 4GiB or 512MB, not a percentage; found "
              + node.describe());
    }
    long bytes;
    try {
      bytes = Quantities.parseBytes(text);
    } catch (IllegalArgumentException e) {
      throw quantityError(node, path, Quantities.SIZE_FORMS, e, "");
    }
    if (bytes == 0) {
      throw error(node.location(), path, "must be more than 0 bytes, such as 4GiB");
    }
    return bytes;
  }

  private Duration duration(ConfigNode node, String path) {
    String text = quantityText(node, path, Quantities.DURATION_FORMS);
    try {
      return Quantities.parseDuration(text);
    } catch (IllegalArgumentException e) {
      throw quantityError(node, path, Quantities.DURATION_FORMS, e, "");
    }
  }

  /** Returns the text of a scalar that should hold a size, a percentage or a duration. */
  private String quantityText(ConfigNode node, String path, String expected) {
    present(node, path);
    if (node.kind() != Kind.SCALAR || node.value() instanceof Boolean) {
      throw expected(node, path, expected);
    }
    return Objects.requireNonNull(node.text());
  }

  /**
   * Turns a {@link Quantities} error into a located one. Its message quotes the text, so for a
   * value from the environment a message without it is written, and the cause is dropped.
   */
  private ConfigException quantityError(
      ConfigNode node, String path, String expected, IllegalArgumentException e, String more) {
    if (node.fromEnvironment()) {
      return error(node.location(), path, "expected " + expected + ", found " + node.describe());
    }
    return new ConfigException(e.getMessage() + more, node.location(), path, modelId, e);
  }

  /** Converts a backend option's value to plain Java values. */
  private Object plain(ConfigNode node, String path) {
    present(node, path);
    switch (node.kind()) {
      case MAP:
        Map<String, Object> map = new LinkedHashMap<>();
        node.entries().forEach((key, e) -> map.put(key, plain(e.value(), child(path, key))));
        return Collections.unmodifiableMap(map);
      case LIST:
        List<Object> list = new ArrayList<>();
        for (ConfigNode item : node.items()) {
          list.add(plain(item, path + "[" + list.size() + "]"));
        }
        return Collections.unmodifiableList(list);
      default:
        return Objects.requireNonNull(node.value());
    }
  }

  private void present(ConfigNode node, String path) {
    if (node.isNull()) {
      throw error(node.location(), path, "has no value; give it one or remove the key");
    }
  }

  private ConfigException expected(ConfigNode node, String path, String what) {
    return error(node.location(), path, "expected " + what + ", found " + node.describe());
  }

  /**
   * Returns "; did you mean 'x'? Known keys: a, b" with the candidate closest to {@code wanted},
   * or "; known keys: a, b" when none is close or when {@code hide} says that {@code wanted} came
   * from the environment.
   */
  private static String hint(
      String wanted, Collection<String> candidates, boolean hide, String label, String known) {
    String match = hide ? null : ClosestMatch.find(wanted, candidates).orElse(null);
    return match == null
        ? "; " + label + ": " + MessageText.clip(known)
        : "; did you mean " + MessageText.quote(match) + "? "
            + Character.toUpperCase(label.charAt(0)) + label.substring(1) + ": " + MessageText.clip(known);
  }

  private ConfigException error(ConfigLocation at, String path, String problem) {
    return new ConfigException(problem, at, path.isEmpty() ? null : path, modelId, null);
  }

  private static String child(String path, String key) {
    return path.isEmpty() ? key : path + "." + key;
  }
}
