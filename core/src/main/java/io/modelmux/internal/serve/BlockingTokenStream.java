package io.modelmux.internal.serve;

import io.modelmux.GenerateResponse;
import io.modelmux.ModelMuxException;
import io.modelmux.StreamHandle;
import io.modelmux.StreamListener;
import io.modelmux.TokenStream;
import java.util.Iterator;
import java.util.NoSuchElementException;
import java.util.concurrent.CompletionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import org.jspecify.annotations.Nullable;

/** A {@link TokenStream} fed by a {@link StreamListener} through an unbounded queue. */
public final class BlockingTokenStream implements TokenStream {
  /** Marks the end of the pieces in the queue. */
  private static final Object END = new Object();

  private final LinkedBlockingQueue<Object> queue = new LinkedBlockingQueue<>();
  private final AtomicBoolean iterated = new AtomicBoolean();
  private @Nullable StreamHandle handle;

  public StreamListener listener() {
    return new StreamListener() {
      @Override
      public void onToken(String text) {
        queue.add(text);
      }

      @Override
      public void onComplete(GenerateResponse response) {
        queue.add(END);
      }

      @Override
      public void onError(ModelMuxException error) {
        queue.add(error);
      }
    };
  }

  public void attach(StreamHandle handle) {
    this.handle = handle;
  }

  @Override
  public Iterator<String> iterator() {
    if (!iterated.compareAndSet(false, true)) {
      throw new IllegalStateException("a TokenStream can be iterated once");
    }
    return new Iterator<>() {
      private @Nullable Object next;
      private boolean finished;

      @Override
      public boolean hasNext() {
        if (next != null) {
          return true;
        }
        if (finished) {
          return false;
        }
        Object item = take();
        if (item == END) {
          finished = true;
          return false;
        }
        if (item instanceof ModelMuxException) {
          finished = true;
          throw (ModelMuxException) item;
        }
        next = item;
        return true;
      }

      @Override
      public String next() {
        if (!hasNext()) {
          throw new NoSuchElementException("the stream has ended");
        }
        String piece = (String) next;
        next = null;
        return piece;
      }
    };
  }

  private Object take() {
    try {
      return queue.take();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      close();
      throw new ModelMuxException("interrupted while waiting for the next piece of a stream", e);
    }
  }

  @Override
  public GenerateResponse response() {
    try {
      return handle().completion().join();
    } catch (CompletionException e) {
      if (e.getCause() instanceof ModelMuxException) {
        throw (ModelMuxException) e.getCause();
      }
      throw e;
    }
  }

  @Override
  public void close() {
    handle().cancel();
  }

  private StreamHandle handle() {
    StreamHandle h = handle;
    if (h == null) {
      throw new IllegalStateException("stream not started");
    }
    return h;
  }
}
