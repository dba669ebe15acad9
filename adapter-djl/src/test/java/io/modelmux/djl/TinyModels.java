package io.modelmux.djl;

import ai.djl.Device;
import ai.djl.Model;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Builds small, randomly initialised tiny LMs on disk for tests. */
final class TinyModels {
  private TinyModels() {}

  /** Saves a random byte-level tiny LM with the given context into {@code dir}. */
  static Path randomTinyLm(Path dir, int context) throws IOException {
    TinyLmConfig config = new TinyLmConfig(TinyLmConfig.FORMAT, 256, context, 32, 2, 4, 4, "byte");
    PyTorchEngine.start("test");
    Files.createDirectories(dir);
    try (Model model = Model.newInstance("tiny-lm", Device.cpu(), "PyTorch")) {
      TinyLmBlock block = new TinyLmBlock(config);
      model.setBlock(block);
      block.initialize(model.getNDManager(), DataType.FLOAT32, new Shape(1, context));
      // A random init gives nearly flat logits; widen them so greedy decoding is not all ties.
      for (var p : block.getParameters()) {
        if (p.getKey().equals("tok_emb")) {
          p.getValue().getArray().muli(model.getNDManager().create(6f));
        }
      }
      model.save(dir, TinyLmConfig.PARAMS_PREFIX);
    }
    new ObjectMapper().writeValue(dir.resolve(TinyLmConfig.FILE).toFile(), config);
    return dir;
  }
}
