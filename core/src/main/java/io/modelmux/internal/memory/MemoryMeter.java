package io.modelmux.internal.memory;

/**
 * Reads how much memory the process holds, so that the scheduler can measure what a model's load
 * and warm-up really took. {@link #process()} reads the operating system's own figures; tests
 * give scripted ones.
 */
public interface MemoryMeter {
  /**
   * One reading of the process.
   *
   * @param residentBytes the process's resident memory now ({@code VmRSS})
   * @param peakBytes its most resident memory since the peak was last reset ({@code VmHWM})
   * @param jvmBytes what the JVM itself has committed (heap and non-heap), which is not a model's
   */
  record Reading(long residentBytes, long peakBytes, long jvmBytes) {}

  /** Returns whether readings are real; false where the OS offers none. */
  boolean available();

  /**
   * Resets the process's peak to its resident memory now, where the OS allows it.
   *
   * @return whether it did; when not, a measurement ends at the resident memory instead of the peak
   */
  boolean resetPeak();

  /** Returns a reading now; on a meter that is not {@link #available()}, zeros. */
  Reading read();

  /**
   * Returns what the process gained between two readings, beyond the JVM's own growth: from the
   * resident memory at {@code start} to the peak at {@code end} (when the peak was reset at the
   * start) or its resident memory (when not); never negative. What the JVM gave back is not
   * added: the C allocator keeps it resident (measured: the JVM's tracked memory fell by 11 MB
   * while the process's did not).
   */
  static long gained(Reading start, Reading end, boolean peakWasReset) {
    long top = peakWasReset ? Math.max(end.peakBytes(), end.residentBytes()) : end.residentBytes();
    return Math.max(0, top - start.residentBytes() - Math.max(0, end.jvmBytes() - start.jvmBytes()));
  }

  /** Returns a meter of this process: {@link ProcessMemory} where it can be read, else {@link #none()}. */
  static MemoryMeter process() {
    return ProcessMemory.detect();
  }

  /** Returns a meter that reads nothing: footprints stay the adapters' own counts. */
  static MemoryMeter none() {
    return ProcessMemory.NONE;
  }
}
