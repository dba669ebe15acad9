package io.modelmux.djl;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.modelmux.ModelLoadException;
import java.util.Locale;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Starts DJL's PyTorch engine offline. The native library must come from a
 * {@code pytorch-native-*} jar on the class path (or {@code PYTORCH_LIBRARY_PATH}); DJL is told
 * never to download one, so a missing library fails at once with the artifact to add.
 */
final class PyTorchEngine {
  private static final Logger log = LoggerFactory.getLogger(PyTorchEngine.class);

  /** The native artifact for this platform, for error messages. */
  static final String NATIVE_ARTIFACT =
      "ai.djl.pytorch:pytorch-native-cpu:2.7.1 with classifier " + platformClassifier();

  private static volatile boolean started;

  private PyTorchEngine() {}

  /**
   * Returns the started engine.
   *
   * @throws ModelLoadException naming the native artifact when the library cannot be loaded
   */
  static Engine start(String modelId) {
    configure();
    try {
      Engine engine = Engine.getEngine("PyTorch");
      if (!started) {
        firstOperation(engine);
      }
      return engine;
    } catch (RuntimeException | LinkageError e) {
      throw new ModelLoadException(
          "model '" + modelId + "': the PyTorch native library could not be loaded (" + e.getMessage()
              + "). ModelMux downloads nothing at run time: add " + NATIVE_ARTIFACT
              + " (runtime scope) to the application, or point PYTORCH_LIBRARY_PATH at a libtorch"
              + " 2.7.1 install",
          modelId,
          e);
    }
  }

  /**
   * Runs one small operation, once per process: libtorch starts its thread pools and per-thread
   * state at the first operation, which all models share, so that it is not counted in the first
   * model's measured footprint.
   */
  private static synchronized void firstOperation(Engine engine) {
    if (started) {
      return;
    }
    try (NDManager m = engine.newBaseManager(Device.cpu())) {
      NDArray a = m.ones(new Shape(128, 128));
      a.matMul(a).sum().getFloat();
    } catch (RuntimeException e) {
      log.debug("the engine's first operation failed; the first model's load will say why", e);
    }
    started = true;
  }

  /**
   * Sets DJL's system properties before it reads them; a user's own setting wins. Offline: never
   * download a native library. CUDA probed in a forked JVM: on a machine with a CUDA runtime but
   * no driver, probing in-process logs two warnings at every start (measured), forked it is
   * quiet and costs about 0.2 s once. No graph optimizer notice.
   */
  static void configure() {
    setIfAbsent("ai.djl.offline", "true");
    setIfAbsent("ai.djl.util.cuda.fork", "true");
    setIfAbsent("ai.djl.pytorch.graph_optimizer", "false");
  }

  private static void setIfAbsent(String key, String value) {
    if (System.getProperty(key) == null) {
      System.setProperty(key, value);
      log.debug("set {}={} for DJL", key, value);
    }
  }

  static String platformClassifier() {
    String os = System.getProperty("os.name", "").toLowerCase(Locale.ROOT);
    String arch = System.getProperty("os.arch", "").toLowerCase(Locale.ROOT);
    boolean arm = arch.contains("aarch64") || arch.contains("arm64");
    if (os.contains("mac")) {
      return arm ? "osx-aarch64" : "osx-x86_64";
    }
    if (os.contains("win")) {
      return "win-x86_64";
    }
    return arm ? "linux-aarch64" : "linux-x86_64";
  }
}
