package io.modelmux;

/** Where a registered model is in its life cycle. */
public enum ModelState {
  /** Registered and not loaded; the first request loads it. */
  REGISTERED,
  /** Loading now; requests wait for it. */
  LOADING,
  /** Loaded and serving. */
  LOADED,
  /** The last load failed; the next request tries again. */
  FAILED,
  /** Unregistered: no new requests reach it, and it is finishing those in flight. */
  DRAINING
}
