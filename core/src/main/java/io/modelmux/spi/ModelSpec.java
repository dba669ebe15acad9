package io.modelmux.spi;

import io.modelmux.BreakerPolicy;
import io.modelmux.ConfigException;
import io.modelmux.ConfigLocation;
import io.modelmux.ModelRef;
import io.modelmux.RetryPolicy;
import io.modelmux.internal.config.Quantities;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.OptionalInt;
import java.util.OptionalLong;
import java.util.Set;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;

/**
 * Everything ModelMux knows about one model before it is created: its id, version and backend
 * type, the settings every model has (its own memory figure, device, pinning, priority, concurrency,
 * prices, tags, keep-alive), and the backend's own options (such as {@code path} or
 * {@code base_url}), read through typed accessors that fail with a {@link ConfigException}
 * naming the model, the key and, when the spec came from {@code models.yaml}, the file and
 * line. Immutable and thread-safe.
 *
 * <pre>{@code
 * ModelSpec spec = ModelSpec.builder("llama-8b", "openai")
 *     .option("base_url", "http://vllm-a:8000/v1")
 *     .tags("chat")
 *     .build();
 * }</pre>
 */
public final class ModelSpec {
  /** The version a spec gets when none is given. */
  public static final String DEFAULT_VERSION = "latest";

  private static final int DEFAULT_QUEUE_PER_SLOT = 4;
  private static final Duration DEFAULT_QUEUE_TIMEOUT = Duration.ofSeconds(30);
  private static final Pattern TYPE = Pattern.compile("[a-z0-9][a-z0-9_-]*");

  /** The keys every model has (models.yaml's common keys), and the builder method that sets each. */
  static final Map<String, String> COMMON_KEYS =
      Map.ofEntries(
          Map.entry("id", "ModelSpec.builder(id, type)"),
          Map.entry("type", "ModelSpec.builder(id, type)"),
          Map.entry("version", ".version(...)"),
          Map.entry("tags", ".tags(...)"),
          Map.entry("memory", ".memoryBytes(...)"),
          Map.entry("device", ".device(...)"),
          Map.entry("pinned", ".pinned(...)"),
          Map.entry("priority", ".priority(...)"),
          Map.entry("max_concurrency", ".maxConcurrency(...)"),
          Map.entry("max_queue", ".maxQueue(...)"),
          Map.entry("queue_timeout", ".queueTimeout(...)"),
          Map.entry("retry", ".retry(...)"),
          Map.entry("circuit_breaker", ".circuitBreaker(...)"),
          Map.entry("overflow_to", ".overflowTo(...)"),
          Map.entry("price", ".prices(...)"),
          Map.entry("spend_limit", ".spendLimit(...)"),
          Map.entry("keep_alive", ".keepAlive(...)"));

  private final ModelRef ref;
  private final String type;
  private final Map<String, Object> options;
  private final Map<String, ConfigLocation> optionLocations;
  private final long memoryBytes;
  private final @Nullable String device;
  private final boolean pinned;
  private final int priority;
  private final int maxConcurrency;
  private final int maxQueue;
  private final Duration queueTimeout;
  private final RetryPolicy retry;
  private final BreakerPolicy circuitBreaker;
  private final List<String> overflowTo;
  private final @Nullable Prices prices;
  private final io.modelmux.@Nullable SpendLimit spendLimit;
  private final Set<String> tags;
  private final @Nullable Duration keepAlive;
  private final @Nullable ConfigLocation location;
  private final String path;
  private final Secrets secrets;

  private ModelSpec(Builder b) {
    this.ref = new ModelRef(b.id, b.version);
    this.type = b.type;
    this.options = Collections.unmodifiableMap(new LinkedHashMap<>(b.options));
    this.optionLocations = Map.copyOf(b.optionLocations);
    this.memoryBytes = b.memoryBytes;
    this.device = b.device;
    this.pinned = b.pinned;
    this.priority = b.priority;
    this.maxConcurrency = b.maxConcurrency;
    this.maxQueue = b.maxQueue >= 0 ? b.maxQueue : DEFAULT_QUEUE_PER_SLOT * b.maxConcurrency;
    this.queueTimeout = b.queueTimeout != null ? b.queueTimeout : DEFAULT_QUEUE_TIMEOUT;
    this.retry = b.retry;
    this.circuitBreaker = b.circuitBreaker;
    this.overflowTo = List.copyOf(b.overflowTo);
    this.prices = b.prices;
    this.spendLimit = b.spendLimit;
    this.tags = Collections.unmodifiableSet(new LinkedHashSet<>(b.tags));
    this.keepAlive = b.keepAlive;
    this.location = b.location;
    this.path = b.path == null ? defaultPath(b.id) : b.path;
    this.secrets = collectSecrets(options);
  }

  /**
   * Returns a builder for a model of {@code type}.
   *
   * @param id the model id; not blank, no {@code @}
   * @param type the backend type, such as {@code djl}; lower case letters, digits, - and _
   * @return the builder
   */
  public static Builder builder(String id, String type) {
    return new Builder(id, type);
  }

  /** Returns a builder holding this spec's values. */
  public Builder toBuilder() {
    Builder b = new Builder(ref.id(), type);
    b.version = ref.version();
    b.options.putAll(options);
    b.optionLocations.putAll(optionLocations);
    b.memoryBytes = memoryBytes;
    b.device = device;
    b.pinned = pinned;
    b.priority = priority;
    b.maxConcurrency = maxConcurrency;
    b.maxQueue = maxConcurrency > 0 ? maxQueue : -1;
    b.queueTimeout = maxConcurrency > 0 ? queueTimeout : null;
    b.retry = retry;
    b.circuitBreaker = circuitBreaker;
    b.overflowTo = overflowTo;
    b.prices = prices;
    b.spendLimit = spendLimit;
    b.tags.addAll(tags);
    b.keepAlive = keepAlive;
    b.location = location;
    b.path = path;
    return b;
  }

  /** Returns the model id. */
  public String id() {
    return ref.id();
  }

  /** Returns the version ({@value #DEFAULT_VERSION} unless set). */
  public String version() {
    return ref.version();
  }

  /** Returns {@code id@version}. */
  public ModelRef ref() {
    return ref;
  }

  /** Returns the backend type. */
  public String type() {
    return type;
  }

  /** Returns the backend options as given (strings, numbers, booleans, lists and maps). */
  public Map<String, Object> options() {
    return options;
  }

  /**
   * Returns the memory the model takes as its user knows it, if given, in bytes: it stands in
   * for the adapter's estimate before the first load and is the floor of its charge after.
   */
  public OptionalLong memoryBytes() {
    return memoryBytes < 0 ? OptionalLong.empty() : OptionalLong.of(memoryBytes);
  }

  /** Returns the device asked for ({@code auto}, {@code cpu}, {@code cuda:0}, {@code mps}). */
  public Optional<String> device() {
    return Optional.ofNullable(device);
  }

  /** Returns whether the model is pinned: kept resident, never evicted. */
  public boolean pinned() {
    return pinned;
  }

  /** Returns the priority; higher values are kept resident in preference to lower ones. */
  public int priority() {
    return priority;
  }

  /** Returns the most requests the model may serve at once, if limited. */
  public OptionalInt maxConcurrency() {
    return maxConcurrency <= 0 ? OptionalInt.empty() : OptionalInt.of(maxConcurrency);
  }

  /**
   * Returns how many requests may wait for a slot when {@link #maxConcurrency()} are running (by
   * default 4 per slot; 0 turns requests away at once); 0 for a model without a limit.
   */
  public int maxQueue() {
    return maxQueue;
  }

  /**
   * Returns the longest a request waits for a slot before it fails as overloaded (or moves to a
   * route's fallback); 30 s by default. A request's deadline cuts the wait shorter.
   */
  public Duration queueTimeout() {
    return queueTimeout;
  }

  /** Returns how requests are retried on this model ({@link RetryPolicy#defaults()} unless set). */
  public RetryPolicy retry() {
    return retry;
  }

  /** Returns the model's circuit breaker ({@link BreakerPolicy#defaults()} unless set). */
  public BreakerPolicy circuitBreaker() {
    return circuitBreaker;
  }

  /**
   * Returns the models (ids, {@code id@version} or aliases) that serve the same job as this one
   * and take its requests when it is in no state to: cold and loading it would evict a model in
   * recent use, its queue too long for the request's deadline, or rate limited. They are also
   * tried, after a route's fallbacks, when it fails over. Empty unless set.
   */
  public List<String> overflowTo() {
    return overflowTo;
  }

  /** Returns the most the model may spend per period, if set (it needs prices to act). */
  public Optional<io.modelmux.SpendLimit> spendLimit() {
    return Optional.ofNullable(spendLimit);
  }

  /** Returns the model's prices, if given. */
  public Optional<Prices> prices() {
    return Optional.ofNullable(prices);
  }

  /** Returns the task kinds the model serves ({@code chat}, {@code code}, ...), in order. */
  public Set<String> tags() {
    return tags;
  }

  /**
   * Returns how long the model stays loaded after its last use, if set for this model. A
   * negative duration means forever; zero means unload right after use.
   */
  public Optional<Duration> keepAlive() {
    return Optional.ofNullable(keepAlive);
  }

  /** Returns where the spec was written, when it came from a file. */
  public Optional<ConfigLocation> location() {
    return Optional.ofNullable(location);
  }

  /**
   * Returns where the value of {@code key} was written (an option, or a common key such as
   * {@code type}), else where the spec was written, when it came from a file.
   *
   * @param key the key; not null
   * @return the location of its value, or of the spec
   */
  public Optional<ConfigLocation> locationOf(String key) {
    Objects.requireNonNull(key, "key");
    return Optional.ofNullable(optionLocations.getOrDefault(key, location));
  }

  // ---- typed option accessors -------------------------------------------------------------

  /**
   * Returns option {@code key} as text. Numbers and booleans are accepted and written as text.
   *
   * @throws ConfigException if the value is a list or a map
   */
  public Optional<String> optionString(String key) {
    Object v = raw(key);
    if (v == null) {
      return Optional.empty();
    }
    if (v instanceof List || v instanceof Map) {
      throw optionError(key, "must be a single value, not " + describe(key, v));
    }
    return Optional.of(v.toString());
  }

  /**
   * Returns option {@code key} as text, failing if it is absent.
   *
   * @throws ConfigException if absent, blank, a list or a map
   */
  public String requiredOptionString(String key) {
    String s =
        optionString(key)
            .orElseThrow(() -> optionError(key, "is required for type '" + type + "'; add it"));
    if (s.isBlank()) {
      throw optionError(key, "must not be blank");
    }
    return s;
  }

  /**
   * Returns option {@code key} as an int.
   *
   * @throws ConfigException if the value is not a whole number in int range
   */
  public OptionalInt optionInt(String key) {
    OptionalLong l = optionLong(key);
    if (l.isEmpty()) {
      return OptionalInt.empty();
    }
    long v = l.getAsLong();
    if (v < Integer.MIN_VALUE || v > Integer.MAX_VALUE) {
      throw optionError(key, "must fit in an int, got " + v);
    }
    return OptionalInt.of((int) v);
  }

  /**
   * Returns option {@code key} as a long.
   *
   * @throws ConfigException if the value is not a whole number
   */
  public OptionalLong optionLong(String key) {
    Object v = raw(key);
    if (v == null) {
      return OptionalLong.empty();
    }
    if (v instanceof Integer || v instanceof Long || v instanceof Short || v instanceof Byte) {
      return OptionalLong.of(((Number) v).longValue());
    }
    if (v instanceof String) {
      try {
        return OptionalLong.of(Long.parseLong(((String) v).strip()));
      } catch (NumberFormatException e) {
        throw optionError(key, "must be a whole number, got " + describe(key, v));
      }
    }
    throw optionError(key, "must be a whole number, got " + describe(key, v));
  }

  /**
   * Returns option {@code key} as a double.
   *
   * @throws ConfigException if the value is not a number
   */
  public OptionalDouble optionDouble(String key) {
    Object v = raw(key);
    if (v == null) {
      return OptionalDouble.empty();
    }
    if (v instanceof Number) {
      return OptionalDouble.of(((Number) v).doubleValue());
    }
    if (v instanceof String) {
      try {
        return OptionalDouble.of(Double.parseDouble(((String) v).strip()));
      } catch (NumberFormatException e) {
        throw optionError(key, "must be a number, got " + describe(key, v));
      }
    }
    throw optionError(key, "must be a number, got " + describe(key, v));
  }

  /**
   * Returns option {@code key} as a boolean ({@code true} or {@code false}).
   *
   * @throws ConfigException if the value is not a boolean
   */
  public Optional<Boolean> optionBoolean(String key) {
    Object v = raw(key);
    if (v == null) {
      return Optional.empty();
    }
    if (v instanceof Boolean) {
      return Optional.of((Boolean) v);
    }
    if (v instanceof String) {
      String s = ((String) v).strip().toLowerCase(Locale.ROOT);
      if (s.equals("true") || s.equals("false")) {
        return Optional.of(Boolean.parseBoolean(s));
      }
    }
    throw optionError(key, "must be true or false, got " + describe(key, v));
  }

  /**
   * Returns option {@code key} as a duration ({@code 500ms}, {@code 30s}, {@code 5m},
   * {@code PT5M}; a bare number is seconds).
   *
   * @throws ConfigException if the value is not a duration
   */
  public Optional<Duration> optionDuration(String key) {
    Object v = raw(key);
    if (v == null) {
      return Optional.empty();
    }
    if (v instanceof List || v instanceof Map || v instanceof Boolean) {
      throw optionError(key, "must be " + Quantities.DURATION_FORMS + ", got " + describe(key, v));
    }
    try {
      return Optional.of(Quantities.parseDuration(v.toString()));
    } catch (IllegalArgumentException e) {
      throw optionError(key, e.getMessage());
    }
  }

  /**
   * Returns option {@code key} as a byte size ({@code 512MB}, {@code 2GiB}, or a number).
   *
   * @throws ConfigException if the value is not a size
   */
  public OptionalLong optionBytes(String key) {
    Object v = raw(key);
    if (v == null) {
      return OptionalLong.empty();
    }
    if (v instanceof List || v instanceof Map || v instanceof Boolean) {
      throw optionError(key, "must be " + Quantities.SIZE_FORMS + ", got " + describe(key, v));
    }
    try {
      return OptionalLong.of(Quantities.parseBytes(v.toString()));
    } catch (IllegalArgumentException e) {
      throw optionError(key, e.getMessage());
    }
  }

  /**
   * Returns option {@code key} as a list of text; a single value is a list of one.
   *
   * @throws ConfigException if an element is a list or a map
   */
  public List<String> optionStrings(String key) {
    Object v = raw(key);
    if (v == null) {
      return List.of();
    }
    List<?> items = v instanceof List ? (List<?>) v : List.of(v);
    List<String> out = new ArrayList<>(items.size());
    for (Object item : items) {
      if (item == null || item instanceof List || item instanceof Map) {
        throw optionError(key, "must be a list of single values, got " + describe(key, item));
      }
      out.add(item.toString());
    }
    return List.copyOf(out);
  }

  /**
   * Returns option {@code key} as a map of text to text (for example extra HTTP headers).
   *
   * @throws ConfigException if the value is not a map of single values
   */
  public Map<String, String> optionStringMap(String key) {
    Object v = raw(key);
    if (v == null) {
      return Map.of();
    }
    if (!(v instanceof Map)) {
      throw optionError(key, "must be a map of names to values, got " + describe(key, v));
    }
    Map<String, String> out = new LinkedHashMap<>();
    for (Map.Entry<?, ?> e : ((Map<?, ?>) v).entrySet()) {
      Object value = e.getValue();
      if (value == null || value instanceof List || value instanceof Map) {
        throw optionError(
            key, "must map names to single values; " + MessageText.quote(String.valueOf(e.getKey())) + " maps to " + describe(key, value));
      }
      out.put(String.valueOf(e.getKey()), value.toString());
    }
    return Collections.unmodifiableMap(out);
  }

  /**
   * Returns a {@link ConfigException} about option {@code key} of this model, located where the
   * option (or else the model) was written. For factories' own checks.
   *
   * @param key the option; not null
   * @param problem what is wrong and what to do, for example "must be positive, got -3"
   * @return the exception, to throw
   */
  public ConfigException optionError(String key, String problem) {
    Objects.requireNonNull(key, "key");
    ConfigLocation where = optionLocations.getOrDefault(key, location);
    return new ConfigException(
        "option " + MessageText.quote(key) + " of model '" + ref.id() + "' " + secrets.redact(problem),
        where,
        path + "." + key,
        ref.id(),
        null);
  }

  /**
   * Returns a {@link ConfigException} about this model as a whole, located where it was
   * written.
   *
   * @param problem what is wrong and what to do
   * @param cause the cause, or null
   * @return the exception, to throw
   */
  public ConfigException specError(String problem, @Nullable Throwable cause) {
    // a spec built in code has the path "model 'id'": the model is named once, by the path
    String head = path.equals(defaultPath(ref.id())) ? "" : "model '" + ref.id() + "': ";
    return new ConfigException(
        head + secrets.redact(problem), location, path, ref.id(), cause != null ? secrets.scrub(cause) : null);
  }

  private static String defaultPath(String id) {
    return "model '" + id + "'";
  }

  /** Returns the key path of this spec in its source, such as {@code models[2]}. */
  public String path() {
    return path;
  }

  private @Nullable Object raw(String key) {
    Objects.requireNonNull(key, "key");
    return options.get(key);
  }

  /**
   * Returns whether option {@code key} holds a secret, whose values are never quoted in a
   * message and are blanked wherever else they appear ({@link #secrets()}): {@code headers}, and
   * every key whose last word (words are separated by {@code _}, {@code -} or {@code .}) is
   * {@code key}, {@code token}, {@code secret}, {@code password}, {@code passwd},
   * {@code credentials}, {@code authorization}, {@code auth}, {@code cookie} or {@code headers},
   * such as {@code api_key}, {@code auth_token} or {@code extra_headers}. A key ending in
   * {@code _env} names an environment variable and is not a secret; nor is {@code max_tokens}.
   * Factories name options that hold credentials this way.
   *
   * @param key the option's key; not null
   * @return whether its values are secret
   */
  public static boolean isSecretOption(String key) {
    Objects.requireNonNull(key, "key");
    String[] words = key.toLowerCase(Locale.ROOT).split("[_.-]");
    if (words.length == 0) {
      return false;
    }
    switch (words[words.length - 1]) {
      case "key":
      case "token":
      case "secret":
      case "password":
      case "passwd":
      case "credentials":
      case "authorization":
      case "auth":
      case "cookie":
      case "headers":
        return true;
      default:
        return false;
    }
  }

  /**
   * Returns the values of this spec's secret options ({@link #isSecretOption}), every text and
   * number inside them, for blanking out of messages.
   */
  public Secrets secrets() {
    return secrets;
  }

  private static Secrets collectSecrets(Map<String, Object> options) {
    List<String> values = new ArrayList<>();
    options.forEach(
        (k, v) -> {
          if (isSecretOption(k)) {
            leaves(v, values);
          }
        });
    return Secrets.of(values);
  }

  private static void leaves(@Nullable Object v, List<String> out) {
    if (v instanceof Map) {
      ((Map<?, ?>) v).values().forEach(x -> leaves(x, out));
    } else if (v instanceof List) {
      ((List<?>) v).forEach(x -> leaves(x, out));
    } else if (v != null) {
      out.add(v.toString());
    }
  }

  private static String describe(String key, @Nullable Object v) {
    if (v == null) {
      return "nothing";
    }
    if (v instanceof List) {
      return "a list";
    }
    if (v instanceof Map) {
      return "a map";
    }
    if (isSecretOption(key)) {
      return "a value that is not shown (it may be a secret)";
    }
    if (v instanceof String) {
      return MessageText.quote((String) v);
    }
    return MessageText.clip(v.toString());
  }

  /** Returns {@code ModelSpec{id@version, type}}; options are left out as they may hold keys. */
  @Override
  public String toString() {
    return "ModelSpec{" + ref + ", type=" + type + '}';
  }

  /** Builds a {@link ModelSpec}. Each setter checks its argument at once. Not thread-safe. */
  public static final class Builder {
    private final String id;
    private final String type;
    private String version = DEFAULT_VERSION;
    private final Map<String, Object> options = new LinkedHashMap<>();
    private final Map<String, ConfigLocation> optionLocations = new LinkedHashMap<>();
    private long memoryBytes = -1;
    private @Nullable String device;
    private boolean pinned;
    private int priority;
    private int maxConcurrency;
    private int maxQueue = -1;
    private @Nullable Duration queueTimeout;
    private RetryPolicy retry = RetryPolicy.defaults();
    private BreakerPolicy circuitBreaker = BreakerPolicy.defaults();
    private List<String> overflowTo = List.of();
    private @Nullable Prices prices;
    private io.modelmux.@Nullable SpendLimit spendLimit;
    private final Set<String> tags = new LinkedHashSet<>();
    private @Nullable Duration keepAlive;
    private @Nullable ConfigLocation location;
    private @Nullable String path;

    private Builder(String id, String type) {
      new ModelRef(id, DEFAULT_VERSION); // checks the id
      Objects.requireNonNull(type, "type");
      if (!TYPE.matcher(type).matches()) {
        throw new IllegalArgumentException(
            "type must be lower case letters, digits, '-' and '_', got '" + type + "'");
      }
      this.id = id;
      this.type = type;
    }

    /** Sets the version; not blank, no {@code @}. */
    public Builder version(String version) {
      new ModelRef(id, version);
      this.version = version;
      return this;
    }

    /**
     * Sets a backend option.
     *
     * @param key the option's key; not blank, not one of the keys every model has ({@code
     *     device}, {@code version}, {@code pinned}, ...: they have setters of their own)
     * @param value a String, Number, Boolean, List or Map; not null
     * @return this builder
     */
    public Builder option(String key, Object value) {
      Objects.requireNonNull(key, "key");
      Objects.requireNonNull(value, "value");
      if (key.isBlank()) {
        throw new IllegalArgumentException("option key must not be blank");
      }
      String setter = COMMON_KEYS.get(key);
      if (setter != null) {
        throw new IllegalArgumentException(
            "'" + key + "' is a key every model has, not a backend option: set it with " + setter);
      }
      if (!(value instanceof String
          || value instanceof Number
          || value instanceof Boolean
          || value instanceof List
          || value instanceof Map)) {
        throw new IllegalArgumentException(
            "option '" + key + "' must be a String, Number, Boolean, List or Map, got "
                + value.getClass().getName());
      }
      options.put(key, value);
      return this;
    }

    /**
     * Records where the value of option {@code key} (or of a common key such as {@code type})
     * was written, for error messages.
     *
     * @param key the key; not null
     * @param location where it was written; not null
     * @return this builder
     */
    public Builder optionLocation(String key, ConfigLocation location) {
      optionLocations.put(
          Objects.requireNonNull(key, "key"), Objects.requireNonNull(location, "location"));
      return this;
    }

    /**
     * Sets the memory the model takes as its user knows it: it stands in for the adapter's
     * estimate before the first load, and afterwards the model is charged the larger of it and
     * what its load measured (so it can reserve room that no measurement sees).
     *
     * @param bytes positive
     * @return this builder
     */
    public Builder memoryBytes(long bytes) {
      if (bytes <= 0) {
        throw new IllegalArgumentException("memoryBytes must be positive, got " + bytes);
      }
      this.memoryBytes = bytes;
      return this;
    }

    /** Sets the device ({@code auto}, {@code cpu}, {@code cuda:N}, {@code mps}); not blank. */
    public Builder device(String device) {
      Objects.requireNonNull(device, "device");
      if (device.isBlank()) {
        throw new IllegalArgumentException("device must not be blank");
      }
      this.device = device;
      return this;
    }

    /** Sets whether the model is pinned (kept resident, never evicted). */
    public Builder pinned(boolean pinned) {
      this.pinned = pinned;
      return this;
    }

    /** Sets the priority; higher is kept resident in preference. Any int. */
    public Builder priority(int priority) {
      this.priority = priority;
      return this;
    }

    /** Sets the most requests the model may serve at once; at least 1. */
    public Builder maxConcurrency(int maxConcurrency) {
      if (maxConcurrency < 1) {
        throw new IllegalArgumentException(
            "maxConcurrency must be at least 1, got " + maxConcurrency);
      }
      this.maxConcurrency = maxConcurrency;
      return this;
    }

    /**
     * Sets how many requests may wait for a slot when {@link #maxConcurrency(int)} are running;
     * at least 0 (0: turn them away at once). Needs a concurrency limit.
     */
    public Builder maxQueue(int maxQueue) {
      if (maxQueue < 0) {
        throw new IllegalArgumentException("maxQueue must be at least 0, got " + maxQueue);
      }
      this.maxQueue = maxQueue;
      return this;
    }

    /**
     * Sets the longest a request waits for a slot; positive. Needs a concurrency limit.
     */
    public Builder queueTimeout(Duration queueTimeout) {
      Objects.requireNonNull(queueTimeout, "queueTimeout");
      if (queueTimeout.isNegative() || queueTimeout.isZero()) {
        throw new IllegalArgumentException("queueTimeout must be positive, got " + queueTimeout);
      }
      this.queueTimeout = queueTimeout;
      return this;
    }

    /** Sets how requests are retried on this model; not null ({@link RetryPolicy#none()}: never). */
    public Builder retry(RetryPolicy retry) {
      this.retry = Objects.requireNonNull(retry, "retry");
      return this;
    }

    /** Sets the model's circuit breaker; not null ({@link BreakerPolicy#disabled()}: none). */
    public Builder circuitBreaker(BreakerPolicy circuitBreaker) {
      this.circuitBreaker = Objects.requireNonNull(circuitBreaker, "circuitBreaker");
      return this;
    }

    /**
     * Sets the models that take this one's requests when it is cold and would displace a model in
     * use, queued past the deadline, or rate limited; none blank, none this model's own id.
     */
    public Builder overflowTo(List<String> models) {
      List<String> copy = List.copyOf(Objects.requireNonNull(models, "models"));
      for (String m : copy) {
        if (m.isBlank()) {
          throw new IllegalArgumentException("overflowTo names must not be blank");
        }
        if (m.equals(id) || m.startsWith(id + "@")) {
          throw new IllegalArgumentException("model '" + id + "' cannot overflow to itself (" + m + ")");
        }
      }
      this.overflowTo = copy;
      return this;
    }

    /** Limits what the model spends per period (it needs {@link #prices}); not null. */
    public Builder spendLimit(io.modelmux.SpendLimit spendLimit) {
      this.spendLimit = Objects.requireNonNull(spendLimit, "spendLimit");
      return this;
    }

    /** Sets the prices; not null. */
    public Builder prices(Prices prices) {
      this.prices = Objects.requireNonNull(prices, "prices");
      return this;
    }

    /** Adds task tags; none blank. */
    public Builder tags(String... tags) {
      return tags(List.of(tags));
    }

    /** Adds task tags; none blank. */
    public Builder tags(Iterable<String> tags) {
      for (String t : Objects.requireNonNull(tags, "tags")) {
        Objects.requireNonNull(t, "tag");
        if (t.isBlank()) {
          throw new IllegalArgumentException("tags must not be blank");
        }
        this.tags.add(t);
      }
      return this;
    }

    /**
     * Sets how long the model stays loaded after its last use; negative means forever, zero
     * unload right after use.
     */
    public Builder keepAlive(Duration keepAlive) {
      this.keepAlive = Objects.requireNonNull(keepAlive, "keepAlive");
      return this;
    }

    /**
     * Records where the spec was written and its key path, for error messages.
     *
     * @param location the file, line and column; not null
     * @param path the key path, such as {@code models[2]}; not null
     * @return this builder
     */
    public Builder source(ConfigLocation location, String path) {
      this.location = Objects.requireNonNull(location, "location");
      this.path = Objects.requireNonNull(path, "path");
      return this;
    }

    /**
     * Returns the spec.
     *
     * @throws IllegalArgumentException if a queue is set without a concurrency limit, or a spend
     *     limit without prices
     */
    public ModelSpec build() {
      if (spendLimit != null && prices == null) {
        throw new IllegalArgumentException(
            "model '" + id + "' sets spendLimit without prices: spend is counted from its prices; set prices too");
      }
      if (maxConcurrency <= 0 && (maxQueue >= 0 || queueTimeout != null)) {
        throw new IllegalArgumentException(
            "model '" + id + "' sets " + (maxQueue >= 0 ? "maxQueue" : "queueTimeout")
                + " without maxConcurrency: a queue is for requests waiting on a concurrency limit; set maxConcurrency too");
      }
      return new ModelSpec(this);
    }
  }
}
