package io.modelmux.djl;

import ai.djl.Device;
import ai.djl.MalformedModelException;
import ai.djl.Model;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.training.ParameterStore;
import ai.djl.util.Pair;
import io.modelmux.ModelLoadException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * A TorchScript causal LM: {@code forward(input_ids int64 [B,T])} returns logits
 * {@code [B,T,V]}, or a tuple or list whose first element is the logits (as a traced Hugging
 * Face GPT-2 does). The contract has no attention mask and no cache, so every step runs the
 * whole sequence: rows are right-padded, which a causal model cannot see, and each row's logits
 * are read at its own last position.
 */
final class TorchScriptLm implements CausalLm {
  private final Model model;
  private final Path file;
  private final String modelId;
  private final int vocabSize;
  private final int contextLength;
  private final long parameterBytes;

  private TorchScriptLm(Model model, Path file, String modelId, int vocabSize, int contextLength, long parameterBytes) {
    this.model = model;
    this.file = file;
    this.modelId = modelId;
    this.vocabSize = vocabSize;
    this.contextLength = contextLength;
    this.parameterBytes = parameterBytes;
  }

  /**
   * Loads {@code file} and checks its output contract with a two-token probe.
   *
   * @param contextLength the most tokens the model takes (from the spec: TorchScript files do
   *     not say)
   */
  static TorchScriptLm load(Path file, Device device, DataType dtype, int contextLength, String modelId) {
    if (!Files.isRegularFile(file)) {
      throw new ModelLoadException(
          "model '" + modelId + "': TorchScript file " + file + " does not exist; fix 'path'",
          modelId, null);
    }
    String name = file.getFileName().toString();
    String prefix = name.endsWith(".pt") ? name.substring(0, name.length() - 3) : name;
    Model model = Model.newInstance(modelId, device, "PyTorch");
    try {
      model.load(file.toAbsolutePath().getParent(), prefix);
      if (dtype != DataType.FLOAT32) {
        model.getBlock().cast(dtype);
      }
    } catch (IOException | MalformedModelException | RuntimeException e) {
      model.close();
      throw new ModelLoadException(
          "model '" + modelId + "': " + file + " is not a loadable TorchScript model (" + e.getMessage()
              + "); save it with torch.jit.trace or torch.jit.script and torch.jit.save",
          modelId, e);
    }
    int vocab;
    try (NDManager probe = model.getNDManager().newSubManager()) {
      NDArray ids = probe.create(new long[] {1, 2}, new Shape(1, 2));
      NDArray logits = forward(model, probe, ids, file, modelId);
      Shape s = logits.getShape();
      if (s.dimension() != 3 || s.get(0) != 1 || s.get(1) != 2) {
        throw new ModelLoadException(
            "model '" + modelId + "': " + file + " returned logits of shape " + s + " for input_ids"
                + " [1,2]; a causal LM must return [B,T,V] (or a tuple whose first element is)",
            modelId, null);
      }
      vocab = (int) s.get(2);
    } catch (ModelLoadException e) {
      model.close();
      throw e;
    } catch (RuntimeException e) {
      model.close();
      throw new ModelLoadException(
          "model '" + modelId + "': " + file + " failed on a probe input_ids [1,2] (int64): " + e.getMessage(),
          modelId, e);
    }
    long bytes = 0;
    try {
      for (Pair<String, Parameter> p : model.getBlock().getParameters()) {
        NDArray a = p.getValue().getArray();
        bytes += a.size() * a.getDataType().getNumOfBytes();
      }
    } catch (RuntimeException e) {
      bytes = 0;
    }
    if (bytes == 0) {
      try {
        bytes = Files.size(file);
      } catch (IOException e) {
        bytes = 0;
      }
    }
    return new TorchScriptLm(model, file, modelId, vocab, contextLength, bytes);
  }

  private static NDArray forward(Model model, NDManager manager, NDArray ids, Path file, String modelId) {
    NDList out = model.getBlock().forward(new ParameterStore(manager, false), new NDList(ids), false);
    if (out.isEmpty()) {
      throw new ModelLoadException(
          "model '" + modelId + "': " + file + " returned nothing; it must return logits [B,T,V]",
          modelId, null);
    }
    return out.get(0);
  }

  @Override
  public int vocabSize() {
    return vocabSize;
  }

  @Override
  public int contextLength() {
    return contextLength;
  }

  @Override
  public long parameterBytes() {
    return parameterBytes;
  }

  @Override
  public boolean usesKvCache() {
    return false;
  }

  @Override
  public Decoder start(List<int[]> prompts) {
    return new FullDecoder(prompts);
  }

  @Override
  public void close() {
    model.close();
  }

  /** Recomputes each row's last {@code contextLength} tokens at every step. */
  private final class FullDecoder implements Decoder {
    private final NDManager manager = model.getNDManager().newSubManager();
    private final List<int[]> rows = new ArrayList<>();
    private float[][] logits;

    FullDecoder(List<int[]> prompts) {
      rows.addAll(prompts);
      compute();
    }

    private void compute() {
      int r = rows.size();
      int len = 0;
      for (int[] row : rows) {
        len = Math.max(len, Math.min(row.length, contextLength));
      }
      long[] ids = new long[r * len];
      int[] last = new int[r];
      for (int i = 0; i < r; i++) {
        int[] row = rows.get(i);
        int from = Math.max(0, row.length - contextLength);
        int n = row.length - from;
        for (int j = 0; j < n; j++) {
          ids[i * len + j] = row[from + j];
        }
        last[i] = n - 1;
      }
      try (NDManager step = manager.newSubManager()) {
        NDArray out;
        try {
          out = forward(model, step, step.create(ids, new Shape(r, len)), file, modelId);
        } catch (ModelLoadException e) {
          throw e;
        }
        logits = new float[r][];
        for (int i = 0; i < r; i++) {
          logits[i] = out.get(i, last[i]).toType(DataType.FLOAT32, false).toFloatArray();
        }
      }
    }

    @Override
    public float[][] logits() {
      return logits;
    }

    @Override
    public void retain(boolean[] keep) {
      List<int[]> kept = new ArrayList<>();
      List<float[]> keptLogits = new ArrayList<>();
      for (int i = 0; i < keep.length; i++) {
        if (keep[i]) {
          kept.add(rows.get(i));
          keptLogits.add(logits[i]);
        }
      }
      rows.clear();
      rows.addAll(kept);
      logits = keptLogits.toArray(new float[0][]);
    }

    @Override
    public void advance(int[] tokens) {
      for (int i = 0; i < tokens.length; i++) {
        int[] h = rows.get(i);
        int[] grown = Arrays.copyOf(h, h.length + 1);
        grown[h.length] = tokens[i];
        rows.set(i, grown);
      }
      compute();
    }

    @Override
    public void close() {
      manager.close();
    }
  }
}
