package io.modelmux.internal.memory;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;

/** Readings of this very process, and the arithmetic of a measurement. */
class ProcessMemoryTest {
  @Test
  void should_parse_the_kib_of_a_status_line() {
    assertThat(ProcessMemory.kib("VmRSS:\t  123456 kB")).isEqualTo(123456L * 1024);
    assertThat(ProcessMemory.kib("VmHWM:        7 kB")).isEqualTo(7L * 1024);
  }

  @Test
  void should_take_the_peak_when_it_was_reset_and_leave_out_the_jvms_growth() {
    MemoryMeter.Reading start = new MemoryMeter.Reading(100, 100, 50);
    MemoryMeter.Reading end = new MemoryMeter.Reading(130, 180, 60);
    assertThat(MemoryMeter.gained(start, end, true)).isEqualTo(70); // peak 180 - 100 - JVM's 10
    assertThat(MemoryMeter.gained(start, end, false)).isEqualTo(20); // resident 130 - 100 - 10
    assertThat(MemoryMeter.gained(start, new MemoryMeter.Reading(90, 90, 80), true)).isZero();
    assertThat(MemoryMeter.gained(start, new MemoryMeter.Reading(130, 130, 20), true))
        .as("what the JVM gave back stays with the allocator: not the model's").isEqualTo(30);
  }

  @Test
  void should_read_the_committed_total_of_a_native_memory_summary() {
    String summary = "Native Memory Tracking:\n\n(Omitting categories weighting less than 1KB)\n\n"
        + "Total: reserved=1633452KB, committed=318020KB\n       malloc: 21680KB #25633\n\n"
        + "-                 Java Heap (reserved=262144KB, committed=262144KB)\n";
    assertThat(ProcessMemory.nmtTotal(summary)).isEqualTo(318020L * 1024);
    assertThat(ProcessMemory.nmtTotal("Native memory tracking is not enabled")).isEqualTo(-1);
  }

  @Test
  @EnabledOnOs(OS.LINUX)
  void should_see_this_process_grow_by_what_it_touches_and_reset_its_peak() {
    MemoryMeter meter = MemoryMeter.process();
    assertThat(meter.available()).isTrue();
    assertThat(meter.resetPeak()).isTrue();
    MemoryMeter.Reading before = meter.read();
    assertThat(before.residentBytes()).isPositive();
    assertThat(before.peakBytes()).isGreaterThanOrEqualTo(before.residentBytes());
    assertThat(before.peakBytes() - before.residentBytes()).as("peak just reset").isLessThan(8L << 20);

    ByteBuffer native64 = ByteBuffer.allocateDirect(64 << 20); // native memory, outside the JVM's heap
    for (int i = 0; i < native64.capacity(); i += 4096) {
      native64.put(i, (byte) 1);
    }
    MemoryMeter.Reading after = meter.read();
    assertThat(MemoryMeter.gained(before, after, true)).isBetween(60L << 20, 80L << 20);
    assertThat(native64.get(4096)).isEqualTo((byte) 1);
  }
}
