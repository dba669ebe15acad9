package io.modelmux.llamacpp;

import java.io.BufferedInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;

/**
 * What ModelMux reads of a GGUF file before llama.cpp sees it: the header, the metadata (arrays
 * are kept as their length only: a vocabulary of 150,000 tokens is not held twice), and each
 * tensor's name, type, shape and place. {@link #read} checks that the file is GGUF, is whole
 * (every tensor's data lies inside it) and is of a version llama.cpp reads, so that a bad file
 * gets a message that names the file and its problem rather than llama.cpp's "could not load".
 */
final class Gguf {
  static final int DEFAULT_ALIGNMENT = 32;
  static final int TYPE_F32 = 0;
  static final int VALUE_UINT8 = 0;
  static final int VALUE_INT8 = 1;
  static final int VALUE_UINT16 = 2;
  static final int VALUE_INT16 = 3;
  static final int VALUE_UINT32 = 4;
  static final int VALUE_INT32 = 5;
  static final int VALUE_FLOAT32 = 6;
  static final int VALUE_BOOL = 7;
  static final int VALUE_STRING = 8;
  static final int VALUE_ARRAY = 9;
  static final int VALUE_UINT64 = 10;
  static final int VALUE_INT64 = 11;
  static final int VALUE_FLOAT64 = 12;

  /**
   * ggml's tensor types as {values per block, bytes per block}, by type number (ggml.h); null
   * where ggml has no such type (removed ones).
   */
  private static final int[][] TYPE_SIZES = new int[40][];

  static {
    int[][] known = {
      {0, 1, 4}, {1, 1, 2}, {2, 32, 18}, {3, 32, 20}, {6, 32, 22}, {7, 32, 24}, {8, 32, 34},
      {9, 32, 36}, {10, 256, 84}, {11, 256, 110}, {12, 256, 144}, {13, 256, 176}, {14, 256, 210},
      {15, 256, 292}, {16, 256, 66}, {17, 256, 74}, {18, 256, 98}, {19, 256, 50}, {20, 32, 18},
      {21, 256, 110}, {22, 256, 82}, {23, 256, 136}, {24, 1, 1}, {25, 1, 2}, {26, 1, 4},
      {27, 1, 8}, {28, 1, 8}, {29, 256, 56}, {30, 1, 2}, {34, 256, 54}, {35, 256, 66},
    };
    for (int[] k : known) {
      TYPE_SIZES[k[0]] = new int[] {k[1], k[2]};
    }
  }

  /** One tensor's entry: its shape in GGUF order ({@code ne[0]} fastest). */
  record TensorInfo(String name, long[] ne, int type, long offset, long bytes) {}

  /** An array value's element type and length (its elements are not kept). */
  record ArrayInfo(int elementType, long length) {}

  private final String file;
  private final int version;
  private final Map<String, Object> metadata;
  private final List<TensorInfo> tensors;
  private final long dataOffset;
  private final long fileSize;

  private Gguf(String file, int version, Map<String, Object> metadata, List<TensorInfo> tensors, long dataOffset, long fileSize) {
    this.file = file;
    this.version = version;
    this.metadata = Collections.unmodifiableMap(metadata);
    this.tensors = List.copyOf(tensors);
    this.dataOffset = dataOffset;
    this.fileSize = fileSize;
  }

  /** A GGUF file that cannot be used; the message names the file and the problem. */
  static final class BadFileException extends IOException {
    private static final long serialVersionUID = 1L;

    BadFileException(String message) {
      super(message);
    }
  }

  /**
   * Reads and checks {@code file}'s header, metadata and tensor table.
   *
   * @throws NoSuchFileException if there is no such file
   * @throws BadFileException if it is not GGUF, is cut short, or is of an unknown version
   * @throws IOException if it cannot be read
   */
  static Gguf read(Path file) throws IOException {
    if (!Files.exists(file)) {
      throw new NoSuchFileException(file.toString(), null, "no such file");
    }
    if (!Files.isRegularFile(file)) {
      throw new BadFileException(file + " is not a file");
    }
    return read(Files.newInputStream(file), file.toString(), Files.size(file));
  }

  /**
   * Reads and checks a GGUF file's header, metadata and tensor table from {@code in} (closed
   * after), named {@code file} in messages, whose whole length is {@code size}: a class path
   * resource is read in place, not copied out first.
   */
  static Gguf read(InputStream in, String file, long size) throws IOException {
    try (Reader r = new Reader(new BufferedInputStream(in, 1 << 16), file, size)) {
      byte[] magic = r.bytes(4, "the magic number");
      if (magic[0] != 'G' || magic[1] != 'G' || magic[2] != 'U' || magic[3] != 'F') {
        throw new BadFileException(
            file + " is not a GGUF file: it starts with " + describe(magic) + ", not \"GGUF\"");
      }
      int version = (int) r.u32("the version");
      if (version < 2 || version > 3) {
        throw new BadFileException(
            file + " is GGUF version " + version + "; llama.cpp reads versions 2 and 3");
      }
      long tensorCount = r.u64("the tensor count");
      long kvCount = r.u64("the metadata count");
      if (tensorCount < 0 || tensorCount > size / 8 || kvCount < 0 || kvCount > size / 8) {
        throw new BadFileException(
            file + " is not a valid GGUF file: it claims " + tensorCount + " tensors and " + kvCount
                + " metadata keys in " + size + " bytes");
      }
      Map<String, Object> metadata = new LinkedHashMap<>();
      for (long i = 0; i < kvCount; i++) {
        String key = r.string("metadata key " + i);
        int type = (int) r.u32("the type of " + key);
        metadata.put(key, r.value(type, key));
      }
      long alignment = DEFAULT_ALIGNMENT;
      Object a = metadata.get("general.alignment");
      if (a instanceof Number) {
        alignment = ((Number) a).longValue();
        if (alignment <= 0 || (alignment & (alignment - 1)) != 0) {
          throw new BadFileException(file + ": general.alignment " + alignment + " is not a power of two");
        }
      }
      List<TensorInfo> tensors = new ArrayList<>();
      for (long i = 0; i < tensorCount; i++) {
        String name = r.string("the name of tensor " + i);
        int dims = (int) r.u32("the dimensions of " + name);
        if (dims < 1 || dims > 4) {
          throw new BadFileException(file + ": tensor " + name + " has " + dims + " dimensions; GGUF allows 1 to 4");
        }
        long[] ne = new long[dims];
        long count = 1;
        for (int d = 0; d < dims; d++) {
          ne[d] = r.u64("the shape of " + name);
          if (ne[d] < 0 || (ne[d] > 0 && count > Long.MAX_VALUE / ne[d])) {
            throw new BadFileException(file + ": tensor " + name + " has an impossible shape");
          }
          count *= ne[d];
        }
        int type = (int) r.u32("the type of " + name);
        long offset = r.u64("the offset of " + name);
        long bytes = tensorBytes(file, name, type, ne[0], count);
        tensors.add(new TensorInfo(name, ne, type, offset, bytes));
      }
      long dataOffset = (r.position() + alignment - 1) / alignment * alignment;
      for (TensorInfo t : tensors) {
        long end = dataOffset + t.offset() + t.bytes();
        if (t.offset() < 0 || end > size || end < 0) {
          throw new BadFileException(
              file + " is truncated: tensor " + t.name() + "'s data ends at byte " + end + " but the file has "
                  + size + " bytes (an unfinished download or copy?)");
        }
      }
      return new Gguf(file, version, metadata, tensors, dataOffset, size);
    }
  }

  private static long tensorBytes(String file, String name, int type, long rowLength, long count) throws BadFileException {
    int[] size = type >= 0 && type < TYPE_SIZES.length ? TYPE_SIZES[type] : null;
    if (size == null) {
      throw new BadFileException(
          file + ": tensor " + name + " has ggml type " + type + ", which this llama.cpp build does not know");
    }
    if (rowLength % size[0] != 0) {
      throw new BadFileException(
          file + ": tensor " + name + "'s rows (" + rowLength + ") are not a multiple of its type's block of " + size[0]);
    }
    return count / size[0] * size[1];
  }

  private static String describe(byte[] b) {
    StringBuilder sb = new StringBuilder("bytes");
    for (byte x : b) {
      sb.append(String.format(" %02x", x & 0xFF));
    }
    return sb.toString();
  }

  /** Returns what was read: a file's path or a class path resource's name. */
  String file() {
    return file;
  }

  int version() {
    return version;
  }

  Map<String, Object> metadata() {
    return metadata;
  }

  List<TensorInfo> tensors() {
    return tensors;
  }

  /** Returns where the tensor data starts. */
  long dataOffset() {
    return dataOffset;
  }

  long fileSize() {
    return fileSize;
  }

  /** Returns the bytes of every tensor's data together. */
  long tensorBytes() {
    long sum = 0;
    for (TensorInfo t : tensors) {
      sum += t.bytes();
    }
    return sum;
  }

  /** Returns {@code general.architecture}, or null. */
  String architecture() {
    Object v = metadata.get("general.architecture");
    return v instanceof String ? (String) v : null;
  }

  /** Returns an integer key, or empty when absent or not a number. */
  OptionalLong integer(String key) {
    Object v = metadata.get(key);
    return v instanceof Long || v instanceof Integer ? OptionalLong.of(((Number) v).longValue()) : OptionalLong.empty();
  }

  /** Returns an architecture's key ({@code <architecture>.<name>}) as an integer. */
  OptionalLong archInteger(String name) {
    String arch = architecture();
    return arch == null ? OptionalLong.empty() : integer(arch + "." + name);
  }

  /** Returns a string key, or null. */
  String string(String key) {
    Object v = metadata.get(key);
    return v instanceof String ? (String) v : null;
  }

  /** Reads little-endian GGUF values, checking lengths against the file's size. */
  private static final class Reader implements AutoCloseable {
    private final InputStream in;
    private final String file;
    private final long size;
    private final byte[] scratch = new byte[8];
    private long position;

    Reader(InputStream in, String file, long size) {
      this.in = in;
      this.file = file;
      this.size = size;
    }

    long position() {
      return position;
    }

    byte[] bytes(int n, String what) throws IOException {
      byte[] b = new byte[n];
      fill(b, n, what);
      return b;
    }

    private void fill(byte[] b, int n, String what) throws IOException {
      int done = 0;
      while (done < n) {
        int got = in.read(b, done, n - done);
        if (got < 0) {
          throw new BadFileException(
              file + " is truncated: it ends at byte " + (position + done) + " while reading " + what
                  + " (an unfinished download or copy?)");
        }
        done += got;
      }
      position += n;
    }

    long u32(String what) throws IOException {
      fill(scratch, 4, what);
      return (scratch[0] & 0xFFL) | (scratch[1] & 0xFFL) << 8 | (scratch[2] & 0xFFL) << 16 | (scratch[3] & 0xFFL) << 24;
    }

    long u64(String what) throws IOException {
      fill(scratch, 8, what);
      long v = 0;
      for (int i = 7; i >= 0; i--) {
        v = v << 8 | (scratch[i] & 0xFFL);
      }
      return v;
    }

    String string(String what) throws IOException {
      long n = u64(what);
      if (n < 0 || n > size - position) {
        throw new BadFileException(
            file + (n > size ? " is not a valid GGUF file" : " is truncated")
                + ": a string of " + n + " bytes at byte " + position + " (" + what + ") does not fit in its "
                + size + " bytes");
      }
      return new String(bytes((int) n, what), StandardCharsets.UTF_8);
    }

    void skip(long n, String what) throws IOException {
      if (n < 0 || n > size - position) {
        throw new BadFileException(
            file + " is truncated: " + what + " needs " + n + " bytes at byte " + position + " of " + size);
      }
      long left = n;
      while (left > 0) {
        long s = in.skip(left);
        if (s <= 0) {
          if (in.read() < 0) {
            throw new EOFException(file + ": unexpected end while reading " + what);
          }
          s = 1;
        }
        left -= s;
      }
      position += n;
    }

    Object value(int type, String key) throws IOException {
      switch (type) {
        case VALUE_UINT8:
          return (long) (bytes(1, key)[0] & 0xFF);
        case VALUE_INT8:
          return (long) bytes(1, key)[0];
        case VALUE_UINT16: {
          byte[] b = bytes(2, key);
          return (long) ((b[0] & 0xFF) | (b[1] & 0xFF) << 8);
        }
        case VALUE_INT16: {
          byte[] b = bytes(2, key);
          return (long) (short) ((b[0] & 0xFF) | (b[1] & 0xFF) << 8);
        }
        case VALUE_UINT32:
          return u32(key);
        case VALUE_INT32:
          return (long) (int) u32(key);
        case VALUE_FLOAT32:
          return (double) Float.intBitsToFloat((int) u32(key));
        case VALUE_BOOL:
          return bytes(1, key)[0] != 0;
        case VALUE_STRING:
          return string(key);
        case VALUE_UINT64:
        case VALUE_INT64:
          return u64(key);
        case VALUE_FLOAT64:
          return Double.longBitsToDouble(u64(key));
        case VALUE_ARRAY: {
          int element = (int) u32(key);
          long length = u64(key);
          if (length < 0 || length > size) {
            throw new BadFileException(file + " is not a valid GGUF file: array " + key + " claims " + length + " elements");
          }
          if (element == VALUE_STRING) {
            for (long i = 0; i < length; i++) {
              skip(u64(key), key);
            }
          } else {
            int width = width(element, key);
            skip(length * width, key);
          }
          return new ArrayInfo(element, length);
        }
        default:
          throw new BadFileException(
              file + " is not a valid GGUF file: metadata key " + key + " has unknown value type " + type);
      }
    }

    private int width(int type, String key) throws BadFileException {
      switch (type) {
        case VALUE_UINT8:
        case VALUE_INT8:
        case VALUE_BOOL:
          return 1;
        case VALUE_UINT16:
        case VALUE_INT16:
          return 2;
        case VALUE_UINT32:
        case VALUE_INT32:
        case VALUE_FLOAT32:
          return 4;
        case VALUE_UINT64:
        case VALUE_INT64:
        case VALUE_FLOAT64:
          return 8;
        default:
          throw new BadFileException(file + " is not a valid GGUF file: array " + key + " has elements of type " + type);
      }
    }

    @Override
    public void close() throws IOException {
      in.close();
    }
  }
}
