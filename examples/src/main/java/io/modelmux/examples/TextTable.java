package io.modelmux.examples;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * A table of text printed in aligned columns: the first {@code leftColumns} columns aligned left
 * (names), the others right (numbers). Not thread-safe.
 */
final class TextTable {
  private final List<String> header;
  private final int leftColumns;
  private final List<List<String>> rows = new ArrayList<>();

  TextTable(int leftColumns, String... header) {
    if (leftColumns < 0 || leftColumns > header.length) {
      throw new IllegalArgumentException("leftColumns must be in [0, " + header.length + "], got " + leftColumns);
    }
    this.header = List.of(header);
    this.leftColumns = leftColumns;
  }

  /** Adds a row of as many cells as the header has. */
  void add(String... cells) {
    if (cells.length != header.size()) {
      throw new IllegalArgumentException("a row needs " + header.size() + " cells, got " + cells.length);
    }
    for (String cell : cells) {
      Objects.requireNonNull(cell, "cell");
    }
    rows.add(List.of(cells));
  }

  /** Prints the header and the rows, each line starting with {@code indent}. */
  void print(PrintStream out, String indent) {
    int[] widths = new int[header.size()];
    for (List<String> row : allRows()) {
      for (int i = 0; i < widths.length; i++) {
        widths[i] = Math.max(widths[i], row.get(i).length());
      }
    }
    for (List<String> row : allRows()) {
      StringBuilder line = new StringBuilder(indent);
      for (int i = 0; i < widths.length; i++) {
        String cell = row.get(i);
        String pad = " ".repeat(widths[i] - cell.length());
        line.append(i < leftColumns ? cell + pad : pad + cell);
        if (i < widths.length - 1) {
          line.append("  ");
        }
      }
      out.println(line.toString().stripTrailing());
    }
  }

  private List<List<String>> allRows() {
    List<List<String>> all = new ArrayList<>(rows.size() + 1);
    all.add(header);
    all.addAll(rows);
    return all;
  }
}
