package io.modelmux;

import java.util.List;
import java.util.Objects;
import java.util.Optional;
import org.jspecify.annotations.Nullable;

/**
 * A request named a model (an id, {@code id@version} or an alias) that is not registered, or a
 * backend answered that it does not serve the model. The message lists the known models and the
 * closest match, so that a typo is one glance away from its fix.
 */
public class UnknownModelException extends ModelMuxException {
  private static final long serialVersionUID = 1L;

  private final String requested;
  private final List<String> knownModels;
  private final @Nullable String closestMatch;

  /**
   * Creates the exception.
   *
   * @param message the full message; not null
   * @param requested the name the caller asked for; not null
   * @param knownModels the names that would have resolved; not null
   * @param closestMatch the known name closest to {@code requested}, or null
   */
  public UnknownModelException(
      String message, String requested, List<String> knownModels, @Nullable String closestMatch) {
    super(message, requested, false, -1, null, null);
    this.requested = Objects.requireNonNull(requested, "requested");
    this.knownModels = List.copyOf(knownModels);
    this.closestMatch = closestMatch;
  }

  /** Returns the model name the caller asked for. */
  public String requested() {
    return requested;
  }

  /** Returns the model names that were known when the request failed, sorted. */
  public List<String> knownModels() {
    return knownModels;
  }

  /** Returns the known name closest to the requested one, if any is close. */
  public Optional<String> closestMatch() {
    return Optional.ofNullable(closestMatch);
  }
}
