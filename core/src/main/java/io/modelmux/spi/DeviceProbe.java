package io.modelmux.spi;

import java.util.List;

/**
 * Reports the accelerators a backend can use, so that core can build memory pools without
 * depending on the backend. Found with {@link java.util.ServiceLoader} (adapter-djl provides
 * one for CUDA and MPS). Implementations must be cheap to construct; {@link #probe()} may load
 * native code.
 */
public interface DeviceProbe {
  /** Returns a short name for logs, such as {@code djl}. */
  String name();

  /**
   * Returns the accelerators found, in device order. Never throws: a probe that cannot tell
   * returns an empty list and logs why.
   */
  List<Accelerator> probe();
}
