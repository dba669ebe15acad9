package io.modelmux.djl;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.Device;
import io.modelmux.ModelLoadException;
import io.modelmux.spi.Accelerator;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Device rules, with the machine's answers injected: no GPU is needed to test them. */
class DeviceSelectionTest {
  @Test
  void should_prefer_cuda_then_mps_then_cpu_for_auto() {
    assertThat(DeviceSelection.select("auto", 2, false, "m")).isEqualTo(Device.gpu(0));
    assertThat(DeviceSelection.select("auto", 0, true, "m").getDeviceType()).isEqualTo("mps");
    assertThat(DeviceSelection.select("auto", 0, false, "m")).isEqualTo(Device.cpu());
  }

  @Test
  void should_pick_the_cuda_device_asked_for() {
    assertThat(DeviceSelection.select("cuda:1", 2, false, "m")).isEqualTo(Device.gpu(1));
    assertThat(DeviceSelection.select("cuda", 1, false, "m")).isEqualTo(Device.gpu(0));
    assertThat(DeviceSelection.select("CPU", 4, true, "m")).isEqualTo(Device.cpu());
  }

  @Test
  void should_explain_a_missing_device() {
    assertThatThrownBy(() -> DeviceSelection.select("cuda:2", 2, false, "m"))
        .isInstanceOf(ModelLoadException.class)
        .hasMessageContaining("cuda:2")
        .hasMessageContaining("sees 2 CUDA device(s)")
        .hasMessageContaining("cuda:0 to cuda:1");
    assertThatThrownBy(() -> DeviceSelection.select("cuda:0", 0, false, "m"))
        .hasMessageContaining("pytorch-native-cpu")
        .hasMessageContaining("PYTORCH_LIBRARY_PATH");
    assertThatThrownBy(() -> DeviceSelection.select("mps", 0, false, "m"))
        .isInstanceOf(ModelLoadException.class)
        .hasMessageContaining("Apple Silicon");
  }

  @Test
  void should_know_which_names_are_devices() {
    assertThat(DeviceSelection.isValid("cuda:12")).isTrue();
    assertThat(DeviceSelection.isValid("gpu")).isTrue();
    assertThat(DeviceSelection.isValid("tpu")).isFalse();
    assertThat(DeviceSelection.isAppleSilicon("Mac OS X", "aarch64")).isTrue();
    assertThat(DeviceSelection.isAppleSilicon("Linux", "aarch64")).isFalse();
  }

  @Test
  void should_report_cuda_devices_with_memory_and_mps_as_unified() {
    DjlDeviceProbe probe = new DjlDeviceProbe(() -> 2, i -> (i + 1) * 1000L, true, 36L << 30);

    List<Accelerator> found = probe.probe();

    assertThat(found)
        .containsExactly(
            new Accelerator("cuda:0", "CUDA device 0", 1000, false),
            new Accelerator("cuda:1", "CUDA device 1", 2000, false),
            new Accelerator("mps", "Apple Silicon GPU (Metal)", 36L << 30, true));
  }

  @Test
  void should_report_nothing_rather_than_fail_when_cuda_cannot_be_asked() {
    DjlDeviceProbe probe =
        new DjlDeviceProbe(() -> { throw new UnsatisfiedLinkError("no cudart"); }, i -> 0L, false, 0);

    assertThat(probe.probe()).isEmpty();
  }
}
