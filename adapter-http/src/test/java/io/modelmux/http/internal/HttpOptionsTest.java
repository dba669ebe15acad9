package io.modelmux.http.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.modelmux.ConfigException;
import io.modelmux.spi.ModelSpec;
import java.net.URI;
import java.net.http.HttpClient;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

class HttpOptionsTest {
  private static ModelSpec.Builder spec() {
    return ModelSpec.builder("m", "openai");
  }

  @Test
  void should_ask_for_http_2_on_https_and_http_1_1_on_cleartext_http() {
    assertThat(HttpOptions.defaultVersion(URI.create("https://api.example.com/v1"))).isEqualTo(HttpClient.Version.HTTP_2);
    assertThat(HttpOptions.defaultVersion(URI.create("HTTPS://api.example.com/v1"))).isEqualTo(HttpClient.Version.HTTP_2);
    assertThat(HttpOptions.defaultVersion(URI.create("http://localhost:8000/v1"))).isEqualTo(HttpClient.Version.HTTP_1_1);
  }

  @Test
  void should_read_the_defaults_and_the_options() {
    HttpOptions defaults = HttpOptions.from(spec().build());
    HttpOptions set =
        HttpOptions.from(
            spec().option("connect_timeout", "1s").option("first_byte_timeout", "2s").option("idle_timeout", "3s")
                .option("total_timeout", "4m").option("max_response_size", "2MiB").build());

    assertThat(defaults).isEqualTo(new HttpOptions(Duration.ofSeconds(10), Duration.ofSeconds(60), Duration.ofSeconds(60), Duration.ofMinutes(10), 32L << 20));
    assertThat(set).isEqualTo(new HttpOptions(Duration.ofSeconds(1), Duration.ofSeconds(2), Duration.ofSeconds(3), Duration.ofMinutes(4), 2L << 20));
    assertThatThrownBy(() -> HttpOptions.from(spec().option("total_timeout", "0s").build())).isInstanceOf(ConfigException.class).hasMessageContaining("must be positive");
    assertThatThrownBy(() -> HttpOptions.from(spec().option("max_response_size", "10").build())).hasMessageContaining("between 1KiB and 1GiB");
  }

  @Test
  void should_keep_the_order_of_headers_and_strip_their_values() {
    Map<String, String> headers = HttpOptions.headers(spec().option("headers", Map.of("X-A", " a \n")).build(), "headers");

    assertThat(headers).containsExactly(Map.entry("X-A", "a"));
  }

  @Test
  void should_refuse_a_header_given_twice_in_different_case() {
    java.util.LinkedHashMap<String, Object> twice = new java.util.LinkedHashMap<>();
    twice.put("X-Team", "a");
    twice.put("x-team", "b");

    assertThatThrownBy(() -> HttpOptions.headers(spec().option("headers", twice).build(), "headers"))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("twice");
  }
}
