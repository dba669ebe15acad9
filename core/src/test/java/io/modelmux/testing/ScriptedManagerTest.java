package io.modelmux.testing;

import io.modelmux.MultiModelManager;
import org.junit.jupiter.api.AfterEach;

/**
 * A test of a manager over {@link ScriptedModelFactory} backends: {@link #builder()} starts one
 * with the scripted factory and no environment; the manager a test builds into {@link #manager}
 * is closed after it.
 */
public abstract class ScriptedManagerTest {
  protected final ScriptedModelFactory backends = new ScriptedModelFactory();
  protected MultiModelManager manager;

  @AfterEach
  void closeManager() {
    if (manager != null) {
      manager.close();
    }
  }

  /** Returns a builder with the scripted backends and an empty environment. */
  protected MultiModelManager.Builder builder() {
    return MultiModelManager.builder().environment(n -> null).factory(backends);
  }
}
