package io.modelmux;

import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;
import org.jspecify.annotations.Nullable;

/**
 * How a request was routed, so that every decision can be audited: the route (if the request
 * named one, or the default is one), the policy that chose the model, and the reason in words
 * (the split's weights, the canary's share, the sticky key's hash, the task and preference).
 * Immutable.
 */
public final class Routing {
  /** The policy that chose the model. */
  public enum Policy {
    /** The request named a model (an id, {@code id@version} or an alias). */
    MODEL,
    /** The request named nothing: the default model served it. */
    DEFAULT_MODEL,
    /** A weighted split chose at random by weight. */
    SPLIT,
    /** A weighted split chose by the request's routing key (weighted rendezvous hashing). */
    STICKY,
    /** A canary route chose between its stable and canary models. */
    CANARY,
    /** Automatic selection: the request's task and the route's preference chose. */
    AUTO
  }

  private final @Nullable String route;
  private final Policy policy;
  private final String reason;
  private final @Nullable String task;
  private final @Nullable Long keyHash;

  /**
   * Creates the description.
   *
   * @param route the route's name, or null when no route was involved
   * @param policy the policy; not null
   * @param reason why, in words; not null
   * @param task the task automatic selection found, or null
   */
  public Routing(@Nullable String route, Policy policy, String reason, @Nullable String task) {
    this(route, policy, reason, task, null);
  }

  /**
   * Creates the description of a choice made by a routing key.
   *
   * @param route the route's name, or null when no route was involved
   * @param policy the policy; not null
   * @param reason why, in words; not null
   * @param task the task automatic selection found, or null
   * @param keyHash the 64-bit hash of the request's routing key that chose, or null
   */
  public Routing(@Nullable String route, Policy policy, String reason, @Nullable String task, @Nullable Long keyHash) {
    this.route = route;
    this.policy = Objects.requireNonNull(policy, "policy");
    this.reason = Objects.requireNonNull(reason, "reason");
    this.task = task;
    this.keyHash = keyHash;
  }

  /** Returns the description of a request that named {@code model} itself. */
  public static Routing model(ModelRef model) {
    return new Routing(null, Policy.MODEL, "the request named " + model, null);
  }

  /** Returns the route that served the request, if one did. */
  public Optional<String> route() {
    return Optional.ofNullable(route);
  }

  /** Returns the policy that chose the model. */
  public Policy policy() {
    return policy;
  }

  /** Returns why that model was chosen, in words. */
  public String reason() {
    return reason;
  }

  /** Returns the task automatic selection found, for {@link Policy#AUTO}. */
  public Optional<String> task() {
    return Optional.ofNullable(task);
  }

  /** Returns the hash of the routing key that chose, for {@link Policy#STICKY} (and a keyed canary). */
  public OptionalLong keyHash() {
    return keyHash == null ? OptionalLong.empty() : OptionalLong.of(keyHash);
  }

  @Override
  public String toString() {
    return (route == null ? "" : "route " + route + ", ") + policy + ": " + reason
        + (keyHash == null ? "" : String.format(" [key hash %016x]", keyHash));
  }
}
