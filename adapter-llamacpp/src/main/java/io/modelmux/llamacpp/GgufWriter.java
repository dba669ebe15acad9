package io.modelmux.llamacpp;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Writes a GGUF file (version 3, little-endian): the header, metadata key/values, tensor infos,
 * then each tensor's float32 data aligned to {@link Gguf#DEFAULT_ALIGNMENT} bytes. Tensors are
 * given in numpy order (the slowest dimension first); GGUF stores the reverse ({@code ne[0]} is
 * the fastest), which this writer does.
 */
final class GgufWriter {
  private final Map<String, Object> metadata = new LinkedHashMap<>();
  private final List<Tensor> tensors = new ArrayList<>();

  private static final class Tensor {
    final String name;
    final long[] shape; // numpy order
    final float[] data;

    Tensor(String name, long[] shape, float[] data) {
      this.name = name;
      this.shape = shape;
      this.data = data;
    }
  }

  /** Marks a value to be written as a GGUF uint32 (Java has no unsigned int). */
  record UInt32(long value) {}

  /**
   * Adds a key; the value is a String, Integer (int32), {@link UInt32}, Float (float32), Boolean,
   * or a List of Strings or of Integers (arrays).
   */
  GgufWriter put(String key, Object value) {
    metadata.put(key, value);
    return this;
  }

  /** Adds a float32 tensor of {@code shape} (numpy order, row-major {@code data}). */
  GgufWriter tensor(String name, float[] data, long... shape) {
    long n = 1;
    for (long d : shape) {
      n *= d;
    }
    if (n != data.length) {
      throw new IllegalArgumentException(name + ": shape holds " + n + " values, data " + data.length);
    }
    tensors.add(new Tensor(name, shape.clone(), data));
    return this;
  }

  void write(OutputStream out) throws IOException {
    Sink s = new Sink(out);
    s.bytes(new byte[] {'G', 'G', 'U', 'F'});
    s.u32(3);
    s.u64(tensors.size());
    s.u64(metadata.size());
    for (Map.Entry<String, Object> e : metadata.entrySet()) {
      s.string(e.getKey());
      value(s, e.getKey(), e.getValue());
    }
    long offset = 0;
    for (Tensor t : tensors) {
      s.string(t.name);
      s.u32(t.shape.length);
      for (int i = t.shape.length - 1; i >= 0; i--) {
        s.u64(t.shape[i]);
      }
      s.u32(Gguf.TYPE_F32);
      s.u64(offset);
      offset = align(offset + 4L * t.data.length);
    }
    s.pad();
    for (Tensor t : tensors) {
      ByteBuffer b = ByteBuffer.allocate(4 * t.data.length).order(ByteOrder.LITTLE_ENDIAN);
      b.asFloatBuffer().put(t.data);
      s.bytes(b.array());
      s.pad();
    }
    out.flush();
  }

  private static long align(long n) {
    long a = Gguf.DEFAULT_ALIGNMENT;
    return (n + a - 1) / a * a;
  }

  private static void value(Sink s, String key, Object v) throws IOException {
    if (v instanceof String) {
      s.u32(Gguf.VALUE_STRING);
      s.string((String) v);
    } else if (v instanceof UInt32) {
      s.u32(Gguf.VALUE_UINT32);
      s.u32(((UInt32) v).value());
    } else if (v instanceof Integer) {
      s.u32(Gguf.VALUE_INT32);
      s.u32((Integer) v);
    } else if (v instanceof Float) {
      s.u32(Gguf.VALUE_FLOAT32);
      s.u32(Float.floatToIntBits((Float) v));
    } else if (v instanceof Boolean) {
      s.u32(Gguf.VALUE_BOOL);
      s.bytes(new byte[] {(byte) ((Boolean) v ? 1 : 0)});
    } else if (v instanceof List && !((List<?>) v).isEmpty() && ((List<?>) v).get(0) instanceof String) {
      List<?> list = (List<?>) v;
      s.u32(Gguf.VALUE_ARRAY);
      s.u32(Gguf.VALUE_STRING);
      s.u64(list.size());
      for (Object o : list) {
        s.string((String) o);
      }
    } else if (v instanceof List && !((List<?>) v).isEmpty() && ((List<?>) v).get(0) instanceof Integer) {
      List<?> list = (List<?>) v;
      s.u32(Gguf.VALUE_ARRAY);
      s.u32(Gguf.VALUE_INT32);
      s.u64(list.size());
      for (Object o : list) {
        s.u32((Integer) o);
      }
    } else {
      throw new IllegalArgumentException("key " + key + ": cannot write a value of " + (v == null ? "null" : v.getClass()));
    }
  }

  /** Counts what it writes, to pad to the alignment. */
  private static final class Sink {
    private final OutputStream out;
    private final ByteBuffer scratch = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
    private long written;

    Sink(OutputStream out) {
      this.out = out;
    }

    void bytes(byte[] b) throws IOException {
      out.write(b);
      written += b.length;
    }

    void u32(long v) throws IOException {
      scratch.clear();
      scratch.putInt((int) v);
      out.write(scratch.array(), 0, 4);
      written += 4;
    }

    void u64(long v) throws IOException {
      scratch.clear();
      scratch.putLong(v);
      out.write(scratch.array(), 0, 8);
      written += 8;
    }

    void string(String s) throws IOException {
      byte[] b = s.getBytes(StandardCharsets.UTF_8);
      u64(b.length);
      bytes(b);
    }

    void pad() throws IOException {
      long rest = align(written) - written;
      if (rest > 0) {
        bytes(new byte[(int) rest]);
      }
    }
  }
}
