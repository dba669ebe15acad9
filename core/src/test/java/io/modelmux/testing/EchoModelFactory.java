package io.modelmux.testing;

import io.modelmux.spi.ModelAdapter;
import io.modelmux.spi.ModelFactory;
import io.modelmux.spi.ModelSpec;
import java.util.Set;

/**
 * Type {@code echo}: a test backend that answers with its own {@code id@version} followed by
 * the prompt's words, so that a test can tell which model served a request. Found through
 * {@code META-INF/services} in core's test resources, and published in core's test-jar.
 *
 * <p>Options: {@code bytes} (footprint estimated before load, default 1000),
 * {@code measured_bytes} (footprint measured after load, default {@code bytes}), {@code pool}
 * (the memory pool, default {@code host}), {@code tiered} (can be demoted to host memory when
 * its pool is not {@code host}), {@code load_delay} (how long a load takes), {@code token_delay}
 * (how long each word takes), {@code fail_load} (load throws
 * {@link io.modelmux.ModelLoadException}), {@code fail_unload} (unload throws an
 * {@link IllegalStateException} after unloading, quoting {@code api_key} as a careless library
 * would), {@code fail_on} (a prompt word that makes the request fail with a retryable {@link
 * io.modelmux.BackendException}), {@code api_key} (a secret, for tests of redaction).
 */
public final class EchoModelFactory implements ModelFactory {
  /** Prompt word that makes an echo model fail with a BackendException. */
  public static final String DEFAULT_FAIL_WORD = "FAIL";

  @Override
  public String type() {
    return "echo";
  }

  @Override
  public Set<String> optionKeys() {
    return Set.of(
        "bytes", "measured_bytes", "pool", "tiered", "load_delay", "token_delay", "fail_load", "fail_unload", "fail_on", "api_key");
  }

  @Override
  public ModelAdapter create(ModelSpec spec) {
    long bytes = spec.optionBytes("bytes").orElse(1000);
    if (bytes < 0) {
      throw spec.optionError("bytes", "must not be negative, got " + bytes);
    }
    return new EchoAdapter(
        spec.ref(),
        bytes,
        spec.optionBytes("measured_bytes").orElse(bytes),
        spec.optionString("pool").orElse(io.modelmux.spi.Footprint.HOST),
        spec.optionBoolean("tiered").orElse(false),
        spec.optionDuration("load_delay").orElse(java.time.Duration.ZERO),
        spec.optionDuration("token_delay").orElse(java.time.Duration.ZERO),
        spec.optionBoolean("fail_load").orElse(false),
        spec.optionBoolean("fail_unload").orElse(false),
        spec.optionString("fail_on").orElse(DEFAULT_FAIL_WORD),
        spec.optionString("api_key").orElse(""));
  }
}
