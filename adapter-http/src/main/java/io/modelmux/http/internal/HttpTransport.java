package io.modelmux.http.internal;

import io.modelmux.BackendException;
import io.modelmux.BackendTimeoutException;
import io.modelmux.DeadlineExceededException;
import io.modelmux.ModelMuxException;
import io.modelmux.spi.MessageText;
import io.modelmux.spi.Secrets;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.PushbackInputStream;
import java.net.ConnectException;
import java.net.NoRouteToHostException;
import java.net.URI;
import java.net.UnknownHostException;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpHeaders;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.channels.UnresolvedAddressException;
import java.time.Duration;
import java.util.Arrays;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.zip.GZIPInputStream;
import java.util.zip.Inflater;
import java.util.zip.InflaterInputStream;
import java.util.zip.ZipException;
import javax.net.ssl.SSLException;
import org.jspecify.annotations.Nullable;

/**
 * What every HTTP adapter needs from {@code java.net.http}, in one place: one client per adapter
 * (started on load, dropped on unload) that never follows a redirect, and {@link Exchange}s
 * whose every timeout holds and whose every failure is a typed, bounded, secret-free exception.
 *
 * <ul>
 *   <li><b>Redirects</b> are not followed: a {@code 3xx} fails naming the status and the {@code
 *       Location}, so that a key or a configured header never reaches another host, port or
 *       scheme, and a POST never turns into a GET.
 *   <li><b>Timeouts</b>: {@code connect_timeout} bounds the connection and its TLS handshake; the
 *       wait for the response headers is bounded by {@code first_byte_timeout} for streams and by
 *       {@code total_timeout} otherwise; a watchdog closes the body when no byte came for {@code
 *       idle_timeout} or the exchange passed {@code total_timeout} counted from the send, which
 *       makes a blocked read fail and releases the connection.
 *   <li><b>Sizes</b>: a body read whole may not pass {@code max_response_size} (after decoding,
 *       so a compressed bomb cannot pass either); error bodies are read to 64 KiB.
 *   <li><b>Encodings</b>: the client asks for none; a body sent with {@code Content-Encoding:
 *       gzip} or {@code deflate} anyway is decoded, any other encoding refused with a message.
 *   <li><b>Messages</b> name the server and the cause ("connection refused", "unknown host",
 *       "TLS handshake failed: ..."), quote outside text through {@link MessageText}, and pass
 *       every library exception kept as a cause through {@link Secrets#scrub}.
 * </ul>
 *
 * <p>Thread-safe.
 */
public final class HttpTransport {
  /** How much of an error body is read. */
  public static final int ERROR_BODY_LIMIT = 64 * 1024;

  private final String modelId;
  private final HttpOptions options;
  private final Secrets secrets;
  private final Object lock = new Object();
  private volatile @Nullable HttpClient client; // written under lock
  private volatile @Nullable ScheduledExecutorService watchdog; // written under lock
  /** The exchanges whose bodies are open, checked by the watchdog's one periodic sweep. */
  private final Set<Exchange> open = ConcurrentHashMap.newKeySet();
  /** How often exchanges with a deadline are checked. */
  static final int DEADLINE_SWEEP_MS = 10;
  private volatile boolean deadlineSweep; // written under lock

  /**
   * @param modelId the model, for messages and thread names
   * @param options the timeouts and the response size limit
   * @param secrets the values never to show
   */
  public HttpTransport(String modelId, HttpOptions options, Secrets secrets) {
    this.modelId = modelId;
    this.options = options;
    this.secrets = secrets;
  }

  /** Returns the options this transport enforces. */
  public HttpOptions options() {
    return options;
  }

  /** Creates the client and the watchdog thread. Idempotent. */
  public void start() {
    synchronized (lock) {
      if (client != null) {
        return;
      }
      client =
          HttpClient.newBuilder()
              .version(HttpClient.Version.HTTP_1_1) // each request names its own version
              .connectTimeout(options.connectTimeout())
              .followRedirects(HttpClient.Redirect.NEVER)
              .build();
      ScheduledThreadPoolExecutor w =
          new ScheduledThreadPoolExecutor(
              1,
              r -> {
                Thread t = new Thread(r, "modelmux-http-" + modelId + "-timeouts");
                t.setDaemon(true);
                return t;
              });
      // one sweep over the open exchanges, rather than a task per exchange: scheduling a task
      // wakes the watchdog thread, which cost a third of the throughput on two cores
      long every = Math.max(5, Math.min(250, Math.min(options.idleTimeout().toMillis(), options.totalTimeout().toMillis()) / 8));
      w.scheduleWithFixedDelay(this::sweep, every, every, TimeUnit.MILLISECONDS);
      watchdog = w;
    }
  }

  /**
   * Drops the client (its idle connections close with it) and stops the watchdog. A body still
   * being read is closed, so that its reader fails rather than waits unwatched. Idempotent.
   */
  public void stop() {
    synchronized (lock) {
      client = null;
      ScheduledExecutorService w = watchdog;
      watchdog = null;
      deadlineSweep = false;
      if (w != null) {
        w.shutdownNow();
      }
      for (Exchange e : open) {
        closeQuietly(e.raw); // the reader's thread closes the rest
      }
    }
  }

  /**
   * Starts, once, a sweep every {@value #DEADLINE_SWEEP_MS} ms beside the periodic one, for the
   * exchanges that carry a request's deadline: kept to within that, where the periodic sweep
   * runs only every quarter second. A task per exchange would wake the watchdog once per
   * request, which cost two thirds of the requests per second (measured); this costs a fixed
   * hundred wake-ups a second while the transport runs.
   */
  private void sweepOftenForDeadlines() {
    if (deadlineSweep) {
      return;
    }
    synchronized (lock) {
      ScheduledExecutorService w = watchdog;
      if (deadlineSweep || w == null) {
        return;
      }
      try {
        w.scheduleWithFixedDelay(this::sweep, DEADLINE_SWEEP_MS, DEADLINE_SWEEP_MS, TimeUnit.MILLISECONDS);
        deadlineSweep = true;
      } catch (java.util.concurrent.RejectedExecutionException e) {
        // stopped: stop() closes the bodies
      }
    }
  }

  private void sweep() {
    long now = System.nanoTime();
    for (Exchange e : open) {
      e.check(now);
    }
  }

  /** Returns whether {@link #start()} ran and {@link #stop()} did not since. */
  public boolean isStarted() {
    return client != null;
  }

  /**
   * Sends {@code request} and returns the exchange once the response headers are in, its body
   * watched for the idle and total timeouts. Close the exchange when done.
   *
   * @param request the request, without timeout or version (they are set here)
   * @param version the HTTP version to ask for
   * @param where the server, for messages (never holds a key)
   * @param streamed whether the body is a stream (the headers wait is then {@code
   *     first_byte_timeout} rather than {@code total_timeout})
   * @param timeLeft the time to the request's deadline ({@code GenerateRequest.timeLeft()}), or
   *     null: when it ends before {@code total_timeout} it bounds the exchange, and passing it
   *     fails with a {@link DeadlineExceededException}
   * @throws BackendTimeoutException when the connection or the headers do not come in time
   * @throws DeadlineExceededException when the deadline passes first
   * @throws BackendException retryable when the connection fails; not retryable for a redirect
   * @throws IllegalStateException when not started
   */
  public Exchange send(
      HttpRequest.Builder request, HttpClient.Version version, String where, boolean streamed, @Nullable Duration timeLeft) {
    HttpClient c = client;
    if (c == null) {
      throw new IllegalStateException("model '" + modelId + "' is not loaded");
    }
    long start = System.nanoTime();
    boolean firstByte = streamed && options.firstByteTimeout().compareTo(options.totalTimeout()) < 0;
    Duration headersWait = firstByte ? options.firstByteTimeout() : options.totalTimeout();
    String waitOption = firstByte ? "first_byte_timeout" : "total_timeout";
    long deadlineNanos = Long.MAX_VALUE;
    if (timeLeft != null) {
      Duration left = timeLeft;
      if (left.isZero()) {
        throw deadlinePassed(where, "");
      }
      if (left.compareTo(options.totalTimeout()) < 0) {
        deadlineNanos = start + left.toNanos();
      }
      if (left.compareTo(headersWait) < 0) {
        headersWait = left;
        waitOption = DEADLINE;
      }
    }
    HttpRequest built = request.timeout(headersWait).version(version).build();
    HttpResponse<InputStream> response;
    try {
      response = send(c, built, where, waitOption, headersWait);
    } catch (BackendTimeoutException e) {
      if (DEADLINE.equals(e.timeout())) {
        throw deadlinePassed(where, "");
      }
      throw e;
    }
    Exchange exchange = new Exchange(response, where, start, deadlineNanos);
    int status = response.statusCode();
    if (status >= 300 && status < 400) {
      exchange.close();
      String location = response.headers().firstValue("location").orElse(null);
      throw new BackendException(
          "the server at " + where + " answered HTTP " + status + " for model '" + modelId + "'"
              + (location == null ? " without a Location" : " redirecting to " + MessageText.quote(location, secrets))
              + "; redirects are not followed, as they could carry the API key and headers to another server:"
              + " set the model's URL to the address that answers",
          modelId, false, status, null, null, null);
    }
    return exchange;
  }

  /**
   * Sends a small request (a health check) and returns its status, draining at most {@value
   * #ERROR_BODY_LIMIT} bytes of the body; the whole exchange is bounded by {@code
   * connect_timeout}.
   *
   * @throws BackendException when the server cannot be reached or does not answer in time (a
   *     redirect is returned as its status, not followed)
   */
  public int probe(HttpRequest.Builder request, HttpClient.Version version, String where) {
    HttpClient c = client;
    if (c == null) {
      throw new IllegalStateException("model '" + modelId + "' is not loaded");
    }
    HttpRequest built = request.timeout(options.connectTimeout()).version(version).build();
    HttpResponse<InputStream> response = send(c, built, where, "connect_timeout", options.connectTimeout());
    try (InputStream in = response.body()) {
      in.readNBytes(ERROR_BODY_LIMIT);
    } catch (IOException e) {
      // the status is what a probe wants; the body is drained only to reuse the connection
    }
    return response.statusCode();
  }

  private HttpResponse<InputStream> send(HttpClient c, HttpRequest request, String where, String waitOption, Duration wait) {
    long start = System.nanoTime();
    try {
      // the synchronous send, with the request's timeout set to the wait (the deadline's when it
      // comes first): sendAsync and a timed get cost a third of the requests per second
      return c.send(request, HttpResponse.BodyHandlers.ofInputStream());
    } catch (HttpConnectTimeoutException e) {
      if (DEADLINE.equals(waitOption) && System.nanoTime() - start >= wait.toNanos()) {
        // the request's timeout (the deadline) ran out while connecting
        throw new BackendTimeoutException("deadline while connecting", modelId, DEADLINE, wait, null, null);
      }
      throw new BackendTimeoutException(
          "could not connect to " + where + " for model '" + modelId + "' within connect_timeout ("
              + options.connectTimeout().toMillis() + " ms); is the server up"
              + ("https".equals(request.uri().getScheme()) ? ", and does it speak TLS?" : "?"),
          modelId, "connect_timeout", options.connectTimeout(), null, secrets.scrub(e));
    } catch (HttpTimeoutException e) {
      throw new BackendTimeoutException(
          "the server at " + where + " did not answer for model '" + modelId + "' within " + waitOption + " ("
              + wait.toMillis() + " ms); it may be overloaded",
          modelId, waitOption, wait, null, secrets.scrub(e));
    } catch (IOException e) {
      String cause = cause(e, request.uri(), true);
      if (cause.startsWith("TLS")) {
        throw new BackendException(
            "could not connect to " + where + " for model '" + modelId + "': " + cause + "; check that the server speaks TLS"
                + " on that port (an http server needs an http:// URL) and that its certificate is trusted by this JVM",
            modelId, false, secrets.scrub(e));
      }
      boolean unknownHost = cause.startsWith("unknown host");
      boolean connecting = e instanceof ConnectException || unknownHost || cause.startsWith("no route");
      throw new BackendException(
          connecting
              ? "could not connect to " + where + " for model '" + modelId + "': " + cause
                  + (unknownHost ? "; check the host name in the model's URL" : "; is the server up?")
              : "the exchange with " + where + " for model '" + modelId + "' failed: " + cause + "; it may succeed if retried",
          modelId, true, secrets.scrub(e));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new BackendException("interrupted while calling " + where + " for model '" + modelId + "'", modelId, false, e);
    }
  }


  /** The name of the limit a request's deadline sets, where a timeout option's name would go. */
  private static final String DEADLINE = "deadline";

  private DeadlineExceededException deadlinePassed(String where, CharSequence partial) {
    return new DeadlineExceededException(
        "the request to " + where + " for model '" + modelId + "' passed its deadline"
            + (partial.length() > 0 ? " after " + partial.length() + " characters" : "")
            + "; the exchange was cancelled; retry with a later deadline",
        modelId, null);
  }

  /**
   * Names what went wrong with a connection in words: the JDK's own messages are often null.
   *
   * @param uri the URL asked for, to name its host
   * @param beforeResponse whether no response had come yet (a TLS failure is then the handshake's)
   */
  private String cause(IOException e, URI uri, boolean beforeResponse) {
    for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
      if (t instanceof UnresolvedAddressException || t instanceof UnknownHostException) {
        return "unknown host " + MessageText.quote(String.valueOf(uri.getHost()));
      }
      if (t instanceof NoRouteToHostException) {
        return "no route to host";
      }
      if (t instanceof SSLException) {
        return (beforeResponse ? "TLS handshake failed: " : "TLS failed: ") + MessageText.quote(String.valueOf(t.getMessage()), secrets);
      }
    }
    String message = e.getMessage() == null ? "" : e.getMessage().toLowerCase(Locale.ROOT);
    if (e instanceof ConnectException) {
      return "connection refused"; // the JDK's HttpClient says so only through a ClosedChannelException
    }
    if (message.contains("received no bytes") || e instanceof EOFException) {
      return "the server closed the connection without a complete answer";
    }
    if (message.contains("connection reset")) {
      return "the connection was reset";
    }
    return MessageText.quote(e.toString(), secrets);
  }

  /** Closes {@code in}, ignoring failures: the stream is being abandoned. */
  static void closeQuietly(@Nullable InputStream in) {
    if (in == null) {
      return;
    }
    try {
      in.close();
    } catch (IOException e) {
      // nothing more can be done with a stream that fails to close
    }
  }

  /**
   * One request's response: status, headers and a body read with every timeout and limit in
   * force. Reading is for one thread; {@link #cancel()} and the watchdog may close the body from
   * others. Close it when done: an exchange closed before its body ended closes its connection.
   */
  public final class Exchange implements AutoCloseable {
    private final HttpResponse<InputStream> response;
    private final InputStream raw;
    private @Nullable InputStream decoded;
    private @Nullable Inflater inflater;
    private final String where;
    private final long startNanos;
    private final long deadlineNanos;
    private volatile long lastNanos;
    /** The option whose time ran out, once the watchdog closed the body. */
    private final AtomicReference<@Nullable String> expired = new AtomicReference<>();
    private final AtomicBoolean cancelled = new AtomicBoolean();

    Exchange(HttpResponse<InputStream> response, String where, long startNanos, long deadlineNanos) {
      this.response = response;
      this.raw = response.body();
      this.where = where;
      this.startNanos = startNanos;
      this.deadlineNanos = deadlineNanos;
      if (deadlineNanos != Long.MAX_VALUE) {
        sweepOftenForDeadlines();
      }
      this.lastNanos = System.nanoTime();
      open.add(this);
    }

    /** Closes the body when a timeout ran out; called by the watchdog's sweep. */
    void check(long now) {
      String option =
          now - deadlineNanos > 0 ? DEADLINE
              : now - startNanos > options.totalTimeout().toNanos() ? "total_timeout"
              : now - lastNanos > options.idleTimeout().toNanos() ? "idle_timeout" : null;
      if (option != null && expired.compareAndSet(null, option)) {
        closeQuietly(raw); // a blocked read fails; the connection is dropped
      }
    }

    /** Returns the HTTP status. */
    public int status() {
      return response.statusCode();
    }

    /** Returns the response headers. */
    public HttpHeaders headers() {
      return response.headers();
    }

    /** Returns the server, for messages. */
    public String where() {
      return where;
    }

    /** Stops the exchange from another thread: the body is closed, reads return -1. */
    public void cancel() {
      cancelled.set(true);
      closeQuietly(raw); // closes the connection: the server sees it and stops generating
    }

    /** Returns whether {@link #cancel()} was called. */
    public boolean isCancelled() {
      return cancelled.get();
    }

    /** Returns whether a timeout closed the body. */
    public boolean timedOut() {
      return expired.get() != null;
    }

    /**
     * Reads the next bytes of the (decoded) body.
     *
     * @param buf where to put them
     * @param partial the text delivered so far, for the exception's {@code partialText}
     * @return how many bytes were read, or -1 at the end of the body or after {@link #cancel()}
     * @throws BackendTimeoutException when a timeout closed the body
     * @throws DeadlineExceededException when the request's deadline closed it
     * @throws BackendException when the connection broke or the body cannot be decoded
     */
    public int read(byte[] buf, CharSequence partial) {
      return read(buf, 0, buf.length, partial);
    }

    private int read(byte[] buf, int offset, int length, CharSequence partial) {
      int n;
      try {
        n = body().read(buf, offset, length);
      } catch (IOException e) {
        if (cancelled.get()) {
          return -1;
        }
        if (timedOut()) {
          throw timeout(partial, e);
        }
        if (e instanceof ZipException) {
          throw new BackendException(
              "the server at " + where + " sent a body for model '" + modelId + "' marked Content-Encoding "
                  + quotedEncoding() + " that does not decode: " + MessageText.quote(String.valueOf(e.getMessage()), secrets),
              modelId, false, -1, null, partial.toString(), e);
        }
        throw new BackendException(
            "the answer from " + where + " for model '" + modelId + "' broke after " + partial.length()
                + " characters: " + cause(e, response.request().uri(), false)
                + (partial.length() > 0 ? "; the text so far is in partialText()" : ""),
            modelId, true, -1, null, partial.toString(), secrets.scrub(e));
      }
      if (n < 0) {
        if (timedOut() && !cancelled.get()) {
          throw timeout(partial, null);
        }
        return -1;
      }
      lastNanos = System.nanoTime();
      return n;
    }

    /**
     * Reads the whole body, decoded.
     *
     * @throws BackendException when it passes {@code max_response_size}, or as {@link #read}
     */
    public byte[] readAll() {
      long max = options.maxResponseBytes();
      long declared = response.headers().firstValueAsLong("content-length").orElse(-1);
      boolean identity = encoding().equals("identity");
      if (declared > max && identity) {
        close();
        throw tooLarge("declares " + declared + " bytes", "");
      }
      if (declared >= 0 && identity) { // the common case: read into an array of the right size
        byte[] out = new byte[(int) declared];
        int n = 0;
        while (n < out.length) {
          int r = read(out, n, out.length - n, "");
          if (r < 0) {
            return Arrays.copyOf(out, n);
          }
          n += r;
        }
        read(new byte[1], 0, 1, ""); // reaches the end, so that closing returns the connection to the pool
        return out;
      }
      ByteArrayOutputStream out = new ByteArrayOutputStream(8192);
      byte[] buf = new byte[8192];
      while (true) {
        int n = read(buf, 0, buf.length, "");
        if (n < 0) {
          return out.toByteArray();
        }
        if (out.size() + (long) n > max) {
          close();
          throw tooLarge("sent more than " + max + " bytes", "");
        }
        out.write(buf, 0, n);
      }
    }

    /**
     * Reads at most {@value #ERROR_BODY_LIMIT} bytes of an error body, decoded when it is
     * compressed and decodes; never fails: returns what could be read, and the body's length
     * when known.
     */
    public BodyHead readError() {
      byte[] bytes;
      try {
        bytes = raw.readNBytes(ERROR_BODY_LIMIT);
      } catch (IOException e) {
        return new BodyHead(new byte[0], -1);
      }
      boolean whole = bytes.length < ERROR_BODY_LIMIT;
      String encoding = encoding();
      if (decodable(encoding)) {
        try (InputStream in = decoder(encoding, new ByteArrayInputStream(bytes))) {
          byte[] decoded = in.readNBytes(ERROR_BODY_LIMIT);
          return new BodyHead(decoded, whole && in.read() < 0 ? decoded.length : -1);
        } catch (IOException e) {
          // not what it claims to be: described as compressed bytes below
        } finally {
          endInflater();
        }
      }
      long declared = response.headers().firstValueAsLong("content-length").orElse(-1);
      return new BodyHead(bytes, whole ? bytes.length : declared > bytes.length ? declared : -1);
    }

    /**
     * Returns the exception for a streamed event larger than {@code max_response_size}; the
     * caller closes the exchange.
     */
    public BackendException eventTooLarge(CharSequence partial) {
      return tooLarge("sent a stream event of more than " + options.maxResponseBytes() + " bytes", partial);
    }

    private BackendException tooLarge(String what, CharSequence partial) {
      return new BackendException(
          "the answer from " + where + " for model '" + modelId + "' " + what + ", more than max_response_size ("
              + size(options.maxResponseBytes()) + "); raise max_response_size or lower max_tokens",
          modelId, false, -1, null, partial.toString(), null);
    }

    private ModelMuxException timeout(CharSequence partial, @Nullable Throwable cause) {
      String option = expired.get();
      if (DEADLINE.equals(option)) {
        return deadlinePassed(where, partial);
      }
      boolean total = "total_timeout".equals(option);
      Duration limit = total ? options.totalTimeout() : options.idleTimeout();
      return new BackendTimeoutException(
          "the answer from " + where + " for model '" + modelId + "' "
              + (total ? "passed total_timeout (" + limit.toMillis() + " ms)" : "went silent for more than idle_timeout (" + limit.toMillis() + " ms)")
              + (partial.length() > 0
                  ? " after " + partial.length() + " characters; the exchange was cancelled, and the text so far is in partialText()"
                  : " before its body ended; the exchange was cancelled; it may succeed if retried"),
          modelId, total ? "total_timeout" : "idle_timeout", limit, partial.toString(), cause == null ? null : secrets.scrub(cause));
    }

    private String encoding() {
      return response.headers().firstValue("content-encoding").map(v -> v.strip().toLowerCase(Locale.ROOT)).filter(v -> !v.isEmpty()).orElse("identity");
    }

    /** Returns the Content-Encoding as sent, for a message: a hostile server may echo a key there. */
    private String quotedEncoding() {
      return MessageText.quote(response.headers().firstValue("content-encoding").orElse(""), secrets);
    }

    private InputStream body() throws IOException {
      InputStream d = decoded;
      if (d == null) {
        String encoding = encoding();
        if (encoding.equals("identity")) {
          d = raw;
        } else if (decodable(encoding)) {
          d = decoder(encoding, raw);
        } else {
          close();
          throw new BackendException(
              "the server at " + where + " sent a body for model '" + modelId + "' with Content-Encoding "
                  + quotedEncoding() + ", which was not asked for and cannot be read (gzip and deflate can);"
                  + " configure the server or proxy not to compress",
              modelId, false, -1, null, null, null);
        }
        decoded = d;
      }
      return d;
    }

    private InputStream decoder(String encoding, InputStream in) throws IOException {
      if (!encoding.equals("deflate")) {
        return new GZIPInputStream(in, 8192);
      }
      PushbackInputStream peek = new PushbackInputStream(in, 2);
      byte[] head = peek.readNBytes(2);
      peek.unread(head);
      // "deflate" should be zlib-wrapped (RFC 9110), but some servers send raw deflate
      boolean zlib = head.length == 2 && (head[0] & 0x0F) == 8 && (((head[0] & 0xFF) << 8) | (head[1] & 0xFF)) % 31 == 0;
      endInflater();
      inflater = new Inflater(!zlib);
      return new InflaterInputStream(peek, inflater, 8192);
    }

    private void endInflater() {
      Inflater i = inflater;
      inflater = null;
      if (i != null) {
        i.end();
      }
    }

    /** Stops the watchdog and closes the body; before its end, that closes the connection. Idempotent. */
    @Override
    public void close() {
      open.remove(this);
      closeQuietly(raw);
      endInflater();
    }
  }

  /** Returns whether a body of {@code encoding} can be decoded here: gzip and deflate. */
  private static boolean decodable(String encoding) {
    return encoding.equals("gzip") || encoding.equals("x-gzip") || encoding.equals("deflate");
  }

  private static String size(long bytes) {
    if (bytes % (1 << 20) == 0) {
      return (bytes >> 20) + " MiB";
    }
    if (bytes % 1024 == 0) {
      return (bytes >> 10) + " KiB";
    }
    return bytes + " bytes";
  }
}
