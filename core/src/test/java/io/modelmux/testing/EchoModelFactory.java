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
 * <p>Options: {@code bytes} (footprint, default 1000), {@code token_delay} (a duration the
 * simulated backend takes per word, default 0), {@code fail_load} (load throws
 * {@link io.modelmux.ModelLoadException}), {@code fail_on} (a prompt word that makes the request
 * fail with a retryable {@link io.modelmux.BackendException}).
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
    return Set.of("bytes", "token_delay", "fail_load", "fail_on");
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
        spec.optionDuration("token_delay").orElse(java.time.Duration.ZERO),
        spec.optionBoolean("fail_load").orElse(false),
        spec.optionString("fail_on").orElse(DEFAULT_FAIL_WORD));
  }
}
