package io.modelmux;

import io.modelmux.spi.MessageText;
import java.util.Optional;
import org.jspecify.annotations.Nullable;

/**
 * A configuration is wrong: a {@code models.yaml} that does not parse or does not match the
 * schema (an unknown key, a wrong type, a missing field, an unset {@code ${VAR}}), or a model
 * spec built in code that a factory rejects.
 *
 * <p>The message starts with {@code file:line:column} when the value came from a file, then the
 * key's path (for example {@code models[1].base_url}), then what is wrong and how to fix it.
 */
public class ConfigException extends ModelMuxException {
  private static final long serialVersionUID = 1L;

  private final @Nullable ConfigLocation location;
  private final @Nullable String path;

  /**
   * Creates a configuration error.
   *
   * @param problem what is wrong and what to do, without location or path (they are prefixed)
   * @param location where the offending value is, or null when it did not come from a file
   * @param path the key path such as {@code models[1].base_url}, or null
   * @param modelId the model concerned, or null
   * @param cause the underlying cause, or null
   */
  public ConfigException(
      String problem,
      @Nullable ConfigLocation location,
      @Nullable String path,
      @Nullable String modelId,
      @Nullable Throwable cause) {
    super(format(problem, location, path), modelId, false, -1, null, cause);
    this.location = location;
    this.path = path;
  }

  /**
   * Creates a configuration error that has no file location, key path or model.
   *
   * @param problem what is wrong and what to do
   */
  public ConfigException(String problem) {
    this(problem, null, null, null, null);
  }

  /** Returns where the offending value is, when it came from a file. */
  public Optional<ConfigLocation> location() {
    return Optional.ofNullable(location);
  }

  /** Returns the key path of the offending value, such as {@code models[1].base_url}. */
  public Optional<String> path() {
    return Optional.ofNullable(path);
  }

  private static String format(
      String problem, @Nullable ConfigLocation location, @Nullable String path) {
    StringBuilder sb = new StringBuilder();
    if (location != null) {
      sb.append(location).append(": ");
    }
    if (path != null && !path.isEmpty()) {
      sb.append(MessageText.clip(path)).append(": ");
    }
    return sb.append(problem).toString();
  }
}
