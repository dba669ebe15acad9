package io.modelmux;

import io.modelmux.internal.config.ConfigReader;
import io.modelmux.spi.ModelSpec;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Function;
import org.jspecify.annotations.Nullable;

/**
 * A parsed and validated {@code models.yaml}: the default model, the memory section, the
 * models, aliases, routes and the cache section. Immutable.
 *
 * <p>Parsing is strict: unknown keys, wrong types, missing required fields, duplicate keys and
 * model ids, aliases or routes naming models that are not defined, and {@code ${VAR}} with
 * {@code VAR} unset all fail with a {@link ConfigException} whose message starts with
 * {@code file:line:column} and the key's path. Backend options of each model (keys other than
 * the common ones) are checked against their factory when the manager is built.
 */
public final class ModelMuxConfig {
  private final @Nullable String defaultModel;
  private final MemoryConfig memory;
  private final List<ModelSpec> models;
  private final Map<String, String> aliases;
  private final List<RouteConfig> routes;
  private final @Nullable CacheConfig cache;
  private final @Nullable String costReference;
  private final @Nullable BenchmarkConfig benchmark;

  /**
   * Creates a configuration from its parts; {@link #load} and {@link #parse} are the usual way.
   *
   * @param defaultModel the default model's name, or null
   * @param memory the memory section; not null
   * @param models the models; not null
   * @param aliases alias to model name; not null
   * @param routes the routes; not null
   * @param cache the cache section, or null for no cache
   */
  public ModelMuxConfig(
      @Nullable String defaultModel,
      MemoryConfig memory,
      List<ModelSpec> models,
      Map<String, String> aliases,
      List<RouteConfig> routes,
      @Nullable CacheConfig cache) {
    this(defaultModel, memory, models, aliases, routes, cache, null, null);
  }

  /**
   * Creates a configuration from its parts, with the cost section's reference model.
   *
   * @param costReference the model whose prices savings are counted against, or null
   * @param benchmark the benchmark section, or null
   */
  public ModelMuxConfig(
      @Nullable String defaultModel,
      MemoryConfig memory,
      List<ModelSpec> models,
      Map<String, String> aliases,
      List<RouteConfig> routes,
      @Nullable CacheConfig cache,
      @Nullable String costReference,
      @Nullable BenchmarkConfig benchmark) {
    this.defaultModel = defaultModel;
    this.memory = Objects.requireNonNull(memory, "memory");
    this.models = List.copyOf(Objects.requireNonNull(models, "models"));
    this.aliases = Map.copyOf(Objects.requireNonNull(aliases, "aliases"));
    this.routes = List.copyOf(Objects.requireNonNull(routes, "routes"));
    this.cache = cache;
    this.costReference = costReference;
    this.benchmark = benchmark;
  }

  /**
   * Reads and validates {@code file}, taking {@code ${VAR}} values from the process
   * environment.
   *
   * @param file the YAML file; not null
   * @return the configuration
   * @throws ConfigException if the file cannot be read or is not valid
   */
  public static ModelMuxConfig load(Path file) {
    return load(file, System::getenv);
  }

  /**
   * Reads and validates {@code file}, taking {@code ${VAR}} values from {@code environment}.
   *
   * @param file the YAML file; not null
   * @param environment returns a variable's value, or null when unset; not null
   * @return the configuration
   * @throws ConfigException if the file cannot be read or is not valid
   */
  public static ModelMuxConfig load(Path file, Function<String, String> environment) {
    Objects.requireNonNull(file, "file");
    Objects.requireNonNull(environment, "environment");
    String text;
    try {
      text = Files.readString(file);
    } catch (IOException e) {
      throw new ConfigException(
          "cannot read the configuration file: " + e, new ConfigLocation(file.toString(), 0, 0),
          null, null, e);
    }
    return parse(text, file.toString(), environment);
  }

  /**
   * Parses and validates YAML text.
   *
   * @param yaml the YAML text; not null
   * @param sourceName the name used in error messages, such as a file path; not null
   * @param environment returns a variable's value, or null when unset; not null
   * @return the configuration
   * @throws ConfigException if the text is not valid
   */
  public static ModelMuxConfig parse(
      String yaml, String sourceName, Function<String, String> environment) {
    Objects.requireNonNull(yaml, "yaml");
    Objects.requireNonNull(sourceName, "sourceName");
    Objects.requireNonNull(environment, "environment");
    return ConfigReader.read(yaml, sourceName, environment);
  }

  /** Returns the default model's name, if set. */
  public Optional<String> defaultModel() {
    return Optional.ofNullable(defaultModel);
  }

  /** Returns the memory section (defaults when absent). */
  public MemoryConfig memory() {
    return memory;
  }

  /** Returns the models, in the order written. */
  public List<ModelSpec> models() {
    return models;
  }

  /** Returns alias to model name ({@code id} or {@code id@version}). */
  public Map<String, String> aliases() {
    return aliases;
  }

  /** Returns the routes, in the order written. */
  public List<RouteConfig> routes() {
    return routes;
  }

  /**
   * Returns the cost section's reference model ({@code cost: {reference: ...}}): savings are
   * counted against its prices.
   */
  public Optional<String> costReference() {
    return Optional.ofNullable(costReference);
  }

  /** Returns the benchmark section, if present. */
  public Optional<BenchmarkConfig> benchmark() {
    return Optional.ofNullable(benchmark);
  }

  /** Returns the cache section, if present. */
  public Optional<CacheConfig> cache() {
    return Optional.ofNullable(cache);
  }

  @Override
  public String toString() {
    return "ModelMuxConfig{defaultModel=" + defaultModel + ", models=" + models + ", aliases="
        + aliases + ", routes=" + routes + ", memory=" + memory + ", cache=" + cache + '}';
  }
}
