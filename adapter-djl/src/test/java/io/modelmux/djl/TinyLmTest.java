package io.modelmux.djl;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.ParameterStore;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The tiny LM's decoder: the KV cache, padding and sliding must not change what it computes. */
class TinyLmTest {
  @TempDir static Path dir;
  static TinyLm lm;
  static TinyLmConfig config;

  @BeforeAll
  static void load() throws Exception {
    Path model = TinyModels.randomTinyLm(dir.resolve("m"), 16);
    config = TinyLm.readConfig(model, "t");
    lm = TinyLm.load(model, config, Device.cpu(), DataType.FLOAT32, "t");
  }

  @AfterAll
  static void close() {
    lm.close();
  }

  /** Logits of the last position, computed over the whole sequence with no cache. */
  private static float[] fullForward(int[] tokens) {
    try (NDManager m = NDManager.newBaseManager(Device.cpu(), "PyTorch")) {
      long[] ids = new long[tokens.length];
      for (int i = 0; i < ids.length; i++) {
        ids[i] = tokens[i];
      }
      TinyLmBlock block = blockOf(lm);
      NDList out = block.forward(new ParameterStore(m, false), new NDList(m.create(ids, new Shape(1, ids.length))), false);
      NDArray logits = out.singletonOrThrow();
      return logits.get(0, tokens.length - 1).toFloatArray();
    }
  }

  private static TinyLmBlock blockOf(TinyLm lm) {
    return lm.blockForTests();
  }

  @Test
  void should_compute_the_same_logits_with_the_kv_cache_as_without() {
    int[] prompt = {72, 101, 108, 108, 111};
    List<Integer> seq = new ArrayList<>();
    for (int t : prompt) {
      seq.add(t);
    }
    try (CausalLm.Decoder d = lm.start(List.of(prompt))) {
      for (int step = 0; step < 6; step++) {
        float[] cached = d.logits()[0];
        float[] full = fullForward(seq.stream().mapToInt(Integer::intValue).toArray());
        assertThat(cached).containsExactly(full, within(1e-4f));
        int next = Sampler.argMax(cached, 256);
        seq.add(next);
        d.advance(new int[] {next});
      }
    }
  }

  @Test
  void should_compute_each_padded_row_of_a_batch_as_if_it_were_alone() {
    int[] a = {1, 2, 3, 4, 5, 6, 7};
    int[] b = {9, 8};
    int[] c = {40, 41, 42, 43};
    try (CausalLm.Decoder batch = lm.start(List.of(a, b, c));
        CausalLm.Decoder alone = lm.start(List.of(b))) {
      for (int step = 0; step < 5; step++) {
        assertThat(batch.logits()[1]).containsExactly(alone.logits()[0], within(1e-4f));
        int[] next = new int[3];
        for (int r = 0; r < 3; r++) {
          next[r] = Sampler.argMax(batch.logits()[r], 256);
        }
        batch.advance(next);
        alone.advance(new int[] {next[1]});
      }
      batch.retain(new boolean[] {false, true, false});
      assertThat(batch.logits()).hasNumberOfRows(1);
      assertThat(batch.logits()[0]).containsExactly(alone.logits()[0], within(1e-4f));
      int next = Sampler.argMax(alone.logits()[0], 256);
      batch.advance(new int[] {next});
      alone.advance(new int[] {next});
      assertThat(batch.logits()[0]).containsExactly(alone.logits()[0], within(1e-4f));
    }
  }

  @Test
  void should_slide_its_window_when_the_context_is_full() {
    try (CausalLm.Decoder d = lm.start(List.of(new int[] {65, 66, 67}))) {
      for (int step = 0; step < 3 * config.contextLength(); step++) {
        d.advance(new int[] {Sampler.argMax(d.logits()[0], 256)});
      }
      assertThat(d.logits()[0]).hasSize(256).doesNotContain(Float.NaN);
    }
  }

  @Test
  void should_compute_the_same_after_its_parameters_move_away_and_back() throws Exception {
    TinyLm moving = TinyLm.load(dir.resolve("m"), config, Device.cpu(), DataType.FLOAT32, "t");
    try (CausalLm.Decoder before = moving.start(List.of(new int[] {5, 6, 7}))) {
      float[] expected = before.logits()[0];

      moving.moveTo(Device.cpu()); // park (a copy in host memory)
      moving.moveTo(Device.cpu()); // and back: on CPU the same device, so a no-op

      try (CausalLm.Decoder after = moving.start(List.of(new int[] {5, 6, 7}))) {
        assertThat(after.logits()[0]).containsExactly(expected, within(0f));
      }
      assertThat(moving.parameterDevice()).isEqualTo(Device.cpu());
    } finally {
      moving.close();
    }
  }

  @Test
  void should_measure_its_parameter_bytes() {
    assertThat(lm.parameterBytes()).isEqualTo(config.parameterCount() * 4);
  }
}
