package io.modelmux.djl;

import com.sun.jna.Library;
import com.sun.jna.Native;
import com.sun.jna.Platform;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Gives the C allocator's free memory back to the operating system after a model is unloaded.
 *
 * <p>libtorch allocates tensors with {@code malloc}. glibc keeps what is freed in its arenas for
 * reuse, one arena per thread that allocated: after a batched tiny LM's warm-up and unload
 * nearly all of its memory stayed resident (measured: 418 MB of 10 unloaded models' memory
 * until a trim). {@code malloc_trim(0)} returns every whole free page of every arena. Only
 * glibc on Linux has it; elsewhere, or if the call cannot be linked, this does nothing.
 */
final class NativeHeap {
  private static final Logger log = LoggerFactory.getLogger(NativeHeap.class);

  /** The part of the C library used here. */
  interface CLibrary extends Library {
    int malloc_trim(long pad);
  }

  private static volatile @Nullable CLibrary c;
  private static volatile boolean disabled = !Platform.isLinux();

  private NativeHeap() {}

  /**
   * Returns the C allocator's free pages to the operating system.
   *
   * @return whether a trim ran (false where there is none)
   */
  static boolean trim() {
    if (disabled) {
      return false;
    }
    try {
      CLibrary lib = c;
      if (lib == null) {
        lib = Native.load("c", CLibrary.class);
        c = lib;
      }
      lib.malloc_trim(0);
      return true;
    } catch (UnsatisfiedLinkError | NoClassDefFoundError | RuntimeException e) {
      disabled = true;
      log.info("the C library has no malloc_trim here ({}): memory freed by unloaded models stays with the"
          + " allocator for reuse", e.toString());
      return false;
    }
  }
}
