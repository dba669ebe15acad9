package io.modelmux.internal.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class QuantitiesTest {

  // ---- sizes ------------------------------------------------------------------------------

  @ParameterizedTest(name = "{0} is {1} bytes")
  @CsvSource({
    "0, 0",
    "1024, 1024",
    "' 7 ', 7",
    "1B, 1",
    "1KB, 1000",
    "1KiB, 1024",
    "1kb, 1000",
    "1kib, 1024",
    "512MB, 512000000",
    "512MiB, 536870912",
    "2GB, 2000000000",
    "2GiB, 2147483648",
    "'2 GiB', 2147483648",
    "1TB, 1000000000000",
    "1TiB, 1099511627776",
    "8PB, 8000000000000000",
    "1PiB, 1125899906842624",
    "1.5KB, 1500",
    "0.5GiB, 536870912",
  })
  void should_parse_sizes_with_decimal_and_binary_units(String text, long bytes) {
    assertThat(Quantities.parseBytes(text)).isEqualTo(bytes);
  }

  @Test
  void should_tell_kilobytes_from_kibibytes() {
    assertThat(Quantities.parseBytes("4KiB") - Quantities.parseBytes("4KB")).isEqualTo(96);
  }

  @Test
  void should_reject_a_fraction_of_a_byte() {
    assertThatThrownBy(() -> Quantities.parseBytes("1.5"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage(
            "'1.5' is a fraction of a byte: expected bytes as a number, or with a unit such as"
                + " 512MB, 2GiB");
    assertThatThrownBy(() -> Quantities.parseBytes("1.5B"))
        .hasMessageContaining("'1.5B' is a fraction of a byte");
  }

  @ParameterizedTest
  @ValueSource(strings = {"2G", "512M", "2Gi", "-1", "1e3", "", "lots", "GiB", "2 GiB extra"})
  void should_reject_text_that_is_not_a_size(String text) {
    assertThatThrownBy(() -> Quantities.parseBytes(text))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("'" + text + "' is not a size: expected " + Quantities.SIZE_FORMS);
  }

  @Test
  void should_reject_an_unknown_unit() {
    assertThatThrownBy(() -> Quantities.parseBytes("1ib"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("'1ib' has an unknown unit 'ib'");
  }

  @ParameterizedTest
  @ValueSource(strings = {"10000PB", "99999999999999999999", "9223372036854775807"})
  void should_reject_a_size_too_large_for_a_long(String text) {
    assertThatThrownBy(() -> Quantities.parseBytes(text))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("'" + text + "' is too large");
  }

  // ---- percentages ------------------------------------------------------------------------

  @ParameterizedTest(name = "{0} is {1}")
  @CsvSource({"80%, 0.8", "100%, 1.0", "0.5%, 0.005", "' 80 % ', 0.8"})
  void should_parse_percentages_into_fractions(String text, double fraction) {
    assertThat(Quantities.isPercent(text)).isTrue();
    assertThat(Quantities.parsePercent(text)).isEqualTo(fraction);
  }

  @ParameterizedTest
  @ValueSource(strings = {"0%", "150%", "-5%"})
  void should_reject_percentages_out_of_range(String text) {
    assertThatThrownBy(() -> Quantities.parsePercent(text))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("'" + text + "' must be more than 0% and at most 100%");
  }

  @ParameterizedTest
  @ValueSource(strings = {"abc%", "80", "%"})
  void should_reject_text_that_is_not_a_percentage(String text) {
    assertThatThrownBy(() -> Quantities.parsePercent(text))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("'" + text + "' is not a percentage such as 80%");
  }

  @Test
  void should_tell_percentages_from_sizes() {
    assertThat(Quantities.isPercent("80%")).isTrue();
    assertThat(Quantities.isPercent("2GiB")).isFalse();
  }

  // ---- durations ----------------------------------------------------------------------------

  @ParameterizedTest(name = "{0} is {1}")
  @CsvSource({
    "500ms, PT0.5S",
    "5MS, PT0.005S",
    "30s, PT30S",
    "5m, PT5M",
    "5M, PT5M",
    "2h, PT2H",
    "1d, PT24H",
    "1.5h, PT1H30M",
    "1h30m, PT1H30M",
    "1m30s, PT1M30S",
    "1d2h3m4s5ms, PT26H3M4.005S",
    "PT5M, PT5M",
    "pt5m, PT5M",
    "P1D, PT24H",
    "90, PT1M30S",
    "0, PT0S",
    "' 30s ', PT30S",
  })
  void should_parse_durations(String text, Duration expected) {
    assertThat(Quantities.parseDuration(text)).isEqualTo(expected);
  }

  @Test
  void should_read_minus_one_as_forever() {
    assertThat(Quantities.parseDuration("-1")).isNegative();
  }

  @ParameterizedTest
  @ValueSource(strings = {"soon", "5x", "5 m", "m5", "5m garbage", "-5m", "1.5", "PTxyz", "P1"})
  void should_reject_text_that_is_not_a_duration(String text) {
    assertThatThrownBy(() -> Quantities.parseDuration(text))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("'" + text + "' is not a duration: expected " + Quantities.DURATION_FORMS);
  }

  @Test
  void should_reject_an_empty_duration() {
    assertThatThrownBy(() -> Quantities.parseDuration("  "))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("an empty value is not a duration: expected " + Quantities.DURATION_FORMS);
  }
}
