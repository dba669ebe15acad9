package io.modelmux.djl;

import io.modelmux.ModelMuxException;
import io.modelmux.spi.ModelAdapter;
import io.modelmux.spi.ModelSpec;

/**
 * Loads the shipped tiny LM and prints {@code loaded} or the error, for tests that run it in
 * another JVM with a different class path.
 */
public final class LoadProbe {
  private LoadProbe() {}

  /** Runs the probe. */
  public static void main(String[] args) {
    ModelAdapter adapter =
        new DjlModelFactory()
            .create(ModelSpec.builder("probe", "djl").option("path", "classpath:/models/tiny-lm").device("cpu").build());
    try {
      adapter.load();
      System.out.println("loaded");
    } catch (ModelMuxException e) {
      System.out.println(e.getClass().getSimpleName() + ": " + e.getMessage());
    } finally {
      adapter.close();
    }
  }
}
