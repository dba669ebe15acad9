package io.modelmux.djl;

import ai.djl.MalformedModelException;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.ndarray.types.SparseFormat;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.Activation;
import ai.djl.nn.Parameter;
import ai.djl.nn.norm.LayerNorm;
import ai.djl.training.ParameterStore;
import ai.djl.training.initializer.Initializer;
import ai.djl.training.initializer.NormalInitializer;
import ai.djl.util.PairList;
import java.io.DataInputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * The built-in tiny LM as a DJL block: a decoder-only transformer (GPT-2 shaped) with learned
 * token and position embeddings, pre-norm blocks of causal multi-head self-attention and a GELU
 * MLP, a final layer norm, and an output head tied to the token embedding.
 *
 * <p>{@link #forwardInternal} serves training ({@code [B,T]} ids in, {@code [B,T,V]} logits
 * out). {@link #decode} serves inference: explicit positions, an additive attention bias (for
 * padding and causality) and a KV cache per layer.
 */
final class TinyLmBlock extends AbstractBlock {
  private static final byte VERSION = 1;
  /** Added to the scores of masked positions; exp() of it is exactly 0 in float32. */
  static final float MASKED = -1e9f;

  private final TinyLmConfig config;
  private final Parameter tokenEmbedding;
  private final Parameter positionEmbedding;
  private final List<Parameter[]> layers = new ArrayList<>();
  private final Parameter finalGamma;
  private final Parameter finalBeta;

  TinyLmBlock(TinyLmConfig config) {
    super(VERSION);
    this.config = config;
    int d = config.dModel();
    int hidden = d * config.mlpRatio();
    Initializer normal = new NormalInitializer(0.02f);
    tokenEmbedding = param("tok_emb", Parameter.Type.WEIGHT, normal, config.vocabSize(), d);
    positionEmbedding = param("pos_emb", Parameter.Type.WEIGHT, normal, config.contextLength(), d);
    for (int l = 0; l < config.layers(); l++) {
      String p = "l" + l + ".";
      layers.add(
          new Parameter[] {
            param(p + "ln1.gamma", Parameter.Type.GAMMA, Initializer.ONES, d),
            param(p + "ln1.beta", Parameter.Type.BETA, Initializer.ZEROS, d),
            param(p + "attn.w_qkv", Parameter.Type.WEIGHT, normal, d, 3 * d),
            param(p + "attn.b_qkv", Parameter.Type.BIAS, Initializer.ZEROS, 3 * d),
            param(p + "attn.w_out", Parameter.Type.WEIGHT, normal, d, d),
            param(p + "attn.b_out", Parameter.Type.BIAS, Initializer.ZEROS, d),
            param(p + "ln2.gamma", Parameter.Type.GAMMA, Initializer.ONES, d),
            param(p + "ln2.beta", Parameter.Type.BETA, Initializer.ZEROS, d),
            param(p + "mlp.w_fc", Parameter.Type.WEIGHT, normal, d, hidden),
            param(p + "mlp.b_fc", Parameter.Type.BIAS, Initializer.ZEROS, hidden),
            param(p + "mlp.w_proj", Parameter.Type.WEIGHT, normal, hidden, d),
            param(p + "mlp.b_proj", Parameter.Type.BIAS, Initializer.ZEROS, d),
          });
    }
    finalGamma = param("ln_f.gamma", Parameter.Type.GAMMA, Initializer.ONES, d);
    finalBeta = param("ln_f.beta", Parameter.Type.BETA, Initializer.ZEROS, d);
  }

  private Parameter param(String name, Parameter.Type type, Initializer init, long... shape) {
    return addParameter(
        Parameter.builder()
            .setName(name)
            .setType(type)
            .optInitializer(init)
            .optShape(new Shape(shape))
            .build());
  }

  TinyLmConfig config() {
    return config;
  }

  @Override
  protected NDList forwardInternal(
      ParameterStore store, NDList inputs, boolean training, PairList<String, Object> params) {
    NDArray ids = inputs.singletonOrThrow();
    NDManager m = ids.getManager();
    int t = (int) ids.getShape().get(1);
    NDArray positions = m.arange(0, t, 1, DataType.INT64).reshape(1, t);
    NDArray bias = causalBias(m, t);
    return new NDList(decode(store, ids, positions, bias, null, training).get(0));
  }

  /**
   * Runs the transformer.
   *
   * @param ids token ids {@code [B,T]} (int64)
   * @param positions position of each token {@code [B,T]} or {@code [1,T]} (int64)
   * @param bias added to attention scores, broadcastable to {@code [B,H,T,Tpast+T]}: 0 where a
   *     query may attend to a key, {@link #MASKED} where not
   * @param past per layer the cached keys then values {@code [B,H,Tpast,Dh]}, or null
   * @return the logits {@code [B,T,V]} followed by, per layer, the keys and values including
   *     this call's tokens
   */
  NDList decode(
      ParameterStore store,
      NDArray ids,
      NDArray positions,
      NDArray bias,
      NDList past,
      boolean training) {
    NDManager m = ids.getManager();
    int dh = config.dModel() / config.heads();
    NDArray tok = store.getValue(tokenEmbedding, ids.getDevice(), training);
    NDArray pos = store.getValue(positionEmbedding, ids.getDevice(), training);
    NDArray x =
        embed(ids, tok).add(embed(positions, pos)); // [B,T,D]
    NDArray scale = m.create((float) (1.0 / Math.sqrt(dh))).toType(x.getDataType(), false);
    NDList out = new NDList(1 + 2 * config.layers());
    out.add(null); // logits, set below
    for (int l = 0; l < layers.size(); l++) {
      if (training || ids.getShape().get(1) == 1) { // a decode step's work is a few small arrays
        x = layer(store, l, x, bias, past, scale, out, training);
        continue;
      }
      // Outside training no layer's intermediates are needed once its output is made: they live
      // in a scope of their own, freed at the layer's end, so that the peak memory of a long
      // prefill is one layer's work rather than every layer's.
      try (NDManager scope = m.newSubManager()) {
        x.tempAttach(scope);
        x = layer(store, l, x, bias, past, scale, out, training);
        x.attach(m);
        out.get(out.size() - 2).attach(m);
        out.get(out.size() - 1).attach(m);
      }
    }
    x = norm(x, store.getValue(finalGamma, x.getDevice(), training), store.getValue(finalBeta, x.getDevice(), training));
    NDArray head = tok.transpose(); // an op on a parameter lands in the model's manager:
    head.attach(m); // free it with this call's arrays instead
    out.set(0, x.matMul(head));
    return out;
  }

  /** Runs layer {@code l} on {@code x}; adds its keys and values to {@code out}; returns its output. */
  private NDArray layer(
      ParameterStore store, int l, NDArray x, NDArray bias, NDList past, NDArray scale, NDList out, boolean training) {
    long b = x.getShape().get(0);
    long t = x.getShape().get(1);
    int d = config.dModel();
    int h = config.heads();
    int dh = d / h;
    Parameter[] p = layers.get(l);
    NDArray hN = norm(x, store.getValue(p[0], x.getDevice(), training), store.getValue(p[1], x.getDevice(), training));
    NDArray qkv =
        hN.matMul(store.getValue(p[2], x.getDevice(), training))
            .add(store.getValue(p[3], x.getDevice(), training));
    NDList parts = qkv.split(3, 2);
    NDArray q = heads(parts.get(0), b, t, h, dh);
    NDArray k = heads(parts.get(1), b, t, h, dh);
    NDArray v = heads(parts.get(2), b, t, h, dh);
    if (past != null) {
      k = past.get(2 * l).concat(k, 2);
      v = past.get(2 * l + 1).concat(v, 2);
    }
    out.add(k);
    out.add(v);
    NDArray scores = q.mul(scale).matMul(k.transpose(0, 1, 3, 2)).add(bias);
    NDArray attended = scores.softmax(-1).matMul(v).transpose(0, 2, 1, 3).reshape(b, t, d);
    NDArray y =
        x.add(
            attended
                .matMul(store.getValue(p[4], x.getDevice(), training))
                .add(store.getValue(p[5], x.getDevice(), training)));
    NDArray h2 = norm(y, store.getValue(p[6], x.getDevice(), training), store.getValue(p[7], x.getDevice(), training));
    NDArray mlp =
        Activation.gelu(
                h2.matMul(store.getValue(p[8], x.getDevice(), training))
                    .add(store.getValue(p[9], x.getDevice(), training)))
            .matMul(store.getValue(p[10], x.getDevice(), training))
            .add(store.getValue(p[11], x.getDevice(), training));
    return y.add(mlp);
  }

  private static NDArray embed(NDArray ids, NDArray table) {
    return ids.getNDArrayInternal().embedding(ids, table, SparseFormat.DENSE).singletonOrThrow();
  }

  private NDArray norm(NDArray x, NDArray gamma, NDArray beta) {
    return LayerNorm.layerNorm(x, new Shape(config.dModel()), gamma, beta, 1e-5f).singletonOrThrow();
  }

  private static NDArray heads(NDArray x, long b, long t, int h, int dh) {
    return x.reshape(b, t, h, dh).transpose(0, 2, 1, 3);
  }

  /** Returns the {@code [1,1,T,T]} bias that lets each position attend to itself and earlier. */
  static NDArray causalBias(NDManager m, int t) {
    float[] bias = new float[t * t];
    for (int i = 0; i < t; i++) {
      for (int j = i + 1; j < t; j++) {
        bias[i * t + j] = MASKED;
      }
    }
    return m.create(bias, new Shape(1, 1, t, t));
  }

  @Override
  public Shape[] getOutputShapes(Shape[] inputShapes) {
    Shape in = inputShapes[0];
    return new Shape[] {new Shape(in.get(0), in.get(1), config.vocabSize())};
  }

  /**
   * Loads the parameters into memory that libtorch owns (see {@link NativeArrayDecoder}), so that
   * closing the model returns it at once instead of at the next garbage collection.
   */
  @Override
  public void loadParameters(NDManager manager, DataInputStream is)
      throws IOException, MalformedModelException {
    super.loadParameters(NativeArrayDecoder.decodingInto(manager), is);
  }
}
