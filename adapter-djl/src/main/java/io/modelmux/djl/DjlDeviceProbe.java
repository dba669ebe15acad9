package io.modelmux.djl;

import ai.djl.Device;
import ai.djl.util.cuda.CudaUtils;
import io.modelmux.spi.Accelerator;
import io.modelmux.spi.DeviceProbe;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryUsage;
import java.util.ArrayList;
import java.util.List;
import java.util.function.IntFunction;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reports CUDA devices (with their memory, through the CUDA runtime DJL finds) and Apple's MPS
 * (unified memory: the host's total). Found by core through {@code META-INF/services}.
 */
public final class DjlDeviceProbe implements DeviceProbe {
  private static final Logger log = LoggerFactory.getLogger(DjlDeviceProbe.class);

  private final IntFunction<Long> cudaMemory;
  private final java.util.function.IntSupplier cudaCount;
  private final boolean appleSilicon;
  private final long hostMemory;

  /** Probes this machine. */
  public DjlDeviceProbe() {
    this(
        DjlDeviceProbe::cudaCount,
        i -> {
          MemoryUsage usage = CudaUtils.getGpuMemory(Device.gpu(i));
          return usage.getMax();
        },
        DeviceSelection.isAppleSilicon(System.getProperty("os.name", ""), System.getProperty("os.arch", "")),
        hostMemoryBytes());
  }

  DjlDeviceProbe(
      java.util.function.IntSupplier cudaCount,
      IntFunction<Long> cudaMemory,
      boolean appleSilicon,
      long hostMemory) {
    this.cudaCount = cudaCount;
    this.cudaMemory = cudaMemory;
    this.appleSilicon = appleSilicon;
    this.hostMemory = hostMemory;
  }

  @Override
  public String name() {
    return "djl";
  }

  @Override
  public List<Accelerator> probe() {
    List<Accelerator> found = new ArrayList<>();
    int count;
    try {
      count = cudaCount.getAsInt();
    } catch (RuntimeException | LinkageError e) {
      log.debug("no CUDA runtime: {}", e.toString());
      count = 0;
    }
    for (int i = 0; i < count; i++) {
      long bytes;
      try {
        bytes = cudaMemory.apply(i);
      } catch (RuntimeException | LinkageError e) {
        log.warn("could not read the memory of cuda:{}; reporting 0 bytes", i, e);
        bytes = 0;
      }
      found.add(new Accelerator("cuda:" + i, "CUDA device " + i, Math.max(0, bytes), false));
    }
    if (appleSilicon) {
      found.add(new Accelerator("mps", "Apple Silicon GPU (Metal)", hostMemory, true));
    }
    return found;
  }

  private static int cudaCount() {
    PyTorchEngine.configure();
    return CudaUtils.hasCuda() ? CudaUtils.getGpuCount() : 0;
  }

  private static long hostMemoryBytes() {
    java.lang.management.OperatingSystemMXBean os = ManagementFactory.getOperatingSystemMXBean();
    if (os instanceof com.sun.management.OperatingSystemMXBean) {
      return ((com.sun.management.OperatingSystemMXBean) os).getTotalMemorySize();
    }
    return 0;
  }
}
