package io.modelmux.gateway;

import io.modelmux.GenerateResponse;
import io.modelmux.ModelMuxException;
import io.modelmux.StreamHandle;
import io.modelmux.StreamListener;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.BufferUtil;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.IteratingCallback;
import org.jspecify.annotations.Nullable;

/**
 * One streamed completion, from the manager's listener to the client's socket as server-sent
 * events. The model's thread never waits on the client: pieces are encoded and queued, and one
 * write at a time drains the queue (pieces that arrive while a write is in flight leave together
 * in the next one, so a slow reader costs the model nothing). A write that fails — the client
 * went away — cancels the model's work.
 *
 * <p>The status is chosen at the first piece: a failure before any piece is answered as a plain
 * error with its status (404, 429, 503...), a failure after it as an error event, and the stream
 * then ends without {@code [DONE]}.
 */
final class SseStream extends IteratingCallback implements StreamListener {
  private final OpenAiRequest request;
  private final @Nullable String requestedModel;
  private final String id;
  private final long created;
  private final Response response;
  private final Callback done;
  private final java.util.function.Consumer<SseStream> onEnd;

  private final Object lock = new Object();
  private final ByteArrayOutputStream pending = new ByteArrayOutputStream(512); // guarded by lock
  private boolean started; // guarded by lock
  private boolean ended; // guarded by lock
  private boolean lastWritten; // guarded by lock
  private boolean answeredPlain; // guarded by lock
  private volatile @Nullable StreamHandle handle;
  private volatile boolean cancelRequested;

  SseStream(OpenAiRequest request, Response response, Callback done, java.util.function.Consumer<SseStream> onEnd) {
    this.request = request;
    this.requestedModel = request.model;
    this.id = OpenAiJson.newId(request.kind);
    this.created = System.currentTimeMillis() / 1000;
    this.response = response;
    this.done = done;
    this.onEnd = onEnd;
  }

  /** Gives the stream its handle, once the manager returned it. */
  void attach(StreamHandle h) {
    handle = h;
    if (cancelRequested) {
      h.cancel();
    }
  }

  /** Stops the model's work: the client is gone or the gateway is stopping. */
  void cancel() {
    cancelRequested = true;
    StreamHandle h = handle;
    if (h != null) {
      h.cancel();
    }
  }

  private String modelName() {
    return requestedModel == null ? "default" : requestedModel;
  }

  @Override
  public void onToken(String text) {
    synchronized (lock) {
      if (ended) {
        return;
      }
      boolean first = !started;
      if (first) {
        started = true;
        response.setStatus(200);
        response.getHeaders().put(HttpHeader.CONTENT_TYPE, "text/event-stream; charset=utf-8");
        response.getHeaders().put(HttpHeader.CACHE_CONTROL, "no-cache");
        response.getHeaders().put("X-Accel-Buffering", "no");
      }
      pending.writeBytes(OpenAiJson.chunk(
          request.kind, id, created, modelName(), first, text, null, request.includeUsage));
    }
    iterate();
  }

  @Override
  public void onComplete(GenerateResponse r) {
    synchronized (lock) {
      if (ended) {
        return;
      }
      String model = r.model().toString();
      if (!started) {
        started = true;
        response.setStatus(200);
        response.getHeaders().put(HttpHeader.CONTENT_TYPE, "text/event-stream; charset=utf-8");
        response.getHeaders().put(HttpHeader.CACHE_CONTROL, "no-cache");
        if (request.kind == OpenAiRequest.Kind.CHAT) {
          // An empty answer still opens with the assistant's role, as OpenAI's streams do.
          pending.writeBytes(OpenAiJson.chunk(request.kind, id, created, model, true, "", null, request.includeUsage));
        }
      }
      pending.writeBytes(OpenAiJson.chunk(
          request.kind, id, created, model, false, "", OpenAiJson.finishReason(r.finishReason()),
          request.includeUsage));
      if (request.includeUsage) {
        pending.writeBytes(OpenAiJson.usageChunk(request.kind, id, created, model, r.usage()));
      }
      pending.writeBytes(OpenAiJson.DONE);
      ended = true;
    }
    iterate();
  }

  @Override
  public void onError(ModelMuxException error) {
    ApiError e = ApiError.of(error, requestedModel);
    synchronized (lock) {
      if (ended) {
        return;
      }
      ended = true;
      if (!started) {
        answeredPlain = true;
      } else {
        pending.writeBytes(OpenAiJson.errorEvent(e));
      }
    }
    if (answeredPlain) {
      GatewayHandler.writeError(response, e, Callback.from(this::finishPlain, this::failPlain));
    } else {
      iterate();
    }
  }

  private void finishPlain() {
    onEnd.accept(this);
    done.succeeded();
  }

  private void failPlain(Throwable x) {
    onEnd.accept(this);
    done.failed(x);
  }

  @Override
  protected Action process() {
    ByteBuffer buffer;
    boolean last;
    synchronized (lock) {
      if (answeredPlain) {
        return Action.IDLE;
      }
      if (lastWritten) {
        return Action.SUCCEEDED;
      }
      if (pending.size() == 0) {
        return Action.IDLE;
      }
      buffer = ByteBuffer.wrap(pending.toByteArray());
      pending.reset();
      last = ended;
      lastWritten = last;
    }
    response.write(last, buffer.hasRemaining() ? buffer : BufferUtil.EMPTY_BUFFER, this);
    return Action.SCHEDULED;
  }

  @Override
  protected void onCompleteSuccess() {
    onEnd.accept(this);
    done.succeeded();
  }

  @Override
  protected void onCompleteFailure(Throwable cause) {
    cancel();
    onEnd.accept(this);
    done.failed(cause);
  }
}
