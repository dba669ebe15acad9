package io.modelmux.spi;

import io.modelmux.ConfigException;
import io.modelmux.ModelMuxException;
import io.modelmux.UnknownModelTypeException;
import io.modelmux.internal.ClosestMatch;
import io.modelmux.internal.ServiceProviders;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.ServiceLoader;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The model factories one manager knows: those discovered with {@link ServiceLoader} when it was
 * built, plus those registered at run time. Each manager has its own; there is no global
 * registry.
 *
 * <p>Rules: a factory whose class fails to load or construct is reported (logged at WARN and
 * listed by {@link #problems()}) and discovery goes on with the others. Two discovered factories
 * for one type make that type ambiguous: using it fails with both class names, unless a factory
 * for the type is registered explicitly, which always wins over discovery. Thread-safe.
 */
public final class ModelFactories {
  private static final Logger log = LoggerFactory.getLogger(ModelFactories.class);

  /** Which artifact provides each of the project's own types, for unknown-type hints. */
  private static final Map<String, String> KNOWN_ARTIFACTS =
      Map.of(
          "djl", "io.modelmux:modelmux-djl",
          "llamacpp", "io.modelmux:modelmux-llamacpp",
          "openai", "io.modelmux:modelmux-http",
          "gemini", "io.modelmux:modelmux-gemini");


  private final Map<String, List<ModelFactory>> discovered;
  private final Map<String, ModelFactory> registered = new ConcurrentHashMap<>();
  private final List<String> problems;

  private ModelFactories(Map<String, List<ModelFactory>> discovered, List<String> problems) {
    this.discovered = discovered;
    this.problems = List.copyOf(problems);
  }

  /**
   * Discovers factories with the thread context class loader, or this library's own loader
   * when the thread has none.
   */
  public static ModelFactories discover() {
    return discover(ServiceProviders.contextLoader(ModelFactories.class));
  }

  /**
   * Discovers factories visible to {@code loader}.
   *
   * @param loader the class loader to search; not null
   * @return the factories found
   */
  public static ModelFactories discover(ClassLoader loader) {
    Objects.requireNonNull(loader, "loader");
    Map<String, List<ModelFactory>> found = new LinkedHashMap<>();
    List<String> problems = new ArrayList<>();
    List<ModelFactory> loaded =
        ServiceProviders.load(
            ModelFactory.class, loader,
            e -> {
              String problem = "a model factory failed to load and was skipped: " + e.getMessage();
              problems.add(problem);
              log.warn("{}", problem, e);
            });
    for (ModelFactory factory : loaded) {
      String type;
      try {
        type = checkType(factory);
      } catch (RuntimeException e) {
        String problem =
            "model factory " + factory.getClass().getName() + " was skipped: " + e.getMessage();
        problems.add(problem);
        log.warn("{}", problem, e);
        continue;
      }
      found.computeIfAbsent(type, t -> new ArrayList<>()).add(factory);
    }
    found.forEach(
        (type, list) -> {
          if (list.size() > 1) {
            String problem = ambiguity(type, list);
            problems.add(problem);
            log.warn("{}", problem);
          }
        });
    Map<String, List<ModelFactory>> frozen = new LinkedHashMap<>();
    found.forEach((type, list) -> frozen.put(type, List.copyOf(list)));
    return new ModelFactories(Map.copyOf(frozen), problems);
  }

  /** Returns factories with nothing discovered, for applications that register their own. */
  public static ModelFactories none() {
    return new ModelFactories(Map.of(), List.of());
  }

  /**
   * Registers {@code factory} for its type. It wins over a discovered factory of that type.
   *
   * @param factory the factory; not null
   * @return this
   * @throws ConfigException if another factory was already registered for the type
   */
  public ModelFactories register(ModelFactory factory) {
    Objects.requireNonNull(factory, "factory");
    String type = checkType(factory);
    ModelFactory previous = registered.putIfAbsent(type, factory);
    if (previous != null && previous != factory) {
      throw new ConfigException(
          "two model factories are registered for type '"
              + type
              + "': "
              + previous.getClass().getName()
              + " and "
              + factory.getClass().getName()
              + "; register one");
    }
    return this;
  }

  /**
   * Returns the factory for {@code type}, if there is one.
   *
   * @throws ConfigException if the type is ambiguous (two discovered factories, none
   *     registered), naming both classes
   */
  public Optional<ModelFactory> find(String type) {
    Objects.requireNonNull(type, "type");
    ModelFactory explicit = registered.get(type);
    if (explicit != null) {
      return Optional.of(explicit);
    }
    List<ModelFactory> list = discovered.get(type);
    if (list == null) {
      return Optional.empty();
    }
    if (list.size() > 1) {
      throw new ConfigException(ambiguity(type, list));
    }
    return Optional.of(list.get(0));
  }

  /**
   * Returns the factory for {@code type}.
   *
   * @throws UnknownModelTypeException if there is none, listing the known types
   * @throws ConfigException if the type is ambiguous
   */
  public ModelFactory get(String type) {
    return find(type).orElseThrow(() -> unknownType(type, null));
  }

  /**
   * Creates an unloaded adapter for {@code spec}: finds the factory of its type, rejects option
   * keys the factory does not know, and lets the factory check the rest.
   *
   * @param spec the spec; not null
   * @return the adapter
   * @throws UnknownModelTypeException if no factory serves the spec's type
   * @throws ConfigException if an option is unknown or invalid, located where it was written
   */
  public ModelAdapter create(ModelSpec spec) {
    Objects.requireNonNull(spec, "spec");
    ModelFactory factory = find(spec.type()).orElseThrow(() -> unknownType(spec.type(), spec));
    Set<String> allowed = factory.optionKeys();
    for (String key : spec.options().keySet()) {
      if (!allowed.contains(key)) {
        Set<String> candidates = new TreeSet<>(allowed);
        candidates.addAll(ModelSpec.COMMON_KEYS.keySet()); // for hints when one is misspelt as an option
        String hint =
            ClosestMatch.find(key, candidates).map(m -> "; did you mean '" + m + "'?").orElse("");
        throw spec.optionError(
            key,
            "is not an option of type '"
                + spec.type()
                + "'"
                + hint
                + " Options of '"
                + spec.type()
                + "': "
                + (allowed.isEmpty() ? "none" : String.join(", ", new TreeSet<>(allowed))));
      }
    }
    ModelAdapter adapter;
    try {
      adapter = factory.create(spec);
    } catch (ModelMuxException e) {
      throw e;
    } catch (RuntimeException e) {
      throw spec.specError(
          "factory " + factory.getClass().getName() + " failed to create it: " + e, e);
    }
    if (adapter == null) {
      throw spec.specError(
          "factory " + factory.getClass().getName() + " returned no adapter; report this bug", null);
    }
    return adapter;
  }

  /** Returns every type that has a factory, sorted. */
  public Set<String> types() {
    TreeSet<String> types = new TreeSet<>(discovered.keySet());
    types.addAll(registered.keySet());
    return types;
  }

  /**
   * Returns what went wrong during discovery: providers that failed to load or construct, and
   * types with several factories. Empty when all went well.
   */
  public List<String> problems() {
    return problems;
  }

  private UnknownModelTypeException unknownType(String type, ModelSpec spec) {
    List<String> known = List.copyOf(types());
    StringBuilder msg = new StringBuilder("no model factory for type ").append(MessageText.quote(type));
    if (spec != null) {
      msg.append(" of model '").append(spec.id()).append("'");
    }
    msg.append("; known types: ").append(known.isEmpty() ? "none" : String.join(", ", known));
    String artifact = KNOWN_ARTIFACTS.get(type);
    if (artifact != null) {
      msg.append(". Type '").append(type).append("' is provided by ").append(artifact)
          .append(": add it as a dependency");
    } else {
      ClosestMatch.find(type, known).ifPresent(m -> msg.append(". Did you mean '").append(m).append("'?"));
    }
    if (!problems.isEmpty()) {
      msg.append(". Discovery problems: ").append(String.join("; ", problems));
    }
    return new UnknownModelTypeException(
        msg.toString(),
        type,
        known,
        spec == null ? null : spec.locationOf("type").orElse(null),
        spec == null ? null : spec.path() + ".type",
        spec == null ? null : spec.id());
  }

  private static String checkType(ModelFactory factory) {
    String type = factory.type();
    if (type == null || !type.matches("[a-z0-9][a-z0-9_-]*")) {
      throw new ConfigException(
          "model factory "
              + factory.getClass().getName()
              + " has an invalid type '"
              + type
              + "': use lower case letters, digits, '-' and '_'");
    }
    return type;
  }

  private static String ambiguity(String type, List<ModelFactory> list) {
    return "several model factories serve type '"
        + type
        + "': "
        + list.stream().map(f -> f.getClass().getName()).collect(Collectors.joining(" and "))
        + "; remove one from the class path or register the one to use explicitly";
  }
}
