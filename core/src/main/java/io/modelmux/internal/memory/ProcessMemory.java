package io.modelmux.internal.memory;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The process's memory as Linux reports it: {@code VmRSS} and {@code VmHWM} from
 * {@code /proc/self/status}; the peak is reset by writing {@code 5} to
 * {@code /proc/self/clear_refs} (Linux 4.0 and later). The JVM's own committed heap and non-heap
 * come from its {@link MemoryMXBean}. Elsewhere (macOS, Windows) there is no such reading
 * without a native call, and {@link #detect()} returns a meter that is not available.
 */
final class ProcessMemory implements MemoryMeter {
  private static final Logger log = LoggerFactory.getLogger(ProcessMemory.class);
  private static final Path STATUS = Path.of("/proc/self/status");
  private static final Path CLEAR_REFS = Path.of("/proc/self/clear_refs");

  static final MemoryMeter NONE =
      new MemoryMeter() {
        @Override
        public boolean available() {
          return false;
        }

        @Override
        public boolean resetPeak() {
          return false;
        }

        @Override
        public Reading read() {
          return new Reading(0, 0, 0);
        }

        @Override
        public String toString() {
          return "no process memory readings";
        }
      };

  private static volatile MemoryMeter detected;

  private static final javax.management.ObjectName DIAGNOSTICS;

  static {
    try {
      DIAGNOSTICS = new javax.management.ObjectName("com.sun.management:type=DiagnosticCommand");
    } catch (javax.management.MalformedObjectNameException e) {
      throw new ExceptionInInitializerError(e);
    }
  }

  private final MemoryMXBean jvm = ManagementFactory.getMemoryMXBean();
  private volatile boolean peakResettable = true;
  private volatile boolean nmt = nativeMemoryTracking();

  private ProcessMemory() {}

  /** Returns the meter of this process, once per JVM. */
  static MemoryMeter detect() {
    MemoryMeter d = detected;
    if (d == null) {
      synchronized (ProcessMemory.class) {
        d = detected;
        if (d == null) {
          ProcessMemory p = new ProcessMemory();
          d = p.works() ? p : NONE;
          if (d == NONE) {
            log.info("process memory cannot be read on {}: model footprints are the adapters' own counts,"
                + " not measured", System.getProperty("os.name"));
          }
          detected = d;
        }
      }
    }
    return d;
  }

  private boolean works() {
    try {
      return Files.isReadable(STATUS) && read().residentBytes() > 0;
    } catch (RuntimeException e) {
      return false;
    }
  }

  @Override
  public boolean available() {
    return true;
  }

  @Override
  public boolean resetPeak() {
    if (!peakResettable) {
      return false;
    }
    try {
      Files.write(CLEAR_REFS, "5".getBytes(StandardCharsets.US_ASCII));
      return true;
    } catch (IOException | SecurityException e) {
      peakResettable = false;
      log.info("the process's peak memory cannot be reset ({}): footprints are measured at the end of"
          + " each warm-up, not at its peak", e.toString());
      return false;
    }
  }

  @Override
  public Reading read() {
    long rss = -1;
    long hwm = -1;
    try {
      for (String line : Files.readAllLines(STATUS, StandardCharsets.US_ASCII)) {
        if (line.startsWith("VmRSS:")) {
          rss = kib(line);
        } else if (line.startsWith("VmHWM:")) {
          hwm = kib(line);
        }
      }
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
    if (rss < 0) {
      throw new IllegalStateException(STATUS + " has no VmRSS line");
    }
    return new Reading(rss, hwm < 0 ? rss : hwm, jvmCommitted());
  }

  /**
   * Returns what the JVM itself has committed: with native memory tracking on
   * ({@code -XX:NativeMemoryTracking=summary}), its total, which also holds the JVM's own
   * {@code malloc}s (its compilers' arenas, the collector's tables, thread stacks); else the
   * committed heap and non-heap (metaspace, code cache) only.
   */
  long jvmCommitted() {
    if (nmt) {
      try {
        String summary = (String) ManagementFactory.getPlatformMBeanServer().invoke(
            DIAGNOSTICS, "vmNativeMemory", new Object[] {new String[] {"summary"}}, new String[] {String[].class.getName()});
        long total = nmtTotal(summary);
        if (total > 0) {
          return total;
        }
      } catch (javax.management.JMException | RuntimeException e) {
        log.debug("native memory tracking could not be read; counting the JVM's heap and non-heap only", e);
      }
      nmt = false;
    }
    return jvm.getHeapMemoryUsage().getCommitted() + jvm.getNonHeapMemoryUsage().getCommitted();
  }

  /** Returns the committed bytes of a {@code VM.native_memory summary}'s total line, or -1. */
  static long nmtTotal(String summary) {
    int total = summary.indexOf("Total:");
    int committed = total < 0 ? -1 : summary.indexOf("committed=", total);
    if (committed < 0) {
      return -1;
    }
    long v = 0;
    int i = committed + "committed=".length();
    while (i < summary.length() && Character.isDigit(summary.charAt(i))) {
      v = v * 10 + (summary.charAt(i++) - '0');
    }
    String unit = summary.startsWith("KB", i) ? "KB" : summary.startsWith("MB", i) ? "MB" : summary.startsWith("GB", i) ? "GB" : "B";
    switch (unit) {
      case "KB":
        return v << 10;
      case "MB":
        return v << 20;
      case "GB":
        return v << 30;
      default:
        return v;
    }
  }

  private static boolean nativeMemoryTracking() {
    try {
      com.sun.management.HotSpotDiagnosticMXBean hotspot =
          ManagementFactory.getPlatformMXBean(com.sun.management.HotSpotDiagnosticMXBean.class);
      return hotspot != null && !"off".equals(hotspot.getVMOption("NativeMemoryTracking").getValue());
    } catch (RuntimeException | LinkageError e) {
      return false;
    }
  }

  /** Parses {@code "VmRSS:\t  12345 kB"} into bytes. */
  static long kib(String line) {
    long v = 0;
    boolean digits = false;
    for (int i = line.indexOf(':') + 1; i < line.length(); i++) {
      char c = line.charAt(i);
      if (c >= '0' && c <= '9') {
        v = v * 10 + (c - '0');
        digits = true;
      } else if (digits) {
        break;
      }
    }
    return v * 1024;
  }

  @Override
  public String toString() {
    return "VmRSS and VmHWM of /proc/self/status";
  }
}
