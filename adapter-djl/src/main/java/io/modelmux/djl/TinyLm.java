package io.modelmux.djl;

import ai.djl.Device;
import ai.djl.MalformedModelException;
import ai.djl.Model;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.training.ParameterStore;
import ai.djl.util.Pair;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.modelmux.ModelLoadException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The built-in tiny LM, loaded for inference. Decoding batches rows with left padding, an
 * attention bias that hides the padding, explicit positions per row, and a KV cache per layer,
 * so that a batched row computes what it would alone.
 */
final class TinyLm implements CausalLm {
  private final Model model;
  private final TinyLmBlock block;
  private final TinyLmConfig config;
  private final DataType dtype;
  private final long parameterBytes;

  private TinyLm(Model model, TinyLmBlock block, DataType dtype) {
    this.model = model;
    this.block = block;
    this.config = block.config();
    this.dtype = dtype;
    long bytes = 0;
    for (Pair<String, Parameter> p : block.getParameters()) {
      NDArray a = p.getValue().getArray();
      if (dtype != a.getDataType()) {
        // DJL parameters cannot take a new array once shaped: keep the cast copy beside them
        // and free the float32 original.
        NDArray cast = a.toType(dtype, false);
        cast.attach(model.getNDManager());
        castParameters.put(p.getValue().getId(), cast);
        a.close();
        a = cast;
      }
      bytes += a.size() * a.getDataType().getNumOfBytes();
    }
    this.parameterBytes = bytes;
  }

  /**
   * Parameter arrays that replace the ones DJL holds (which cannot take a new array once
   * shaped), by parameter id: copies cast to a narrower dtype, or moved to another device.
   * Written only while no decoder runs.
   */
  private final java.util.Map<String, NDArray> castParameters = new java.util.concurrent.ConcurrentHashMap<>();

  /**
   * Moves every parameter to {@code device} (host memory to park the model, its accelerator to
   * bring it back), freeing the copies it leaves. No decoder may run meanwhile.
   */
  void moveTo(Device device) {
    for (Pair<String, Parameter> p : block.getParameters()) {
      String id = p.getValue().getId();
      NDArray current = castParameters.getOrDefault(id, p.getValue().getArray());
      if (current.getDevice().equals(device) && castParameters.containsKey(id)) {
        continue;
      }
      NDArray moved = current.toDevice(device, true);
      moved.attach(model.getNDManager());
      castParameters.put(id, moved);
      current.close();
    }
  }

  /** Returns the device the parameters are on now. */
  Device parameterDevice() {
    Pair<String, Parameter> first = block.getParameters().get(0);
    return castParameters.getOrDefault(first.getValue().getId(), first.getValue().getArray()).getDevice();
  }

  /** Serves the cast parameters where there are any. */
  private final class CastParameterStore extends ParameterStore {
    CastParameterStore(NDManager manager) {
      super(manager, false);
    }

    @Override
    public NDArray getValue(Parameter parameter, Device device, boolean training) {
      NDArray cast = castParameters.get(parameter.getId());
      return cast != null ? cast : super.getValue(parameter, device, training);
    }
  }

  /** Reads {@code dir/tiny-lm.json}. */
  static TinyLmConfig readConfig(Path dir, String modelId) {
    Path file = dir.resolve(TinyLmConfig.FILE);
    if (!Files.isRegularFile(file)) {
      throw new ModelLoadException(
          "model '" + modelId + "': " + file + " does not exist; 'path' must name a tiny LM"
              + " directory (tiny-lm.json and tiny-lm-0000.params) or a TorchScript .pt file",
          modelId, null);
    }
    TinyLmConfig config;
    try {
      config = new ObjectMapper().readValue(file.toFile(), TinyLmConfig.class);
    } catch (IOException e) {
      throw new ModelLoadException(
          "model '" + modelId + "': " + file + " is not a valid tiny LM config: " + e.getMessage(),
          modelId, e);
    }
    String problem = config.problem();
    if (problem != null) {
      throw new ModelLoadException(
          "model '" + modelId + "': " + file + ": " + problem, modelId, null);
    }
    return config;
  }

  /** Loads the parameters in {@code dir} onto {@code device}, cast to {@code dtype}. */
  static TinyLm load(Path dir, TinyLmConfig config, Device device, DataType dtype, String modelId) {
    Model model = Model.newInstance(modelId, device, "PyTorch");
    try {
      TinyLmBlock block = new TinyLmBlock(config);
      model.setBlock(block);
      model.load(dir, TinyLmConfig.PARAMS_PREFIX);
      return new TinyLm(model, block, dtype);
    } catch (IOException | MalformedModelException | RuntimeException e) {
      model.close();
      throw new ModelLoadException(
          "model '" + modelId + "': the parameters in " + dir + " could not be loaded ("
              + e.getMessage() + "); are tiny-lm-0000.params and tiny-lm.json from the same"
              + " training run?",
          modelId, e);
    }
  }

  TinyLmBlock blockForTests() {
    return block;
  }

  /** Returns whether the model's native memory is still held. */
  boolean isOpen() {
    return model.getNDManager().isOpen();
  }

  @Override
  public int vocabSize() {
    return config.vocabSize();
  }

  @Override
  public int contextLength() {
    return config.contextLength();
  }

  @Override
  public long parameterBytes() {
    return parameterBytes;
  }

  @Override
  public boolean usesKvCache() {
    return true;
  }

  @Override
  public Decoder start(List<int[]> prompts) {
    return new CachedDecoder(prompts);
  }

  @Override
  public void close() {
    model.close();
  }

  /** Decodes with a KV cache; rows are left-padded to one length. */
  private final class CachedDecoder implements Decoder {
    private final NDManager manager = model.getNDManager().newSubManager();
    private final ParameterStore store = new CastParameterStore(manager);
    private final List<int[]> histories = new ArrayList<>();
    private NDList cache; // per layer keys then values, [R,H,L,Dh]
    private NDArray keyBias; // [R,1,1,L]: 0 for real keys, MASKED for padding
    private int[] nextPosition; // per row
    private float[][] logits;

    CachedDecoder(List<int[]> prompts) {
      histories.addAll(prompts);
      prefill(prompts);
    }

    private void prefill(List<int[]> rows) {
      int r = rows.size();
      int len = 0;
      for (int[] row : rows) {
        len = Math.max(len, row.length);
      }
      long[] ids = new long[r * len];
      long[] positions = new long[r * len];
      float[] bias = new float[r * len * len];
      float[] keys = new float[r * len];
      nextPosition = new int[r];
      for (int i = 0; i < r; i++) {
        int[] row = rows.get(i);
        int pad = len - row.length;
        for (int j = 0; j < len; j++) {
          ids[i * len + j] = j < pad ? 0 : row[j - pad];
          positions[i * len + j] = Math.max(0, j - pad);
          keys[i * len + j] = j < pad ? TinyLmBlock.MASKED : 0f;
          for (int k = 0; k < len; k++) {
            boolean visible = k <= j && k >= pad;
            bias[(i * len + j) * len + k] = visible ? 0f : TinyLmBlock.MASKED;
          }
        }
        nextPosition[i] = row.length;
      }
      try (NDManager step = manager.newSubManager()) {
        NDList out =
            block.decode(
                store,
                step.create(ids, new Shape(r, len)),
                step.create(positions, new Shape(r, len)),
                step.create(bias, new Shape(r, 1, len, len)).toType(dtype, false),
                null,
                false);
        keep(out, step, len - 1);
        replaceKeyBias(manager.create(keys, new Shape(r, 1, 1, len)).toType(dtype, false));
      }
    }

    /** Takes the logits at {@code position} and moves the new cache out of the step manager. */
    private void keep(NDList out, NDManager step, int position) {
      NDArray last = out.get(0).get(new NDIndex(":, {}, :", position)).toType(DataType.FLOAT32, false);
      float[] flat = last.toFloatArray();
      int r = (int) last.getShape().get(0);
      int v = config.vocabSize();
      logits = new float[r][];
      for (int i = 0; i < r; i++) {
        logits[i] = Arrays.copyOfRange(flat, i * v, (i + 1) * v);
      }
      NDList newCache = new NDList(out.subList(1, out.size()));
      newCache.attach(manager);
      if (cache != null) {
        cache.attach(step); // freed with the step
      }
      cache = newCache;
    }

    private void replaceKeyBias(NDArray bias) {
      if (keyBias != null) {
        keyBias.close();
      }
      keyBias = bias;
    }

    @Override
    public float[][] logits() {
      return logits;
    }

    @Override
    public void retain(boolean[] keepRows) {
      List<Long> indices = new ArrayList<>();
      List<int[]> kept = new ArrayList<>();
      List<Integer> positions = new ArrayList<>();
      List<float[]> keptLogits = new ArrayList<>();
      for (int i = 0; i < keepRows.length; i++) {
        if (keepRows[i]) {
          indices.add((long) i);
          kept.add(histories.get(i));
          positions.add(nextPosition[i]);
          keptLogits.add(logits[i]);
        }
      }
      if (indices.size() == keepRows.length) {
        return;
      }
      histories.clear();
      histories.addAll(kept);
      nextPosition = positions.stream().mapToInt(Integer::intValue).toArray();
      logits = keptLogits.toArray(new float[0][]);
      if (indices.isEmpty()) {
        return;
      }
      long[] idx = indices.stream().mapToLong(Long::longValue).toArray();
      try (NDManager step = manager.newSubManager()) {
        NDArray index = step.create(idx);
        NDList selected = new NDList(cache.size());
        for (NDArray a : cache) {
          selected.add(a.get(new NDIndex("{}", index)));
        }
        NDArray bias = keyBias.get(new NDIndex("{}", index));
        selected.attach(manager);
        bias.attach(manager);
        cache.attach(step);
        cache = selected;
        replaceKeyBias(bias);
      }
    }

    @Override
    public void advance(int[] tokens) {
      int r = tokens.length;
      boolean full = false;
      for (int i = 0; i < r; i++) {
        int[] h = histories.get(i);
        int[] grown = Arrays.copyOf(h, h.length + 1);
        grown[h.length] = tokens[i];
        histories.set(i, grown);
        if (nextPosition[i] >= config.contextLength()) {
          full = true;
        }
      }
      if (full) {
        slide();
        return;
      }
      long[] ids = new long[r];
      long[] positions = new long[r];
      for (int i = 0; i < r; i++) {
        ids[i] = tokens[i];
        positions[i] = nextPosition[i]++;
      }
      try (NDManager step = manager.newSubManager()) {
        NDArray zero = step.zeros(new Shape(r, 1, 1, 1), dtype);
        NDArray bias = keyBias.concat(zero, 3);
        NDList out =
            block.decode(
                store,
                step.create(ids, new Shape(r, 1)),
                step.create(positions, new Shape(r, 1)),
                bias,
                cache,
                false);
        keep(out, step, 0);
        bias.attach(manager);
        replaceKeyBias(bias);
      }
    }

    /** Restarts from each row's latest half-context of tokens when the context is full. */
    private void slide() {
      int keep = Math.max(1, config.contextLength() / 2);
      List<int[]> rows = new ArrayList<>(histories.size());
      for (int[] h : histories) {
        rows.add(Arrays.copyOfRange(h, Math.max(0, h.length - keep), h.length));
      }
      if (cache != null) {
        cache.close();
        cache = null;
      }
      prefill(rows);
    }

    @Override
    public void close() {
      manager.close();
    }
  }
}
