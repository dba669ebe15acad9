package io.modelmux.djl;

import ai.djl.Device;
import ai.djl.Model;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.DefaultTrainingConfig;
import ai.djl.training.GradientCollector;
import ai.djl.training.Trainer;
import ai.djl.training.loss.Loss;
import ai.djl.training.optimizer.Adam;
import ai.djl.training.tracker.Tracker;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;

/**
 * Trains a built-in tiny LM on a text file with the byte tokenizer, and saves it where
 * {@code type: djl} can load it ({@code tiny-lm.json}, {@code tiny-lm-0000.params}, and
 * {@code training.json} recording how it was made).
 *
 * <pre>
 * java -cp adapter-djl/target/classes:$(cat cp.txt) io.modelmux.djl.TinyLmTrainer \
 *     --data ../shared/data/tinyshakespeare.txt --out adapter-djl/src/main/resources/models/tiny-lm
 * </pre>
 *
 * Options (defaults in brackets): {@code --layers} [4], {@code --d-model} [128],
 * {@code --heads} [4], {@code --context} [128], {@code --steps} [3000], {@code --batch} [32],
 * {@code --lr} [0.002], {@code --seed} [42]. It prints the training and validation loss
 * (the last 10% of the text) as it goes.
 */
public final class TinyLmTrainer {
  private TinyLmTrainer() {}

  /**
   * Runs the training.
   *
   * @param args the options above; {@code --data} and {@code --out} are required
   * @throws Exception if the data cannot be read or the model cannot be saved
   */
  public static void main(String[] args) throws Exception {
    Map<String, String> opts = new LinkedHashMap<>();
    for (int i = 0; i + 1 < args.length; i += 2) {
      if (!args[i].startsWith("--")) {
        throw new IllegalArgumentException("expected --name value pairs, got " + args[i]);
      }
      opts.put(args[i].substring(2), args[i + 1]);
    }
    if (!opts.containsKey("data") || !opts.containsKey("out")) {
      System.err.println("usage: TinyLmTrainer --data FILE --out DIR [--layers 4] [--d-model 128]"
          + " [--heads 4] [--context 128] [--steps 3000] [--batch 32] [--lr 0.002] [--seed 42]");
      System.exit(2);
    }
    Path data = Path.of(opts.get("data"));
    Path out = Path.of(opts.get("out"));
    int layers = Integer.parseInt(opts.getOrDefault("layers", "4"));
    int dModel = Integer.parseInt(opts.getOrDefault("d-model", "128"));
    int heads = Integer.parseInt(opts.getOrDefault("heads", "4"));
    int context = Integer.parseInt(opts.getOrDefault("context", "128"));
    int steps = Integer.parseInt(opts.getOrDefault("steps", "3000"));
    int batch = Integer.parseInt(opts.getOrDefault("batch", "32"));
    float lr = Float.parseFloat(opts.getOrDefault("lr", "0.002"));
    long seed = Long.parseLong(opts.getOrDefault("seed", "42"));

    byte[] text = Files.readAllBytes(data);
    int split = (int) (text.length * 0.9);
    TinyLmConfig config =
        new TinyLmConfig(TinyLmConfig.FORMAT, ByteTokenizer.VOCAB, context, dModel, layers, heads, 4, "byte");
    String problem = config.problem();
    if (problem != null) {
      throw new IllegalArgumentException(problem);
    }
    System.setProperty("ai.djl.offline", "true");
    Engine.getEngine("PyTorch").setRandomSeed((int) seed);
    Random random = new Random(seed);
    long started = System.nanoTime();
    double lastVal = Double.NaN;
    try (Model model = Model.newInstance("tiny-lm", Device.cpu(), "PyTorch")) {
      model.setBlock(new TinyLmBlock(config));
      Tracker schedule =
          Tracker.warmUp()
              .optWarmUpSteps(Math.min(200, steps / 10))
              .optWarmUpBeginValue(lr / 20)
              .setMainTracker(Tracker.cosine().setBaseValue(lr).optFinalValue(lr / 20).setMaxUpdates(steps).build())
              .build();
      DefaultTrainingConfig trainingConfig =
          new DefaultTrainingConfig(Loss.softmaxCrossEntropyLoss())
              .optOptimizer(Adam.builder().optLearningRateTracker(schedule).optClipGrad(1.0f).build())
              .optDevices(new Device[] {Device.cpu()});
      try (Trainer trainer = model.newTrainer(trainingConfig)) {
        trainer.initialize(new Shape(batch, context));
        System.out.printf("tiny LM: %d parameters, %d bytes of text (%d for training)%n",
            config.parameterCount(), text.length, split);
        double running = Double.NaN;
        for (int step = 1; step <= steps; step++) {
          try (NDManager m = trainer.getManager().newSubManager()) {
            NDList[] xy = sample(m, text, 0, split, batch, context, random);
            try (GradientCollector gc = trainer.newGradientCollector()) {
              NDArray loss = loss(trainer, trainer.forward(xy[0]), xy[1]);
              gc.backward(loss);
              float l = loss.getFloat();
              running = Double.isNaN(running) ? l : 0.95 * running + 0.05 * l;
            }
            trainer.step();
          }
          if (step % 100 == 0 || step == steps) {
            lastVal = validate(trainer, text, split, batch, context, new Random(seed + 1));
            System.out.printf("step %5d  train loss %.3f  val loss %.3f  %.0f s%n",
                step, running, lastVal, (System.nanoTime() - started) / 1e9);
          }
        }
      }
      Files.createDirectories(out);
      try (Stream<Path> old = Files.list(out)) {
        for (Path p : (Iterable<Path>) old::iterator) {
          if (p.getFileName().toString().startsWith(TinyLmConfig.PARAMS_PREFIX + "-")) {
            Files.delete(p); // Model.load picks the newest epoch: leave only this run's
          }
        }
      }
      model.setProperty("Epoch", "0");
      model.save(out, TinyLmConfig.PARAMS_PREFIX);
    }
    ObjectMapper json = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
    json.writeValue(out.resolve(TinyLmConfig.FILE).toFile(), config);
    Map<String, Object> record = new LinkedHashMap<>();
    record.put("data", data.getFileName().toString());
    record.put("data_sha256", sha256(text));
    record.put("steps", steps);
    record.put("batch", batch);
    record.put("learning_rate", lr);
    record.put("seed", seed);
    record.put("parameters", config.parameterCount());
    record.put("validation_loss", lastVal);
    record.put("seconds", Math.round((System.nanoTime() - started) / 1e9));
    record.put("command", "TinyLmTrainer " + String.join(" ", args));
    json.writeValue(out.resolve("training.json").toFile(), record);
    System.out.println("saved to " + out);
  }

  private static NDList[] sample(NDManager m, byte[] text, int from, int to, int batch, int context, Random random) {
    long[] x = new long[batch * context];
    long[] y = new long[batch * context];
    for (int b = 0; b < batch; b++) {
      int start = from + random.nextInt(to - from - context - 1);
      for (int t = 0; t < context; t++) {
        x[b * context + t] = text[start + t] & 0xFF;
        y[b * context + t] = text[start + t + 1] & 0xFF;
      }
    }
    return new NDList[] {
      new NDList(m.create(x, new Shape(batch, context))), new NDList(m.create(y, new Shape(batch, context)))
    };
  }

  private static double validate(Trainer trainer, byte[] text, int split, int batch, int context, Random random) {
    double sum = 0;
    int n = 4;
    for (int i = 0; i < n; i++) {
      try (NDManager m = trainer.getManager().newSubManager()) {
        NDList[] xy = sample(m, text, split, text.length, batch, context, random);
        sum += loss(trainer, trainer.evaluate(xy[0]), xy[1]).getFloat();
      }
    }
    return sum / n;
  }

  /** Mean cross-entropy over every position: logits [B,T,V] and labels [B,T], flattened. */
  private static NDArray loss(Trainer trainer, NDList prediction, NDList labels) {
    NDArray logits = prediction.singletonOrThrow();
    long vocab = logits.getShape().get(2);
    return trainer.getLoss()
        .evaluate(new NDList(labels.singletonOrThrow().reshape(-1)), new NDList(logits.reshape(-1, vocab)));
  }

  private static String sha256(byte[] data) throws NoSuchAlgorithmException {
    return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(data));
  }
}
