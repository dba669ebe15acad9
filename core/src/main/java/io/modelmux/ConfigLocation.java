package io.modelmux;

import java.util.Objects;

/**
 * Where a value came from in a configuration source: the source's name (usually a file path),
 * and a 1-based line and column (0 when unknown).
 *
 * @param source the file or source name; not null
 * @param line the 1-based line, or 0 when unknown
 * @param column the 1-based column, or 0 when unknown
 */
public record ConfigLocation(String source, int line, int column) {
  /** Checks the arguments. */
  public ConfigLocation {
    Objects.requireNonNull(source, "source");
    if (line < 0) {
      throw new IllegalArgumentException("line must not be negative: " + line);
    }
    if (column < 0) {
      throw new IllegalArgumentException("column must not be negative: " + column);
    }
  }

  /** Returns {@code source:line:column}, leaving out the parts that are unknown. */
  @Override
  public String toString() {
    if (line == 0) {
      return source;
    }
    return column == 0 ? source + ":" + line : source + ":" + line + ":" + column;
  }
}
