package io.modelmux.http.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class RetryAfterTest {
  @ParameterizedTest
  @CsvSource({"'7', , 7000", "'1.5', , 1500", "'0', , 0", "'7', '18642', 18642", "'7', 'soon', 7000", ", '250', 250"})
  void should_read_seconds_and_prefer_milliseconds(String header, String millis, long expected) {
    assertThat(RetryAfter.parse(header, millis)).isEqualTo(Duration.ofMillis(expected));
  }

  @Test
  void should_read_an_http_date_as_the_time_until_it() {
    String in30s = DateTimeFormatter.RFC_1123_DATE_TIME.format(ZonedDateTime.now(ZoneOffset.UTC).plusSeconds(30));
    assertThat(RetryAfter.parse(in30s, null)).isBetween(Duration.ofSeconds(28), Duration.ofSeconds(30));
    String past = DateTimeFormatter.RFC_1123_DATE_TIME.format(ZonedDateTime.now(ZoneOffset.UTC).minusSeconds(30));
    assertThat(RetryAfter.parse(past, null)).isEqualTo(Duration.ZERO);
  }

  @ParameterizedTest
  @ValueSource(strings = {"-5", "NaN", "Infinity", "soon", " ", "1e400"})
  void should_ignore_what_is_not_a_wait(String header) {
    assertThat(RetryAfter.parse(header, null)).isNull();
  }

  @Test
  void should_cap_an_absurd_wait_at_a_day() {
    assertThat(RetryAfter.parse("99999999999", null)).isEqualTo(Duration.ofDays(1));
  }
}
