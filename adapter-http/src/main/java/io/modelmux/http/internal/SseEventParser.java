package io.modelmux.http.internal;

import static java.nio.charset.StandardCharsets.US_ASCII;
import static java.nio.charset.StandardCharsets.UTF_8;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * Parses a {@code text/event-stream} body into {@link SseEvent}s, as bytes arrive.
 *
 * <p>Follows the WHATWG HTML "Server-sent events" parsing rules, with what real servers need: lines
 * end with CRLF, LF or CR (also when a CRLF is split between two {@link #feed} calls); lines
 * starting with {@code :} are comments; one space after a field's colon is stripped; {@code data}
 * lines are joined with {@code "\n"}; {@code retry} is ignored; any other field goes to {@link
 * SseEvent#otherFields()} instead of being dropped, so that older llama.cpp's {@code error:} lines
 * and bodies that are not SSE at all stay visible; a blank line dispatches the event if it has
 * data, an event name or another field. Each line is decoded as UTF-8 once it is complete, so a
 * character split between {@link #feed} calls stays intact; a UTF-8 byte order mark at the very
 * start is skipped.
 *
 * <p>Where it departs from a browser, on purpose: a block with an event name or another field but
 * no data is dispatched (a browser drops it); {@link #finish()} returns an event the stream left
 * without its closing blank line (a browser drops it too); and {@link SseEvent#id()} is the id of
 * that event's own block (a browser carries the last id over to later events).
 *
 * <p>Not thread-safe: use one parser per stream, fed from one thread at a time.
 */
public final class SseEventParser {
  private static final int INITIAL_CAPACITY = 1024;
  private static final byte CR = '\r';
  private static final byte LF = '\n';
  private static final byte COLON = ':';
  private static final byte SPACE = ' ';
  private static final byte[] DATA = "data".getBytes(US_ASCII);
  private static final byte[] EVENT = "event".getBytes(US_ASCII);
  private static final byte[] ID = "id".getBytes(US_ASCII);
  private static final byte[] RETRY = "retry".getBytes(US_ASCII);
  private static final byte[] NO_BYTES = new byte[0];

  /** The start of a line whose end has not arrived yet; lines inside one chunk bypass it. */
  private byte[] line = new byte[INITIAL_CAPACITY];

  private int lineLength;

  /** The last byte fed was a CR, so an LF first in the next chunk is the same line end. */
  private boolean crPending;

  /** No line has been read yet, so the next one may begin with a byte order mark. */
  private boolean atStreamStart = true;

  private boolean finished;
  private long bytesRead;

  /** The most bytes one event (its lines, without line ends) or one pending line may hold. */
  private final long maxEventBytes;

  /** The bytes of the event being read so far. */
  private long eventBytes;

  // The event being read. Data stays in bytes (lines joined with LF) and is decoded once, at
  // dispatch; LF cannot occur inside a UTF-8 sequence, so this decodes exactly as line by line.
  private byte[] data = new byte[INITIAL_CAPACITY];
  private int dataLength = -1; // -1: no data line yet
  private @Nullable String event;
  private @Nullable String id;
  private @Nullable Map<String, String> otherFields;

  /** Creates a parser for one stream, without a limit on an event's size. */
  public SseEventParser() {
    this(Integer.MAX_VALUE - 8);
  }

  /**
   * Creates a parser for one stream whose events, and lines, may not pass {@code maxEventBytes}:
   * a server that sends an endless line or event makes {@link #feed} throw {@link
   * EventTooLargeException} instead of filling the heap.
   *
   * @param maxEventBytes positive
   */
  public SseEventParser(long maxEventBytes) {
    if (maxEventBytes <= 0) {
      throw new IllegalArgumentException("maxEventBytes must be positive, got " + maxEventBytes);
    }
    this.maxEventBytes = maxEventBytes;
  }

  /** An event or a line passed the parser's limit. */
  public static final class EventTooLargeException extends RuntimeException {
    private static final long serialVersionUID = 1L;
    private final long limit;

    EventTooLargeException(long limit) {
      super("a server-sent event passed " + limit + " bytes");
      this.limit = limit;
    }

    /** Returns the limit that was passed, in bytes. */
    public long limit() {
      return limit;
    }
  }

  /**
   * Feeds bytes as they arrive (any split: mid-line, mid-CRLF, mid UTF-8 character); returns the
   * events completed by them, in order (empty list if none).
   *
   * @throws IndexOutOfBoundsException if {@code offset} and {@code length} do not lie in {@code
   *     bytes}
   * @throws IllegalStateException if {@link #finish()} was called
   * @throws EventTooLargeException if an event or a line passes the limit given at construction
   */
  public List<SseEvent> feed(byte[] bytes, int offset, int length) {
    Objects.requireNonNull(bytes, "bytes");
    Objects.checkFromIndexSize(offset, length, bytes.length);
    if (finished) {
      throw new IllegalStateException("feed() after finish(): the stream has already ended");
    }
    bytesRead += length;
    int end = offset + length;
    int i = offset;
    if (crPending && i < end) {
      crPending = false;
      if (bytes[i] == LF) {
        i++;
      }
    }
    @Nullable List<SseEvent> events = null;
    int lineStart = i;
    while (i < end) {
      byte b = bytes[i];
      if (b != LF && b != CR) {
        i++;
        continue;
      }
      @Nullable SseEvent dispatched;
      if (lineLength == 0) {
        dispatched = readLine(bytes, lineStart, i - lineStart);
      } else {
        appendToLine(bytes, lineStart, i - lineStart);
        int buffered = lineLength;
        lineLength = 0;
        dispatched = readLine(line, 0, buffered);
      }
      if (dispatched != null) {
        if (events == null) {
          events = new ArrayList<>();
        }
        events.add(dispatched);
      }
      i++;
      if (b == CR) {
        if (i == end) {
          crPending = true;
        } else if (bytes[i] == LF) {
          i++;
        }
      }
      lineStart = i;
    }
    appendToLine(bytes, lineStart, end - lineStart);
    return events == null ? List.of() : Collections.unmodifiableList(events);
  }

  /**
   * At end of stream: returns the last event if the stream ended without the blank line that should
   * end it (and any half line as part of it); empty list otherwise. Idempotent.
   */
  public List<SseEvent> finish() {
    if (finished) {
      return List.of();
    }
    finished = true;
    crPending = false;
    if (lineLength > 0) {
      int length = lineLength;
      lineLength = 0;
      readLine(line, 0, length); // not blank, so it completes no event by itself
    }
    @Nullable SseEvent last = dispatch();
    line = NO_BYTES;
    data = NO_BYTES;
    return last == null ? List.of() : List.of(last);
  }

  /** Returns how many bytes were fed so far (for diagnostics). */
  public long bytesRead() {
    return bytesRead;
  }

  /** Reads one complete line, without its line end; returns the event a blank line completes. */
  private @Nullable SseEvent readLine(byte[] b, int off, int len) {
    if (atStreamStart) {
      atStreamStart = false;
      if (len >= 3
          && b[off] == (byte) 0xEF
          && b[off + 1] == (byte) 0xBB
          && b[off + 2] == (byte) 0xBF) {
        off += 3;
        len -= 3;
      }
    }
    if (len == 0) {
      return dispatch();
    }
    if (b[off] == COLON) {
      return null; // a comment, such as a ": ping" keep-alive
    }
    eventBytes += len;
    if (eventBytes > maxEventBytes) {
      throw new EventTooLargeException(maxEventBytes);
    }
    int end = off + len;
    int nameEnd = off;
    while (nameEnd < end && b[nameEnd] != COLON) {
      nameEnd++;
    }
    int valueStart = nameEnd;
    if (nameEnd < end) {
      valueStart++;
      if (valueStart < end && b[valueStart] == SPACE) {
        valueStart++;
      }
    }
    int nameLength = nameEnd - off;
    int valueLength = end - valueStart;
    if (is(DATA, b, off, nameLength)) {
      appendToData(b, valueStart, valueLength);
    } else if (is(EVENT, b, off, nameLength)) {
      event = new String(b, valueStart, valueLength, UTF_8);
    } else if (is(ID, b, off, nameLength)) {
      id = new String(b, valueStart, valueLength, UTF_8);
    } else if (!is(RETRY, b, off, nameLength)) {
      if (otherFields == null) {
        otherFields = new LinkedHashMap<>(4);
      }
      otherFields.merge(
          new String(b, off, nameLength, UTF_8),
          new String(b, valueStart, valueLength, UTF_8),
          (earlier, later) -> earlier + "\n" + later);
    }
    return null;
  }

  /** Ends the event being read: returns it, unless it is empty, and starts the next one. */
  private @Nullable SseEvent dispatch() {
    @Nullable SseEvent dispatched = null;
    if (dataLength >= 0 || event != null || otherFields != null) {
      @Nullable String text = dataLength < 0 ? null : new String(data, 0, dataLength, UTF_8);
      Map<String, String> others = otherFields == null ? Map.of() : otherFields;
      dispatched = new SseEvent(event, text, id, others);
    }
    dataLength = -1;
    eventBytes = 0;
    event = null;
    id = null;
    otherFields = null;
    return dispatched;
  }

  private void appendToLine(byte[] b, int off, int len) {
    if (len == 0) {
      return;
    }
    if ((long) lineLength + len > maxEventBytes) {
      throw new EventTooLargeException(maxEventBytes);
    }
    line = ensureCapacity(line, lineLength, len);
    System.arraycopy(b, off, line, lineLength, len);
    lineLength += len;
  }

  private void appendToData(byte[] b, int off, int len) {
    if (dataLength < 0) {
      dataLength = 0;
    } else {
      data = ensureCapacity(data, dataLength, 1);
      data[dataLength++] = LF;
    }
    data = ensureCapacity(data, dataLength, len);
    System.arraycopy(b, off, data, dataLength, len);
    dataLength += len;
  }

  private static byte[] ensureCapacity(byte[] buffer, int used, int more) {
    int needed = used + more;
    if (needed <= buffer.length) {
      return buffer;
    }
    if (needed < 0) {
      throw new IllegalStateException("SSE line or event longer than 2 GiB");
    }
    int grown = (int) Math.min(Integer.MAX_VALUE - 8, Math.max((long) buffer.length * 2, needed));
    return Arrays.copyOf(buffer, Math.max(grown, needed));
  }

  private static boolean is(byte[] name, byte[] b, int off, int len) {
    return len == name.length && Arrays.equals(name, 0, len, b, off, off + len);
  }
}
