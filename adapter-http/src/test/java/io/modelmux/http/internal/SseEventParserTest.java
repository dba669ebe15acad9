package io.modelmux.http.internal;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.entry;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

class SseEventParserTest {

  private static final ObjectMapper JSON = new ObjectMapper();

  static Stream<String> sseFixtures() {
    return Stream.of(
        "openai/chat_stream_openai_error_midstream.sse",
        "openai/chat_stream_openai_finish_length.sse",
        "openai/chat_stream_openai_text_usage.sse",
        "openai/chat_stream_openai_tool_calls.sse",
        "openai/completion_stream_openai.sse",
        "openai/llamacpp_chat_stream.sse",
        "openai/llamacpp_stream_error_current.sse",
        "openai/ollama_chat_stream.sse",
        "openai/tgi_chat_stream.sse",
        "openai/tgi_stream_error_midstream_legacy.sse",
        "openai/vllm_chat_stream_error_midstream.sse",
        "gemini/stream_generate_content.sse");
  }

  // ---- fixtures --------------------------------------------------------------------------

  @ParameterizedTest(name = "{0}")
  @MethodSource("sseFixtures")
  void should_give_the_same_events_fed_at_once_byte_by_byte_or_in_random_chunks(String fixture) {
    byte[] body = fixture(fixture);

    List<SseEvent> atOnce = parseInChunks(body, new int[] {body.length});
    List<SseEvent> byteByByte = parseInChunks(body, chunksOf(body.length, 1));
    List<SseEvent> randomChunks = parseInChunks(body, randomChunks(body.length, 42L));

    assertThat(atOnce).isNotEmpty();
    assertThat(byteByByte).isEqualTo(atOnce);
    assertThat(randomChunks).isEqualTo(atOnce);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("sseFixtures")
  void should_read_every_fixture_as_data_events_each_json_or_done(String fixture) {
    byte[] body = fixture(fixture);
    SseEventParser parser = new SseEventParser();

    List<SseEvent> events = parser.feed(body, 0, body.length);

    assertThat(parser.finish()).as("every fixture ends with its blank line").isEmpty();
    assertThat(parser.bytesRead()).isEqualTo(body.length);
    assertThat(events)
        .allSatisfy(
            e -> {
              assertThat(e.event()).isNull();
              assertThat(e.id()).isNull();
              assertThat(e.otherFields()).isEmpty();
              assertThat(e.hasData()).isTrue();
              if (!e.isDone()) {
                assertThat(parseJson(e.data()).isObject()).isTrue();
              }
            });
    assertThat(events.stream().filter(SseEvent::isDone).count()).isLessThanOrEqualTo(1);
  }

  @Test
  void should_read_the_recorded_openai_stream_with_usage_chunk_and_done() {
    List<SseEvent> events = parseInChunks(fixture("openai/chat_stream_openai_text_usage.sse"));

    assertThat(events).hasSize(34);
    assertThat(events.get(events.size() - 1).isDone()).isTrue();
    assertThat(events.subList(0, events.size() - 1)).noneMatch(SseEvent::isDone);
    SseEvent usageChunk = events.get(events.size() - 2);
    JsonNode usage = parseJson(usageChunk.data());
    assertThat(usage.get("choices").isEmpty()).isTrue();
    assertThat(usage.get("usage").get("prompt_tokens").asInt()).isEqualTo(14);
    assertThat(usage.get("usage").get("completion_tokens").asInt()).isEqualTo(30);
    assertThat(usage.get("usage").get("total_tokens").asInt()).isEqualTo(44);
    assertThat(events).filteredOn(e -> e.data().contains("\"usage\"")).containsExactly(usageChunk);
  }

  @Test
  void should_read_the_tgi_legacy_error_as_a_data_event_with_a_string_error() {
    List<SseEvent> events = parseInChunks(fixture("openai/tgi_stream_error_midstream_legacy.sse"));

    assertThat(events).hasSize(2);
    assertThat(events).noneMatch(SseEvent::isDone);
    SseEvent error = events.get(1);
    assertThat(error.data())
        .startsWith("{\"error\":\"Input validation error: `inputs` tokens + `max_new_tokens`")
        .contains("\"error_type\":\"validation\"");
    assertThat(error.otherFields()).isEmpty();
  }

  @Test
  void should_read_the_vllm_midstream_error_as_a_data_event_followed_by_done() {
    List<SseEvent> events = parseInChunks(fixture("openai/vllm_chat_stream_error_midstream.sse"));

    assertThat(events).hasSize(3);
    assertThat(events.get(1).data())
        .startsWith("{\"error\": {")
        .contains("\"message\": \"Internal server error\"", "\"code\": 500");
    assertThat(events.get(2).isDone()).isTrue();
  }

  @Test
  void should_read_the_gemini_stream_whose_lines_end_with_crlf() {
    byte[] body = fixture("gemini/stream_generate_content.sse");
    assertThat(new String(body, UTF_8)).contains("}\r\n\r\ndata: ");

    List<SseEvent> events = parseInChunks(body);

    assertThat(events).hasSize(3);
    assertThat(events)
        .allSatisfy(
            e -> {
              assertThat(e.data())
                  .startsWith("{\"candidates\":")
                  .endsWith("}")
                  .doesNotContain("\r");
              assertThat(parseJson(e.data()).get("usageMetadata").isObject()).isTrue();
            });
    assertThat(events.get(1).data()).contains("wavelength \u2013 red");
    assertThat(parseInChunks(withLineEnds(body, "\n"))).isEqualTo(events);
  }

  @Test
  void should_keep_a_non_sse_body_in_other_fields_of_the_event_returned_by_finish() {
    // Gemini answered this 404 with Content-Type text/event-stream but a pretty-printed JSON body.
    byte[] body = fixture("gemini/error_404_not_found.json");
    SseEventParser parser = new SseEventParser();

    assertThat(parser.feed(body, 0, body.length)).isEmpty();
    List<SseEvent> last = parser.finish();

    assertThat(last).hasSize(1);
    SseEvent event = last.get(0);
    assertThat(event.hasData()).isFalse();
    assertThat(event.otherFields())
        .contains(entry("{", ""), entry("  \"error\"", "{"), entry("    \"code\"", "404,"))
        .containsKey("    \"message\"");
  }

  // ---- line ends --------------------------------------------------------------------------

  @ParameterizedTest(name = "line end {0}")
  @ValueSource(strings = {"\r\n", "\r"})
  void should_read_crlf_and_cr_line_ends_as_lf(String lineEnd) {
    byte[] lf = fixture("openai/chat_stream_openai_text_usage.sse");
    String mixed = "event: a\nid: 1\ndata: x\n: comment\ndata: y\nerror: e\n\n\ndata: [DONE]\n\n";

    assertThat(parseInChunks(withLineEnds(lf, lineEnd))).isEqualTo(parseInChunks(lf));
    assertThat(parseInChunks(withLineEnds(mixed.getBytes(UTF_8), lineEnd)))
        .isEqualTo(parseInChunks(mixed.getBytes(UTF_8)))
        .hasSize(2);
  }

  @Test
  void should_accept_mixed_line_ends_in_one_stream() {
    List<SseEvent> events = parse("data: a\r\ndata: b\rdata: c\n\r\ndata: d\r\r");

    assertThat(events).extracting(SseEvent::data).containsExactly("a\nb\nc", "d");
  }

  @Test
  void should_read_a_crlf_split_between_two_feeds_as_one_line_end() {
    SseEventParser parser = new SseEventParser();

    assertThat(feed(parser, "data: a\r")).isEmpty();
    assertThat(feed(parser, "\ndata: b\r")).isEmpty();
    assertThat(feed(parser, "")).isEmpty();
    assertThat(feed(parser, "\n\r")).extracting(SseEvent::data).containsExactly("a\nb");
    assertThat(feed(parser, "\n")).isEmpty();
    assertThat(parser.finish()).isEmpty();
  }

  @Test
  void should_read_two_crs_as_two_line_ends_even_across_feeds() {
    SseEventParser parser = new SseEventParser();

    assertThat(feed(parser, "data: a\r")).isEmpty();
    assertThat(feed(parser, "\r")).extracting(SseEvent::data).containsExactly("a");
  }

  // ---- fields ------------------------------------------------------------------------------

  @Test
  void should_ignore_comment_lines_such_as_keep_alive_pings() {
    assertThat(parse(": ping\n\n:\n\n: ping\r\n\r\n")).isEmpty();
    assertThat(parse(": ping\ndata: a\n: ping - 2025-01-01 00:00:00\ndata: b\n\n"))
        .extracting(SseEvent::data)
        .containsExactly("a\nb");
  }

  @Test
  void should_join_multi_line_data_with_newlines() {
    List<SseEvent> events = parse("data: {\"a\":\ndata:  1}\ndata\ndata:\ndata: end\n\n");

    assertThat(events).extracting(SseEvent::data).containsExactly("{\"a\":\n 1}\n\n\nend");
  }

  @Test
  void should_strip_only_one_space_after_the_colon() {
    assertThat(parse("data:x\n\ndata: x\n\ndata:  x\n\ndata:\tx\n\ndata: a: b\n\n"))
        .extracting(SseEvent::data)
        .containsExactly("x", "x", " x", "\tx", "a: b");
  }

  @Test
  void should_give_empty_data_for_a_bare_data_line() {
    List<SseEvent> events = parse("data\n\ndata:\n\n");

    assertThat(events).extracting(SseEvent::data).containsExactly("", "");
    assertThat(events).allMatch(SseEvent::hasData).noneMatch(SseEvent::isDone);
  }

  @Test
  void should_recognise_done_only_when_exact() {
    assertThat(parse("data: [DONE]\n\ndata:[DONE]\n\ndata:  [DONE]\n\ndata: [DONE] \n\n"))
        .extracting(SseEvent::isDone)
        .containsExactly(true, true, false, false);
  }

  @Test
  void should_read_event_name_and_id() {
    List<SseEvent> events = parse("event: message_start\nid: 7\ndata: {}\n\ndata: {}\n\n");

    assertThat(events)
        .containsExactly(
            new SseEvent("message_start", "{}", "7", Map.of()),
            new SseEvent(null, "{}", null, Map.of()));
  }

  @Test
  void should_dispatch_an_event_with_a_name_but_no_data() {
    assertThat(parse("event: ping\n\n"))
        .containsExactly(new SseEvent("ping", null, null, Map.of()));
  }

  @Test
  void should_ignore_retry_and_dispatch_nothing_for_retry_or_id_alone() {
    assertThat(parse("retry: 3000\n\nid: 5\n\n")).isEmpty();
    assertThat(parse("retry: 3000\ndata: x\n\n"))
        .containsExactly(new SseEvent(null, "x", null, Map.of()));
  }

  @Test
  void should_put_an_error_field_line_in_other_fields() {
    // Older llama.cpp sent a stream error as its own field: "error: {...}".
    String error = "{\"code\":500,\"message\":\"Failed to parse input\",\"type\":\"server_error\"}";

    List<SseEvent> events = parse("error: " + error + "\n\n");

    assertThat(events).hasSize(1);
    assertThat(events.get(0).hasData()).isFalse();
    assertThat(events.get(0).otherFields()).containsExactly(entry("error", error));
  }

  @Test
  void should_join_repeated_other_fields_in_order_first_seen() {
    List<SseEvent> events = parse("b: 1\na: 2\nb: 3\nlonely\ndata: d\n\n");

    assertThat(events).hasSize(1);
    assertThat(events.get(0).data()).isEqualTo("d");
    assertThat(events.get(0).otherFields())
        .containsExactly(entry("b", "1\n3"), entry("a", "2"), entry("lonely", ""));
  }

  @Test
  void should_dispatch_nothing_for_empty_blocks() {
    assertThat(parse("\n\n\r\n\r\r\n\n")).isEmpty();
    assertThat(parse("\n\ndata: a\n\n\n\n\ndata: b\n\n\n"))
        .extracting(SseEvent::data)
        .containsExactly("a", "b");
  }

  @Test
  void should_return_several_events_of_one_feed_in_order() {
    assertThat(parse("data: 1\n\ndata: 2\n\ndata: 3\n\n"))
        .extracting(SseEvent::data)
        .containsExactly("1", "2", "3");
  }

  // ---- end of stream --------------------------------------------------------------------------

  @Test
  void should_return_from_finish_a_last_event_without_its_blank_line() {
    SseEventParser parser = new SseEventParser();

    assertThat(feed(parser, "data: a\n\ndata: b\n"))
        .extracting(SseEvent::data)
        .containsExactly("a");
    assertThat(parser.finish()).extracting(SseEvent::data).containsExactly("b");
    assertThat(parser.finish()).isEmpty();
  }

  @Test
  void should_read_a_half_line_at_the_end_as_part_of_the_last_event() {
    SseEventParser parser = new SseEventParser();

    assertThat(feed(parser, "data: a\n\ndata: b\ndata: c"))
        .extracting(SseEvent::data)
        .containsExactly("a");
    assertThat(parser.finish()).extracting(SseEvent::data).containsExactly("b\nc");
  }

  @Test
  void should_return_nothing_from_finish_after_a_complete_event_or_a_half_comment() {
    SseEventParser complete = new SseEventParser();
    feed(complete, "data: a\n\n");
    SseEventParser halfComment = new SseEventParser();
    feed(halfComment, ": pi");

    assertThat(complete.finish()).isEmpty();
    assertThat(halfComment.finish()).isEmpty();
    assertThat(new SseEventParser().finish()).isEmpty();
  }

  @Test
  void should_refuse_bytes_after_finish() {
    SseEventParser parser = new SseEventParser();
    parser.finish();

    assertThatThrownBy(() -> feed(parser, "data: a\n\n"))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("finish()");
  }

  // ---- bytes and characters -----------------------------------------------------------------

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"é", "😀", "日本語", "caf\u00e9 \uD83D\uDE00 日本語 ok", "é😀"})
  void should_keep_a_multi_byte_character_split_at_any_byte(String text) {
    byte[] body =
        ("data: " + text + "\nevent: " + text + "\n" + text + ": " + text + "\n\n").getBytes(UTF_8);
    SseEvent expected = new SseEvent(text, text, null, Map.of(text, text));

    for (int split = 0; split <= body.length; split++) {
      assertThat(parseInChunks(body, new int[] {split, body.length - split}))
          .as("split at byte %d", split)
          .containsExactly(expected);
    }
    for (int first = 0; first < body.length; first++) {
      for (int second = first; second <= body.length; second++) {
        assertThat(parseInChunks(body, new int[] {first, second - first, body.length - second}))
            .as("split at bytes %d and %d", first, second)
            .containsExactly(expected);
      }
    }
    assertThat(parseInChunks(body, chunksOf(body.length, 1))).containsExactly(expected);
  }

  @Test
  void should_replace_malformed_utf8_instead_of_failing() {
    byte[] body = {'d', 'a', 't', 'a', ':', ' ', (byte) 0xC3, '\n', '\n'};

    assertThat(parseInChunks(body)).extracting(SseEvent::data).containsExactly("\uFFFD");
  }

  @Test
  void should_skip_a_byte_order_mark_at_the_very_start_even_split_across_feeds() {
    byte[] body = bytes("\uFEFFdata: a\n\n");
    assertThat(body).startsWith(0xEF, 0xBB, 0xBF);

    for (int split = 0; split <= body.length; split++) {
      assertThat(parseInChunks(body, new int[] {split, body.length - split}))
          .as("split at byte %d", split)
          .containsExactly(new SseEvent(null, "a", null, Map.of()));
    }
    assertThat(parse("\uFEFF\n\uFEFFdata: a\n\n"))
        .as("only the first one is a byte order mark")
        .containsExactly(new SseEvent(null, null, null, Map.of("\uFEFFdata", "a")));
    assertThat(parse("\uFEFF:comment\ndata: a\n\n"))
        .extracting(SseEvent::data)
        .containsExactly("a");
  }

  @Test
  void should_read_a_one_megabyte_data_line() {
    char[] filler = new char[1 << 20];
    Arrays.fill(filler, 'x');
    String big = new String(filler);
    byte[] body = bytes(": ping\ndata: " + big + "\n\ndata: [DONE]\n\n");

    List<SseEvent> atOnce = parseInChunks(body);
    List<SseEvent> inSmallChunks = parseInChunks(body, chunksOf(body.length, 8192 + 7));

    assertThat(atOnce).hasSize(2);
    assertThat(atOnce.get(0).data()).hasSize(1 << 20).isEqualTo(big);
    assertThat(atOnce.get(1).isDone()).isTrue();
    assertThat(inSmallChunks).isEqualTo(atOnce);
  }

  @Test
  void should_read_only_the_given_slice_and_count_the_bytes() {
    byte[] buffer = bytes("garbage\n\ndata: a\n\ngarbage");
    SseEventParser parser = new SseEventParser();

    List<SseEvent> events = parser.feed(buffer, 9, 9);

    assertThat(events).containsExactly(new SseEvent(null, "a", null, Map.of()));
    assertThat(parser.bytesRead()).isEqualTo(9);
    parser.feed(buffer, 0, 0);
    assertThat(parser.bytesRead()).isEqualTo(9);
  }

  @Test
  void should_reject_a_slice_outside_the_array() {
    SseEventParser parser = new SseEventParser();
    byte[] buffer = new byte[4];

    assertThatThrownBy(() -> parser.feed(buffer, 3, 2))
        .isInstanceOf(IndexOutOfBoundsException.class);
    assertThatThrownBy(() -> parser.feed(buffer, -1, 1))
        .isInstanceOf(IndexOutOfBoundsException.class);
    assertThatThrownBy(() -> parser.feed(null, 0, 0))
        .isInstanceOf(NullPointerException.class)
        .hasMessage("bytes");
  }

  @Test
  void should_give_events_whose_other_fields_cannot_be_changed() {
    SseEvent event = parse("error: x\n\n").get(0);

    assertThatThrownBy(() -> event.otherFields().put("y", "z"))
        .isInstanceOf(UnsupportedOperationException.class);
  }

  // ---- helpers -------------------------------------------------------------------------------

  private static List<SseEvent> parse(String body) {
    return parseInChunks(bytes(body));
  }

  private static List<SseEvent> parseInChunks(byte[] body) {
    return parseInChunks(body, new int[] {body.length});
  }

  /** Feeds {@code body} in chunks of the given sizes (summing to its length), then finishes. */
  private static List<SseEvent> parseInChunks(byte[] body, int[] chunkSizes) {
    SseEventParser parser = new SseEventParser();
    List<SseEvent> events = new ArrayList<>();
    int offset = 0;
    for (int size : chunkSizes) {
      events.addAll(parser.feed(body, offset, size));
      offset += size;
    }
    assertThat(offset).isEqualTo(body.length);
    events.addAll(parser.finish());
    assertThat(parser.bytesRead()).isEqualTo(body.length);
    return events;
  }

  private static List<SseEvent> feed(SseEventParser parser, String text) {
    byte[] b = bytes(text);
    return parser.feed(b, 0, b.length);
  }

  private static int[] chunksOf(int total, int size) {
    int[] sizes = new int[(total + size - 1) / size];
    for (int i = 0; i < sizes.length; i++) {
      sizes[i] = Math.min(size, total - i * size);
    }
    return sizes;
  }

  private static int[] randomChunks(int total, long seed) {
    Random random = new Random(seed);
    List<Integer> sizes = new ArrayList<>();
    for (int left = total; left > 0; ) {
      int size = Math.min(left, random.nextInt(100)); // 0 included: an empty read is legal
      sizes.add(size);
      left -= size;
    }
    return sizes.stream().mapToInt(Integer::intValue).toArray();
  }

  /** Returns {@code body} with every LF replaced by {@code lineEnd}. */
  private static byte[] withLineEnds(byte[] body, String lineEnd) {
    String text = new String(body, UTF_8).replace("\r\n", "\n");
    return bytes(text.replace("\n", lineEnd));
  }

  private static byte[] bytes(String text) {
    return text.getBytes(UTF_8);
  }

  private static byte[] fixture(String name) {
    try (InputStream in = SseEventParserTest.class.getResourceAsStream("/fixtures/" + name)) {
      assertThat(in).as("fixture %s", name).isNotNull();
      return in.readAllBytes();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static JsonNode parseJson(String json) {
    try {
      return JSON.readTree(json);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
