package io.modelmux.internal.registry;

import io.modelmux.ConfigException;
import io.modelmux.InvalidRequestException;
import io.modelmux.ModelRef;
import io.modelmux.UnknownModelException;
import io.modelmux.internal.ClosestMatch;
import io.modelmux.spi.MessageText;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.jspecify.annotations.Nullable;

/**
 * The registered models, aliases and default model, and the resolution of a name to a model.
 *
 * <p>Reads are lock-free: every change builds a new immutable {@link Snapshot} (a hash map from
 * every resolvable name to its model) and publishes it through a volatile field, so resolving
 * a request is one map lookup. Changes are rare and serialized by {@code lock}.
 */
public final class ModelRegistry {
  /** Everything resolution needs, immutable. */
  public static final class Snapshot {
    public final Map<String, RegisteredModel> byName;
    public final @Nullable RegisteredModel defaultModel;
    public final @Nullable String defaultName;
    public final List<RegisteredModel> models;
    public final Map<String, String> aliases;

    Snapshot(
        Map<String, RegisteredModel> byName,
        @Nullable RegisteredModel defaultModel,
        @Nullable String defaultName,
        List<RegisteredModel> models,
        Map<String, String> aliases) {
      this.byName = byName;
      this.defaultModel = defaultModel;
      this.defaultName = defaultName;
      this.models = models;
      this.aliases = aliases;
    }
  }

  private final Object lock = new Object();
  // guarded by lock
  private final Map<ModelRef, RegisteredModel> models = new LinkedHashMap<>();
  // guarded by lock
  private final Map<String, String> aliases = new LinkedHashMap<>();
  // guarded by lock
  private @Nullable String defaultName;
  private volatile java.util.function.Consumer<Snapshot> listener = s -> { };
  /** Names taken by something else (routes): no model id or alias may have one. */
  private volatile java.util.function.Predicate<String> reserved = name -> false;
  private volatile Snapshot snapshot =
      new Snapshot(Map.of(), null, null, List.of(), Map.of());

  /**
   * Calls {@code listener} with every snapshot published from now on, and at once with the
   * current one; it runs under the registry's lock, so it sees the snapshots in order.
   */
  public void onChange(java.util.function.Consumer<Snapshot> listener) {
    synchronized (lock) {
      this.listener = listener;
      listener.accept(snapshot);
    }
  }

  /** Refuses, from now on, model ids and aliases that {@code reserved} accepts (route names). */
  public void reserveNames(java.util.function.Predicate<String> reserved) {
    this.reserved = reserved;
  }

  public Snapshot snapshot() {
    return snapshot;
  }

  /** Returns the model {@code name} resolves to, or null. No lock, no allocation. */
  public @Nullable RegisteredModel find(String name) {
    return snapshot.byName.get(name);
  }

  /** Returns the default model, or null if none is set or it is not registered. */
  public @Nullable RegisteredModel defaultModel() {
    return snapshot.defaultModel;
  }

  /**
   * Adds {@code model}.
   *
   * @throws ConfigException if its reference is taken or its id is an alias
   */
  public void add(RegisteredModel model) {
    addAll(List.of(model));
  }

  /**
   * Adds {@code all} in order and publishes once (a manager built with 10,000 models publishes
   * one snapshot, not 10,000 ever larger ones); none is added when one is refused.
   *
   * @throws ConfigException if a reference is taken (or given twice) or an id is an alias
   */
  public void addAll(List<RegisteredModel> all) {
    synchronized (lock) {
      Set<ModelRef> batch = new HashSet<>();
      for (RegisteredModel model : all) {
        check(model, batch);
      }
      for (RegisteredModel model : all) {
        models.put(model.ref, model);
      }
      publish();
    }
  }

  // guarded by lock
  private void check(RegisteredModel model, Set<ModelRef> batch) {
    if (models.containsKey(model.ref) || !batch.add(model.ref)) {
      throw model.spec.specError(
          "version '" + model.ref.version() + "' is already registered; unregister "
              + model.ref + " first or give this one another version",
          null);
    }
    if (reserved.test(model.ref.id())) {
      throw model.spec.specError("its id is the name of a route; choose another id", null);
    }
    if (aliases.containsKey(model.ref.id())) {
      throw model.spec.specError(
          "its id is already an alias (of '" + aliases.get(model.ref.id())
              + "'); remove the alias or choose another id",
          null);
    }
  }

  /**
   * Removes every model at once (one publication), for {@code close()}.
   *
   * @return the removed models, in registration order, not yet drained
   */
  public List<RegisteredModel> removeAll() {
    synchronized (lock) {
      List<RegisteredModel> all = new ArrayList<>(models.values());
      models.clear();
      publish();
      return all;
    }
  }

  /**
   * Removes what {@code name} names: every version of an id, or one {@code id@version}.
   *
   * @return the removed models, not yet drained
   */
  public List<RegisteredModel> remove(String name) {
    synchronized (lock) {
      if (aliases.containsKey(name)) {
        throw new InvalidRequestException(
            "'" + name + "' is an alias (of '" + aliases.get(name) + "'), not a model; "
                + "unregister '" + aliases.get(name) + "' or remove the alias",
            null,
            null);
      }
      List<RegisteredModel> removed = new ArrayList<>();
      int at = name.indexOf('@');
      for (RegisteredModel m : models.values()) {
        boolean match =
            at < 0 ? m.ref.id().equals(name) : m.ref.toString().equals(name);
        if (match) {
          removed.add(m);
        }
      }
      if (removed.isEmpty()) {
        throw unknown(name);
      }
      for (RegisteredModel m : removed) {
        models.remove(m.ref);
      }
      publish();
      return removed;
    }
  }

  /**
   * Points {@code alias} at {@code target}.
   *
   * @throws ConfigException if {@code alias} is a model id
   * @throws UnknownModelException if {@code target} does not name a registered model
   */
  public void putAlias(String alias, String target) {
    synchronized (lock) {
      checkAliasName(alias);
      if (aliases.containsKey(target)) {
        throw new ConfigException(
            "alias '" + alias + "' points to another alias ('" + target + "'); point it at '"
                + aliases.get(target) + "' directly");
      }
      if (snapshot.byName.get(target) == null) {
        throw unknown(target);
      }
      aliases.put(alias, target);
      publish();
    }
  }

  public boolean removeAlias(String alias) {
    synchronized (lock) {
      boolean existed = aliases.remove(alias) != null;
      if (existed) {
        publish();
      }
      return existed;
    }
  }

  public void setDefault(@Nullable String name) {
    synchronized (lock) {
      defaultName = name;
      publish();
    }
  }

  private void checkAliasName(String alias) {
    if (reserved.test(alias)) {
      throw new ConfigException("alias '" + alias + "' is the name of a route; choose another alias name");
    }
    try {
      new ModelRef(alias, "v"); // an alias stands where an id stands: the same rules
    } catch (IllegalArgumentException e) {
      throw new ConfigException(
          "alias " + MessageText.quote(alias) + " is not a valid name: " + e.getMessage().replace("model id", "an alias"));
    }
    for (ModelRef ref : models.keySet()) {
      if (ref.id().equals(alias)) {
        throw new ConfigException(
            "alias '" + alias + "' is already a model id; choose another alias name");
      }
    }
  }

  // guarded by lock
  private void publish() {
    Map<String, RegisteredModel> byName = new HashMap<>();
    List<RegisteredModel> list = new ArrayList<>(models.values());
    for (RegisteredModel m : list) {
      byName.put(m.ref.toString(), m);
      byName.putIfAbsent(m.ref.id(), m); // the first registered version is the primary
    }
    for (Map.Entry<String, String> a : aliases.entrySet()) {
      RegisteredModel target = byName.get(a.getValue());
      if (target != null) {
        byName.put(a.getKey(), target);
      }
    }
    RegisteredModel def = defaultName == null ? null : byName.get(defaultName);
    snapshot =
        new Snapshot(
            Collections.unmodifiableMap(byName),
            def,
            defaultName,
            Collections.unmodifiableList(list),
            Collections.unmodifiableMap(new LinkedHashMap<>(aliases)));
    listener.accept(snapshot);
  }

  /** Returns the error for a name that resolves to nothing, listing what would. */
  public UnknownModelException unknown(String name) {
    return unknown(name, java.util.Set.of());
  }

  /** Returns the error for a name that resolves to nothing, listing what would, {@code more} included. */
  public UnknownModelException unknown(String name, java.util.Collection<String> more) {
    Snapshot s = snapshot;
    TreeSet<String> known = new TreeSet<>(s.byName.keySet());
    known.addAll(more);
    String dangling = s.aliases.get(name);
    String closest = ClosestMatch.find(name, known).orElse(null);
    StringBuilder msg = new StringBuilder();
    if (dangling != null) {
      msg.append("alias '").append(name).append("' points to '").append(dangling)
          .append("', which is not registered any more; register it or re-point the alias");
    } else {
      msg.append("unknown model ").append(MessageText.quote(name));
      if (closest != null) {
        msg.append("; did you mean '").append(closest).append("'?");
      }
    }
    String end = msg.charAt(msg.length() - 1) == '?' ? " " : ". ";
    msg.append(known.isEmpty() ? end + "No models are registered" : end + "Known models: " + describe(s, known));
    return new UnknownModelException(msg.toString(), name, List.copyOf(known), closest);
  }

  /** Returns the error for a request that names no model when no default resolves. */
  public InvalidRequestException noDefault() {
    Snapshot s = snapshot;
    TreeSet<String> known = new TreeSet<>(s.byName.keySet());
    String list = known.isEmpty() ? "none are registered" : "known models: " + describe(s, known);
    if (s.defaultName != null) {
      return new InvalidRequestException(
          "the request names no model and the default model '" + s.defaultName
              + "' is not registered; name a model or register it (" + list + ")",
          s.defaultName,
          null);
    }
    return new InvalidRequestException(
        "the request names no model and no default model is set; name one, or set default_model"
            + " in models.yaml or MODELMUX_DEFAULT_MODEL (" + list + ")",
        null,
        null);
  }

  private static String describe(Snapshot s, TreeSet<String> known) {
    List<String> parts = new ArrayList<>(known.size());
    for (String k : known) {
      String target = s.aliases.get(k);
      parts.add(target == null ? k : k + " (alias of " + target + ")");
    }
    return String.join(", ", parts);
  }
}
