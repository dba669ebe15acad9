package io.modelmux.gateway;

import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.modelmux.ModelMuxException;
import io.modelmux.MultiModelManager;
import io.modelmux.micrometer.ModelMuxMetrics;
import java.net.BindException;
import java.net.URI;
import java.time.Duration;
import java.util.Collection;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.server.handler.GracefulHandler;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.thread.QueuedThreadPool;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An OpenAI-compatible HTTP gateway in front of a {@link MultiModelManager}, so that any OpenAI
 * client (every language, LangChain4j, Spring AI) reaches ModelMux's routes, memory scheduling
 * and fallbacks:
 *
 * <ul>
 *   <li>{@code POST /v1/chat/completions} and {@code POST /v1/completions}: whole, or streamed as
 *       server-sent events with {@code "stream": true} ({@code stream_options.include_usage}
 *       honoured). The request's {@code model} is an id, {@code id@version}, alias or route (left
 *       out: the manager's default); {@code user}, or the header {@code X-ModelMux-Routing-Key},
 *       is the routing key of sticky splits; the header {@code X-ModelMux-Timeout} (such as
 *       {@code 30s}) bounds the request, else {@link Builder#requestTimeout}.
 *   <li>{@code GET /v1/models}: every name a request may give, each with its kind
 *       ({@code modelmux_kind}: model, alias, route) and target; {@code GET /v1/models/{name}}.
 *   <li>{@code GET /health}: 200 with the models' state, 503 once draining; never asks for a key.
 *   <li>{@code GET /metrics}: Prometheus text — the manager's meters ({@link ModelMuxMetrics}) and
 *       the gateway's own ({@code modelmux_gateway_requests_total} by endpoint and status).
 * </ul>
 *
 * <p>Failures answer with OpenAI's error object and the status a client acts on: 400 invalid
 * request, 401 a missing or wrong key (when {@link Builder#apiKeys keys} are set), 404 unknown
 * model (the message lists the known ones), 405, 413 a body over {@link Builder#maxBodyBytes},
 * 429 rate limited or over a spend limit (always with {@code Retry-After}), 502 a backend failed,
 * 503 overloaded or circuit open (with {@code Retry-After} when known), 504 deadline. A stream
 * that fails after its first piece ends with an error event and no {@code [DONE]}. A client that
 * goes away mid-stream cancels the model's work at the next piece.
 *
 * <p>{@link #close()} drains: the listener stops accepting, requests on open connections are
 * answered 503, requests in flight run to their end for up to {@link Builder#drainTimeout}, and
 * streams still running then are cancelled. It does not close the manager. Thread-safe.
 */
public final class Gateway implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(Gateway.class);

  private final Server server;
  private final ServerConnector connector;
  private final GatewayHandler handler;
  private final ModelMuxMetrics metrics;
  private final PrometheusMeterRegistry registry;
  private final Duration drainTimeout;
  private final String host;
  private final Object lifecycle = new Object();
  private boolean closed; // guarded by lifecycle

  private Gateway(Builder b) {
    this.drainTimeout = b.drainTimeout;
    this.host = b.host;
    this.registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    this.metrics = new ModelMuxMetrics(b.manager);
    metrics.bindTo(registry);
    this.handler = new GatewayHandler(
        b.manager, new ApiKeys(b.apiKeys), b.maxBodyBytes, b.requestTimeout, registry);

    QueuedThreadPool threads = new QueuedThreadPool(b.maxThreads, Math.min(8, b.maxThreads));
    threads.setName("modelmux-gateway");
    threads.setDaemon(true);
    this.server = new Server(threads);
    HttpConfiguration http = new HttpConfiguration();
    http.setSendServerVersion(false);
    http.setSendXPoweredBy(false);
    http.setRequestHeaderSize(16 * 1024);
    this.connector = new ServerConnector(server, new HttpConnectionFactory(http));
    connector.setHost(b.host);
    connector.setPort(b.port);
    connector.setIdleTimeout(b.idleTimeout.toMillis());
    server.addConnector(connector);
    GracefulHandler graceful = new GracefulHandler(handler) {
      @Override
      protected void handleShutdownRejection(Request request, Response response, Callback callback) {
        // the last answer on this connection: its body, if any, is not read
        GatewayHandler.writeError(GatewayHandler.closing(response), new ApiError(503, ApiError.OVERLOADED, "shutting_down",
            null, "The gateway is shutting down; send the request to another instance.",
            Duration.ofSeconds(1)), callback);
      }
    };
    // Once draining, a keep-alive connection with no request in flight is closed after this
    // long rather than held for the whole drain (Jetty's default is a second).
    graceful.setShutdownIdleTimeout(100);
    server.setHandler(graceful);
    server.setStopTimeout(drainTimeout.toMillis());
    server.setStopAtShutdown(false);
  }

  /**
   * Returns a builder of a gateway in front of {@code manager}, which the caller keeps and closes.
   *
   * @throws NullPointerException if {@code manager} is null
   */
  public static Builder builder(MultiModelManager manager) {
    return new Builder(manager);
  }

  /**
   * Starts listening.
   *
   * @return this gateway
   * @throws ModelMuxException if the address cannot be bound (in use, not local, not permitted)
   * @throws IllegalStateException if the gateway was started or closed before
   */
  public Gateway start() {
    synchronized (lifecycle) {
      if (closed || server.isStarted() || server.isStarting()) {
        throw new IllegalStateException("The gateway was already started or closed");
      }
      try {
        server.start();
      } catch (Exception e) {
        stopQuietly();
        Throwable cause = e instanceof java.io.IOException && e.getCause() instanceof BindException
            ? e.getCause() : e;
        throw new ModelMuxException("The gateway cannot listen on " + host + ":" + connector.getPort()
            + ": " + cause.getClass().getSimpleName() + (cause.getMessage() == null ? "" : ": " + cause.getMessage())
            + ". Choose another --port or --host.", e);
      }
    }
    LOG.info("ModelMux gateway listening on {}", uri());
    return this;
  }

  /** Returns the port listened on (the one chosen by the system when built with port 0). */
  public int port() {
    return connector.getLocalPort();
  }

  /** Returns the base URI, such as {@code http://127.0.0.1:8080}; OpenAI clients take {@code uri() + "/v1"}. */
  public URI uri() {
    String h = host.contains(":") ? "[" + host + "]" : host;
    return URI.create("http://" + h + ":" + port());
  }

  /** Returns how many streams are being served now. */
  public int activeStreams() {
    return handler.activeStreams();
  }

  /**
   * Stops accepting, lets requests in flight finish for up to the drain timeout, cancels the
   * streams left, and stops. Idempotent; blocks until stopped. Does not close the manager.
   */
  @Override
  public void close() {
    synchronized (lifecycle) {
      if (closed) {
        return;
      }
      closed = true;
    }
    handler.drain();
    long start = System.nanoTime();
    try {
      server.stop();
    } catch (Exception e) {
      LOG.warn("The gateway did not stop cleanly: {}", e.toString());
    }
    int cancelled = handler.cancelStreams();
    if (cancelled > 0) {
      LOG.warn("The gateway cancelled {} streams still running after the drain timeout ({})",
          cancelled, drainTimeout);
    }
    metrics.close();
    registry.close();
    LOG.info("ModelMux gateway stopped after {} ms",
        TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start));
  }

  private void stopQuietly() {
    try {
      server.stop();
    } catch (Exception e) {
      LOG.debug("Stopping a gateway that did not start", e);
    }
    metrics.close();
    registry.close();
    closed = true;
  }

  @Override
  public String toString() {
    return "Gateway[" + host + ":" + (server.isStarted() ? port() : connector.getPort()) + "]";
  }

  /** Builds a {@link Gateway}. Each setter checks its argument at once. */
  public static final class Builder {
    private final MultiModelManager manager;
    private String host = "127.0.0.1";
    private int port = 8080;
    private List<String> apiKeys = List.of();
    private long maxBodyBytes = 4L * 1024 * 1024;
    private @Nullable Duration requestTimeout;
    private Duration drainTimeout = Duration.ofSeconds(30);
    private Duration idleTimeout = Duration.ofSeconds(60);
    private int maxThreads = 200;

    private Builder(MultiModelManager manager) {
      this.manager = Objects.requireNonNull(manager, "manager");
    }

    /** The address to listen on (default {@code 127.0.0.1}; {@code 0.0.0.0} for every interface). */
    public Builder host(String host) {
      Objects.requireNonNull(host, "host");
      if (host.isBlank()) {
        throw new IllegalArgumentException("host must not be blank");
      }
      this.host = host;
      return this;
    }

    /** The port (default 8080; 0 lets the system choose, see {@link Gateway#port()}). */
    public Builder port(int port) {
      if (port < 0 || port > 65535) {
        throw new IllegalArgumentException("port must be 0 to 65535; got " + port);
      }
      this.port = port;
      return this;
    }

    /**
     * The keys a caller must send as {@code Authorization: Bearer <key>} to any endpoint but
     * {@code /health}. Empty (the default): no key asked. Held only as digests.
     */
    public Builder apiKeys(Collection<String> apiKeys) {
      Objects.requireNonNull(apiKeys, "apiKeys");
      for (String k : apiKeys) {
        Objects.requireNonNull(k, "apiKeys element");
        if (k.isBlank()) {
          throw new IllegalArgumentException("an API key must not be blank");
        }
      }
      this.apiKeys = List.copyOf(apiKeys);
      return this;
    }

    /** The largest request body accepted (default 4 MiB); larger ones get a 413. */
    public Builder maxBodyBytes(long maxBodyBytes) {
      if (maxBodyBytes < 1024 || maxBodyBytes > Integer.MAX_VALUE - 8) {
        throw new IllegalArgumentException("maxBodyBytes must be 1024 to 2^31 - 9; got " + maxBodyBytes);
      }
      this.maxBodyBytes = maxBodyBytes;
      return this;
    }

    /** How long a request may take when it does not say ({@code X-ModelMux-Timeout}); default: the manager's. */
    public Builder requestTimeout(Duration requestTimeout) {
      this.requestTimeout = positive(requestTimeout, "requestTimeout");
      return this;
    }

    /** How long {@link Gateway#close()} waits for requests in flight (default 30 s). */
    public Builder drainTimeout(Duration drainTimeout) {
      Objects.requireNonNull(drainTimeout, "drainTimeout");
      if (drainTimeout.isNegative()) {
        throw new IllegalArgumentException("drainTimeout must not be negative; got " + drainTimeout);
      }
      this.drainTimeout = drainTimeout;
      return this;
    }

    /**
     * How long a connection may stay silent (default 60 s): an idle keep-alive connection is
     * closed, and so is one whose client stops sending its request's body or stops reading its
     * answer (no byte moved for this long). A request waiting on its model, however long, is not
     * cut by it.
     */
    public Builder idleTimeout(Duration idleTimeout) {
      this.idleTimeout = positive(idleTimeout, "idleTimeout");
      return this;
    }

    /** The most threads serving connections (default 200; at least 4). */
    public Builder maxThreads(int maxThreads) {
      if (maxThreads < 4) {
        throw new IllegalArgumentException("maxThreads must be at least 4; got " + maxThreads);
      }
      this.maxThreads = maxThreads;
      return this;
    }

    /** Builds the gateway; {@link Gateway#start()} opens it. */
    public Gateway build() {
      return new Gateway(this);
    }

    private static Duration positive(Duration d, String name) {
      Objects.requireNonNull(d, name);
      if (d.isNegative() || d.isZero()) {
        throw new IllegalArgumentException(name + " must be positive; got " + d);
      }
      return d;
    }
  }
}
