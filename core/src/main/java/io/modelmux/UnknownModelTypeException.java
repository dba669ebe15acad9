package io.modelmux;

import java.util.List;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * A model spec names a backend type (such as {@code djl}, {@code openai} or {@code gemini}) for
 * which no {@link io.modelmux.spi.ModelFactory} is on the class path or registered. The message
 * lists the known types and, for the project's own types, the artifact that provides it.
 */
public class UnknownModelTypeException extends ConfigException {
  private static final long serialVersionUID = 1L;

  private final String type;
  private final List<String> knownTypes;

  /**
   * Creates the exception.
   *
   * @param problem what is wrong and what to do
   * @param type the type asked for; not null
   * @param knownTypes the types that are available; not null
   * @param location where the type was written, or null
   * @param path the key path of the type, or null
   * @param modelId the model whose type it is, or null
   */
  public UnknownModelTypeException(
      String problem,
      String type,
      List<String> knownTypes,
      @Nullable ConfigLocation location,
      @Nullable String path,
      @Nullable String modelId) {
    super(problem, location, path, modelId, null);
    this.type = Objects.requireNonNull(type, "type");
    this.knownTypes = List.copyOf(knownTypes);
  }

  /** Returns the type that was asked for. */
  public String type() {
    return type;
  }

  /** Returns the types that are available, sorted. */
  public List<String> knownTypes() {
    return knownTypes;
  }
}
