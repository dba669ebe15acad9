package io.modelmux.djl;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * Decodes the arrays of a DJL {@code .params} file into memory that libtorch allocates and frees.
 *
 * <p>DJL's own decoding ({@code NDManager.decode}, i.e. {@code NDSerializer.decode}) copies each
 * array into a new {@code ByteBuffer.allocateDirect} and wraps it with {@code torch::from_blob}:
 * the tensor does not own that memory, and closing it only drops the reference, so the memory
 * comes back when the garbage collector next runs. It also allocates a 1 MiB {@code byte[]} per
 * array. Here each array is created by libtorch ({@code torch::empty}) and filled through a
 * direct view of its own memory ({@code toByteBuffer(true)}), so closing the model frees it at once.
 */
final class NativeArrayDecoder {
  private static final int CHUNK = 64 * 1024;

  private NativeArrayDecoder() {}

  /**
   * Returns {@code manager} with {@link NDManager#decode(InputStream)} replaced by {@link
   * #decode}; for {@code Block.loadParameters}, which hands the manager to each
   * {@code Parameter.load}.
   */
  static NDManager decodingInto(NDManager manager) {
    byte[] chunk = new byte[CHUNK];
    return (NDManager)
        Proxy.newProxyInstance(
            NDManager.class.getClassLoader(),
            new Class<?>[] {NDManager.class},
            (proxy, method, args) -> {
              if (isDecodeStream(method)) {
                InputStream in = (InputStream) args[0];
                return decode(manager, in instanceof DataInputStream ? (DataInputStream) in : new DataInputStream(in), chunk);
              }
              try {
                return method.invoke(manager, args);
              } catch (InvocationTargetException e) {
                throw e.getCause();
              }
            });
  }

  private static boolean isDecodeStream(Method m) {
    return m.getName().equals("decode")
        && m.getParameterCount() == 1
        && m.getParameterTypes()[0] == InputStream.class;
  }

  /** Reads one array in DJL's encoding (versions 1 to 3, as {@code NDSerializer} writes it). */
  static NDArray decode(NDManager manager, DataInputStream in, byte[] chunk) throws IOException {
    if (!"NDAR".equals(in.readUTF())) {
      throw new IOException("malformed array data: no NDAR header");
    }
    int version = in.readInt();
    if (version < 1 || version > 3) {
      throw new IOException("unexpected array encoding version " + version);
    }
    String name = null;
    if (version > 1 && in.readByte() == 1) {
      name = in.readUTF();
    }
    in.readUTF(); // sparse format; DJL ignores it too
    DataType dtype = DataType.valueOf(in.readUTF());
    Shape shape = Shape.decode(in);
    ByteOrder order = ByteOrder.nativeOrder();
    if (version > 2) {
      order = in.readByte() == '>' ? ByteOrder.BIG_ENDIAN : ByteOrder.LITTLE_ENDIAN;
    }
    int length = in.readInt();
    if (dtype == DataType.STRING || dtype.getNumOfBytes() == 0) {
      throw new IOException("cannot load an array of " + dtype + " as a parameter");
    }
    if (order != ByteOrder.nativeOrder()) {
      throw new IOException("the array was saved in " + order + " byte order; this machine is " + ByteOrder.nativeOrder());
    }
    if (length != shape.size() * dtype.getNumOfBytes()) {
      throw new IOException("array of shape " + shape + " and type " + dtype + " has " + length + " bytes");
    }
    Device device = manager.getDevice();
    try (NDManager scope = manager.newSubManager(Device.cpu())) {
      NDArray array = scope.create(shape, dtype); // torch::empty: libtorch owns the memory
      ByteBuffer target = array.toByteBuffer(true); // a view of that memory, not a copy
      if (!target.isDirect() || target.remaining() != length) {
        throw new IllegalStateException("no direct view of a new " + dtype + " array of shape " + shape);
      }
      for (int left = length; left > 0; ) {
        int n = Math.min(left, chunk.length);
        in.readFully(chunk, 0, n);
        target.put(chunk, 0, n);
        left -= n;
      }
      NDArray result = device.equals(Device.cpu()) ? array : array.toDevice(device, false);
      result.setName(name);
      result.attach(manager);
      return result;
    }
  }
}
