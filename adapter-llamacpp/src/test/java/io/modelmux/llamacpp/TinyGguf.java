package io.modelmux.llamacpp;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/** The shipped tiny GGUF, and broken or altered copies of it, for tests. */
final class TinyGguf {
  static final String CLASSPATH = "classpath:/models/tiny-lm.gguf";

  private TinyGguf() {}

  static byte[] bytes() {
    try (InputStream in = TinyGguf.class.getResourceAsStream("/models/tiny-lm.gguf")) {
      return in.readAllBytes();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Writes the shipped model to {@code file}. */
  static Path copy(Path file) throws IOException {
    Files.write(file, bytes());
    return file;
  }

  /** Writes the shipped model with its first {@code from} replaced by {@code to} (same length). */
  static Path patched(Path file, String from, String to) throws IOException {
    byte[] b = bytes();
    byte[] f = from.getBytes(StandardCharsets.UTF_8);
    byte[] t = to.getBytes(StandardCharsets.UTF_8);
    if (f.length != t.length) {
      throw new IllegalArgumentException("same length only");
    }
    outer:
    for (int i = 0; i + f.length <= b.length; i++) {
      for (int j = 0; j < f.length; j++) {
        if (b[i + j] != f[j]) {
          continue outer;
        }
      }
      System.arraycopy(t, 0, b, i, t.length);
      Files.write(file, b);
      return file;
    }
    throw new IllegalArgumentException(from + " not found");
  }
}
