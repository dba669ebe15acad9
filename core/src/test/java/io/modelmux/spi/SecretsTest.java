package io.modelmux.spi;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

class SecretsTest {
  private static final String KEY = "sk-live-0123456789";

  @Test
  void should_blank_every_occurrence() {
    Secrets secrets = Secrets.of(List.of(KEY));

    assertThat(secrets.redact("Bearer " + KEY + ", again " + KEY)).isEqualTo("Bearer (secret hidden), again (secret hidden)");
    assertThat(secrets.appearIn("x" + KEY)).isTrue();
    assertThat(secrets.appearIn("nothing here")).isFalse();
  }

  @Test
  void should_strip_values_and_leave_out_blank_and_short_ones() {
    Secrets secrets = Secrets.of(Arrays.asList("  " + KEY + "\n", "", " ", "abc", null));

    assertThat(secrets.redact(KEY + " abc")).isEqualTo("(secret hidden) abc");
    assertThat(secrets.toString()).isEqualTo("Secrets[1 hidden]");
    assertThat(Secrets.none().isEmpty()).isTrue();
    assertThat(Secrets.none().and((String) null)).isSameAs(Secrets.none());
  }

  @Test
  void should_blank_a_secret_that_contains_another_whole() {
    Secrets secrets = Secrets.of(List.of("abcd", "abcdefgh"));

    assertThat(secrets.redact("abcdefgh")).isEqualTo("(secret hidden)");
  }

  @Test
  void should_keep_an_exception_without_secrets_as_it_is() {
    IOException clean = new IOException("connection reset");

    assertThat(Secrets.of(List.of(KEY)).scrub(clean)).isSameAs(clean);
  }

  @Test
  void should_copy_a_chain_of_causes_that_holds_a_secret_with_every_message_redacted() {
    IllegalArgumentException root = new IllegalArgumentException("invalid header value: \"Bearer " + KEY + "\n\"");
    IOException top = new IOException("request failed", root);
    top.addSuppressed(new IllegalStateException("also " + KEY));

    Throwable scrubbed = Secrets.of(List.of(KEY)).scrub(top);

    StringWriter trace = new StringWriter();
    scrubbed.printStackTrace(new PrintWriter(trace));
    assertThat(trace.toString())
        .doesNotContain(KEY)
        .contains("java.io.IOException: request failed")
        .contains("java.lang.IllegalArgumentException: invalid header value")
        .contains("java.lang.IllegalStateException: also (secret hidden)");
    assertThat(scrubbed.getStackTrace()).isEqualTo(top.getStackTrace());
    assertThat(scrubbed.getCause().getStackTrace()).isEqualTo(root.getStackTrace());
  }
}
