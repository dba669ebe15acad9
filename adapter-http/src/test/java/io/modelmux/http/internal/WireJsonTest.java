package io.modelmux.http.internal;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.modelmux.spi.Secrets;
import java.io.IOException;
import java.util.List;
import org.junit.jupiter.api.Test;

class WireJsonTest {
  @Test
  void should_read_a_stream_error_field_as_an_object_a_string_or_plain_words() {
    JsonNode object = WireJson.parseOrText("{\"code\":500,\"message\":\"slot unavailable\"}");
    assertThat(object.path("message").asText()).isEqualTo("slot unavailable");
    assertThat(WireJson.parseOrText("\"quoted words\"").asText()).isEqualTo("quoted words");
    assertThat(WireJson.parseOrText("slot unavailable").asText()).isEqualTo("slot unavailable");
    assertThat(WireJson.parseOrText("503").isTextual()).isTrue();
    assertThat(WireJson.parseOrText("503").asText()).isEqualTo("503");
    assertThat(WireJson.parseOrText("").asText()).isEmpty();
  }

  @Test
  void should_say_where_a_body_stops_being_json_with_the_secrets_blanked() {
    IOException e = null;
    try {
      WireJson.MAPPER.readTree("{\"a\": sk0secret0value0123}".getBytes(java.nio.charset.StandardCharsets.UTF_8));
    } catch (IOException x) {
      e = x;
    }
    assertThat(e).isNotNull();
    assertThat(WireJson.problem(e, Secrets.none())).isEqualTo("Unrecognized token 'sk0secret0value0123' at byte 26");
    assertThat(WireJson.problem(e, Secrets.of(List.of("sk0secret0value0123"))))
        .isEqualTo("Unrecognized token '(secret hidden)' at byte 26");
  }
}
