package io.modelmux;

import io.modelmux.internal.ServiceProviders;
import io.modelmux.spi.Accelerator;
import io.modelmux.spi.DeviceProbe;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What the machine has for models: host memory, accelerators reported by the
 * {@link DeviceProbe}s on the class path, and whether CPU and accelerator share one memory
 * (Apple Silicon; NVIDIA Jetson, found by {@code /etc/nv_tegra_release}). Immutable.
 *
 * @param hostMemoryBytes the machine's physical memory
 * @param accelerators the accelerators found, in order; not null
 * @param unified whether CPU and accelerators share one memory (then there is one pool)
 */
public record Hardware(long hostMemoryBytes, List<Accelerator> accelerators, boolean unified) {
  private static final Logger log = LoggerFactory.getLogger(Hardware.class);

  /** Checks and copies the arguments. */
  public Hardware {
    if (hostMemoryBytes < 0) {
      throw new IllegalArgumentException("hostMemoryBytes must not be negative, got " + hostMemoryBytes);
    }
    accelerators = List.copyOf(Objects.requireNonNull(accelerators, "accelerators"));
  }

  /** Looks at this machine: the OS's memory size, the device probes, the platform. */
  public static Hardware detect() {
    return detect(
        ServiceProviders.contextLoader(Hardware.class),
        System.getProperty("os.name", ""),
        System.getProperty("os.arch", ""),
        Files.exists(Path.of("/etc/nv_tegra_release")));
  }

  static Hardware detect(ClassLoader loader, String osName, String osArch, boolean tegra) {
    long host = 0;
    java.lang.management.OperatingSystemMXBean os = ManagementFactory.getOperatingSystemMXBean();
    if (os instanceof com.sun.management.OperatingSystemMXBean) {
      host = ((com.sun.management.OperatingSystemMXBean) os).getTotalMemorySize();
    }
    List<Accelerator> found = new ArrayList<>();
    List<DeviceProbe> probes =
        ServiceProviders.load(DeviceProbe.class, loader, e -> log.warn("a device probe failed to load; its devices are left out", e));
    for (DeviceProbe probe : probes) {
      try {
        found.addAll(probe.probe());
      } catch (RuntimeException | LinkageError e) {
        log.warn("device probe {} failed; its devices are left out", probe.name(), e);
      }
    }
    String o = osName.toLowerCase(Locale.ROOT);
    String a = osArch.toLowerCase(Locale.ROOT);
    boolean appleSilicon = o.contains("mac") && (a.contains("aarch64") || a.contains("arm64"));
    return new Hardware(host, found, appleSilicon || tegra);
  }

  @Override
  public String toString() {
    return "Hardware{host=" + hostMemoryBytes / (1 << 20) + " MiB, accelerators=" + accelerators
        + (unified ? ", unified memory" : "") + '}';
  }
}
