package io.modelmux.llamacpp;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;

/**
 * The frames between a {@code type: llamacpp} adapter and its runner process, over a Unix
 * domain socket: a byte that says what the frame is, then its fields in {@link DataOutputStream}
 * order; strings as an int length and UTF-8 bytes (any length, unlike {@code writeUTF}).
 */
final class Wire {
  private Wire() {}

  // adapter to runner
  static final byte LOAD = 1; // string path, int context (all slots), int slots, int threads, int gpuLayers,
  //                             int mainGpu, string kvCacheType, boolean jinja
  static final byte GENERATE = 2; // int id, byte mode (WHOLE, WHOLE_CANCELLABLE, STREAM), string prompt, int messages (role, content)..., int nPredict,
  //                                 float temperature, int topK, float topP, long seed (-1 none), int stops, strings
  static final byte CANCEL = 3; // int id

  /**
   * A whole answer that nothing will cancel (no deadline): java-llama.cpp's {@code complete},
   * whose one waiting thread wakes once, at the end. Streamed receiving wakes every waiting
   * request's thread at every token of any of them: with 8 clients of the tiny GGUF, 13
   * requests/s streamed against 57 whole, measured with java-llama.cpp alone.
   */
  static final byte WHOLE = 0;
  /** A whole answer that may be cancelled (it has a deadline): received token by token, sent once. */
  static final byte WHOLE_CANCELLABLE = 1;
  /** A stream: a {@link #PIECE} per token. */
  static final byte STREAM = 2;
  static final byte ENCODE = 4; // int id, string text
  static final byte SHUTDOWN = 5;

  // runner to adapter
  static final byte LOADED = 10; // (nothing)
  static final byte ERROR = 11; // int id (0: the load), string message
  static final byte PIECE = 12; // int id, string text
  static final byte DONE = 13; // int id, int promptTokens, int completionTokens, boolean cancelled
  static final byte TOKENS = 14; // int id, int count

  /** How long a string may be: a request's text well beyond any context, yet bounded. */
  static final int MAX_STRING = 64 << 20;

  static void writeString(DataOutputStream out, String s) throws IOException {
    byte[] b = s.getBytes(StandardCharsets.UTF_8);
    out.writeInt(b.length);
    out.write(b);
  }

  /**
   * Returns a stream reading {@code channel}. Not {@code Channels.newInputStream}: its streams
   * take the channel's blocking lock for each call, so a thread blocked reading would stop every
   * other thread from writing.
   */
  static InputStream input(SocketChannel channel) {
    return new InputStream() {
      @Override
      public int read() throws IOException {
        byte[] one = new byte[1];
        return read(one, 0, 1) < 0 ? -1 : one[0] & 0xFF;
      }

      @Override
      public int read(byte[] b, int off, int len) throws IOException {
        if (len == 0) {
          return 0;
        }
        return channel.read(ByteBuffer.wrap(b, off, len));
      }
    };
  }

  /** Returns a stream writing {@code channel}; see {@link #input}. */
  static OutputStream output(SocketChannel channel) {
    return new OutputStream() {
      @Override
      public void write(int b) throws IOException {
        write(new byte[] {(byte) b}, 0, 1);
      }

      @Override
      public void write(byte[] b, int off, int len) throws IOException {
        ByteBuffer buffer = ByteBuffer.wrap(b, off, len);
        while (buffer.hasRemaining()) {
          channel.write(buffer);
        }
      }
    };
  }

  static String readString(DataInputStream in) throws IOException {
    int n = in.readInt();
    if (n < 0 || n > MAX_STRING) {
      throw new IOException("malformed frame: a string of " + n + " bytes");
    }
    byte[] b = new byte[n];
    in.readFully(b);
    return new String(b, StandardCharsets.UTF_8);
  }
}
