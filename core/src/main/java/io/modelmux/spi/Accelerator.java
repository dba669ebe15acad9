package io.modelmux.spi;

import java.util.Objects;

/**
 * One accelerator a {@link DeviceProbe} found.
 *
 * @param device the device name models use, such as {@code cuda:0} or {@code mps}; not blank
 * @param description what it is, such as the GPU's name; not null
 * @param memoryBytes the memory it has, in bytes (for a unified device, the shared total)
 * @param unifiedMemory whether it shares memory with the CPU (Apple Silicon, Jetson)
 */
public record Accelerator(String device, String description, long memoryBytes, boolean unifiedMemory) {
  /** Checks the arguments. */
  public Accelerator {
    Objects.requireNonNull(device, "device");
    Objects.requireNonNull(description, "description");
    if (device.isBlank()) {
      throw new IllegalArgumentException("device must not be blank");
    }
    if (memoryBytes < 0) {
      throw new IllegalArgumentException("memoryBytes must not be negative, got " + memoryBytes);
    }
  }
}
