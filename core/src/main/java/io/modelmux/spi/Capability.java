package io.modelmux.spi;

/** What a model adapter can do beyond plain generation. */
public enum Capability {
  /** Streams tokens as they are generated; without it the manager sends the whole text once. */
  STREAMING,
  /** Serves concurrent requests in batches. */
  BATCHING,
  /** Takes chat messages natively; without it the adapter renders them into one prompt. */
  CHAT
}
