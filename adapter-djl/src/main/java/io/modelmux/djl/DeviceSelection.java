package io.modelmux.djl;

import ai.djl.Device;
import io.modelmux.ModelLoadException;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Maps a model's {@code device:} ({@code auto}, {@code cpu}, {@code cuda}, {@code cuda:N},
 * {@code mps}) to a DJL device, given what the machine has. Pure: the caller passes the CUDA
 * device count and whether MPS is there, so the rules are tested without the hardware.
 */
final class DeviceSelection {
  private static final Logger log = LoggerFactory.getLogger(DeviceSelection.class);
  private static final Pattern CUDA = Pattern.compile("cuda(?::(\\d+))?|gpu(?::(\\d+))?");

  private DeviceSelection() {}

  /** Returns whether {@code device} is a name this adapter understands. */
  static boolean isValid(String device) {
    String d = device.toLowerCase(Locale.ROOT);
    return d.equals("auto") || d.equals("cpu") || d.equals("mps") || CUDA.matcher(d).matches();
  }

  /**
   * Chooses the device.
   *
   * @param requested the model's device setting
   * @param cudaDevices how many CUDA devices PyTorch sees
   * @param mpsAvailable whether Apple's MPS is available
   * @throws ModelLoadException if the device asked for is not on this machine
   */
  static Device select(String requested, int cudaDevices, boolean mpsAvailable, String modelId) {
    String d = requested.toLowerCase(Locale.ROOT);
    if (d.equals("cpu")) {
      return Device.cpu();
    }
    if (d.equals("auto")) {
      if (cudaDevices > 0) {
        return Device.gpu(0);
      }
      if (mpsAvailable) {
        return Device.of("mps", -1);
      }
      log.info("model {}: device auto found no CUDA or MPS device; running on CPU", modelId);
      return Device.cpu();
    }
    if (d.equals("mps")) {
      if (!mpsAvailable) {
        throw new ModelLoadException(
            "model '" + modelId + "' asks for device mps, which needs macOS on Apple Silicon;"
                + " use device: auto or cpu here",
            modelId, null);
      }
      return Device.of("mps", -1);
    }
    Matcher m = CUDA.matcher(d);
    if (m.matches()) {
      String index = m.group(1) != null ? m.group(1) : m.group(2);
      int n = index == null ? 0 : Integer.parseInt(index);
      if (n >= cudaDevices) {
        throw new ModelLoadException(
            "model '" + modelId + "' asks for device cuda:" + n + " but PyTorch sees "
                + cudaDevices + " CUDA device(s)"
                + (cudaDevices == 0
                    ? "; the CPU build (pytorch-native-cpu) has no CUDA: use a CUDA build of"
                        + " libtorch 2.7.1 (PYTORCH_LIBRARY_PATH, or a pytorch-native-cu12x jar),"
                        + " or device: auto to fall back to CPU"
                    : "; use cuda:0 to cuda:" + (cudaDevices - 1)),
            modelId, null);
      }
      return Device.gpu(n);
    }
    throw new ModelLoadException(
        "model '" + modelId + "' has an unknown device '" + requested
            + "'; use auto, cpu, cuda, cuda:N or mps",
        modelId, null);
  }

  /** Returns whether this JVM runs on macOS on Apple Silicon, where PyTorch offers MPS. */
  static boolean isAppleSilicon(String osName, String osArch) {
    String os = osName.toLowerCase(Locale.ROOT);
    String arch = osArch.toLowerCase(Locale.ROOT);
    return os.contains("mac") && (arch.contains("aarch64") || arch.contains("arm64"));
  }
}
