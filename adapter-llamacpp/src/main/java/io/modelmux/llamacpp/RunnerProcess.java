package io.modelmux.llamacpp;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.BufferedReader;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.net.URISyntaxException;
import java.nio.channels.AsynchronousCloseException;
import java.nio.channels.ClosedByInterruptException;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One runner process ({@link Runner}) and the socket to it: starts it, sends it frames, hands
 * the frames it sends back to whoever waits for them, and pipes its log (llama.cpp's) into
 * SLF4J. {@link #close()} ends the process, which frees every byte the model took.
 */
final class RunnerProcess implements AutoCloseable {
  /** llama.cpp's log, as the runner prints it: DEBUG, errors at WARN. */
  static final Logger NATIVE_LOG = LoggerFactory.getLogger("io.modelmux.llamacpp.native");
  private static final Logger log = LoggerFactory.getLogger(RunnerProcess.class);
  private static final Pattern BUFFER = Pattern.compile("buffer size =\\s*([0-9.]+) MiB");
  private static final int LOG_LINES_KEPT = 40;

  /** Receives the frames of one request; called on the reader thread. */
  interface Receiver {
    void piece(String text);

    void done(int promptTokens, int completionTokens, boolean cancelled);

    void tokens(int count);

    void error(String message);

    /** The runner is gone; {@code why} says how. */
    void lost(String why);
  }

  private final String modelId;
  private final Process process;
  private final Path socketDir;
  private final SocketChannel channel;
  private final DataInputStream in;
  private final DataOutputStream out;
  private final Map<Integer, Receiver> receivers = new ConcurrentHashMap<>();
  private final ArrayDeque<String> lastLines = new ArrayDeque<>();
  private final Thread reader;
  private final Thread logPump;
  private volatile long reportedBufferBytes;
  private volatile boolean closing;
  private volatile @Nullable Consumer<String> loadListener; // LOADED ("") or load ERROR (message)
  private volatile @Nullable String lostWhy;

  private RunnerProcess(String modelId, Process process, Path socketDir, SocketChannel channel) {
    this.modelId = modelId;
    this.process = process;
    this.socketDir = socketDir;
    this.channel = channel;
    this.in = new DataInputStream(new BufferedInputStream(Wire.input(channel), 1 << 16));
    this.out = new DataOutputStream(new BufferedOutputStream(Wire.output(channel), 1 << 16));
    this.logPump = new Thread(this::pumpLog, "modelmux-llamacpp-log-" + modelId);
    this.reader = new Thread(this::read, "modelmux-llamacpp-reader-" + modelId);
  }

  /**
   * Starts a runner for {@code modelId} and waits until it connects.
   *
   * @throws IOException if it cannot be started or does not connect within {@code timeout}
   */
  static RunnerProcess start(String modelId, List<String> jvmOptions, Duration timeout) throws IOException {
    Path dir = Files.createTempDirectory("modelmux-llamacpp-"); // owner-only on POSIX
    Path socket = dir.resolve("s");
    ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
    Process process = null;
    try {
      server.bind(UnixDomainSocketAddress.of(socket));
      List<String> command = new ArrayList<>();
      command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
      command.addAll(jvmOptions);
      // java-llama.cpp extracts its native library into its temp directory, and first deletes
      // every file there whose name starts with "llama" or "jllama" (a user's llama-3.2-1b.gguf
      // too, and another runner's library while that one loads it): each runner gets its own
      command.add("-Dde.kherud.llama.tmpdir=" + dir);
      command.add("-cp");
      command.add(classPath());
      command.add(Runner.class.getName());
      command.add(socket.toString());
      process = new ProcessBuilder(command).redirectErrorStream(true).start();
      process.getOutputStream().close();
      // accept() waits; the runner's exit or the timeout, whichever comes first, ends the wait by
      // closing the listening socket (an interrupt of this thread closes it too)
      ServerSocketChannel listening = server;
      process.onExit().thenRun(() -> closeQuietly(listening));
      CompletableFuture.delayedExecutor(timeout.toNanos(), TimeUnit.NANOSECONDS).execute(() -> closeQuietly(listening));
      SocketChannel channel;
      try {
        channel = server.accept();
      } catch (ClosedByInterruptException e) {
        throw new IOException("interrupted while the llama.cpp runner started", e);
      } catch (AsynchronousCloseException e) {
        if (process.isAlive()) {
          throw new IOException("the llama.cpp runner did not connect within " + timeout, e);
        }
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
        throw new IOException("the llama.cpp runner exited with code " + process.exitValue() + " before it connected"
            + (output.isEmpty() ? "" : ": " + output), e);
      }
      RunnerProcess runner = new RunnerProcess(modelId, process, dir, channel);
      runner.logPump.setDaemon(true);
      runner.logPump.start();
      runner.reader.setDaemon(true);
      runner.reader.start();
      return runner;
    } catch (IOException | RuntimeException e) {
      if (process != null) {
        process.destroyForcibly();
      }
      deleteQuietly(dir);
      throw e;
    } finally {
      server.close();
      Files.deleteIfExists(socket);
    }
  }

  private static void closeQuietly(java.io.Closeable c) {
    try {
      c.close();
    } catch (IOException e) {
      // it was being abandoned
    }
  }

  /** The class path the runner needs: this module's classes and java-llama.cpp's. */
  static String classPath() throws IOException {
    Set<String> parts = new LinkedHashSet<>();
    for (Class<?> c : List.of(Runner.class, de.kherud.llama.LlamaModel.class)) {
      try {
        var source = c.getProtectionDomain().getCodeSource();
        if (source == null || source.getLocation() == null) {
          throw new IOException("cannot find where " + c.getName() + " was loaded from, to start the runner with it");
        }
        parts.add(Path.of(source.getLocation().toURI()).toString());
      } catch (URISyntaxException | IllegalArgumentException e) {
        throw new IOException("cannot start the runner from a class path entry that is not a file (" + c.getName()
            + " comes from " + c.getProtectionDomain().getCodeSource().getLocation() + ")", e);
      }
    }
    return String.join(java.io.File.pathSeparator, parts);
  }

  long pid() {
    return process.pid();
  }

  boolean isAlive() {
    return process.isAlive() && lostWhy == null;
  }

  /** Returns what llama.cpp reported it allocated (model, KV cache, compute, output buffers). */
  long reportedBufferBytes() {
    return reportedBufferBytes;
  }

  /** Returns the runner's resident memory, or -1 where the system does not say (not Linux). */
  long residentBytes() {
    Path status = Path.of("/proc", Long.toString(process.pid()), "status");
    try {
      for (String line : Files.readAllLines(status)) {
        if (line.startsWith("VmRSS:")) {
          return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
        }
      }
    } catch (IOException | RuntimeException e) {
      // not Linux, or the process is gone
    }
    return -1;
  }

  /** Returns llama.cpp's last log lines that say what went wrong (errors first), for a message. */
  String lastErrorLines() {
    List<String> lines;
    synchronized (lastLines) {
      lines = new ArrayList<>(lastLines);
    }
    List<String> errors = new ArrayList<>();
    for (String l : lines) {
      String lower = l.toLowerCase(java.util.Locale.ROOT);
      if (l.startsWith("E ") || lower.contains("error") || lower.contains("failed") || lower.contains("unknown")
          || lower.contains("exception") || lower.contains("abort") || lower.contains("assert")) {
        String clean = l.startsWith("E ") || l.startsWith("W ") ? l.substring(2) : l;
        if (!errors.contains(clean)) {
          errors.add(clean);
        }
      }
    }
    return errors.isEmpty() ? (lines.isEmpty() ? "" : lines.get(lines.size() - 1)) : String.join("; ", errors);
  }

  void onLoad(Consumer<String> listener) {
    loadListener = listener;
  }

  void sendLoad(String path, int context, int slots, int threads, int gpuLayers, int mainGpu, String kvType, boolean jinja)
      throws IOException {
    synchronized (out) {
      out.writeByte(Wire.LOAD);
      Wire.writeString(out, path);
      out.writeInt(context);
      out.writeInt(slots);
      out.writeInt(threads);
      out.writeInt(gpuLayers);
      out.writeInt(mainGpu);
      Wire.writeString(out, kvType.toUpperCase(java.util.Locale.ROOT));
      out.writeBoolean(jinja);
      out.flush();
    }
  }

  /** Sends a request; {@code receiver} gets its frames until done, error or loss. */
  void sendGenerate(int id, byte mode, Receiver receiver, String prompt, List<String[]> messages, int nPredict, float temperature,
      int topK, float topP, long seed, List<String> stops) throws IOException {
    register(id, receiver);
    synchronized (out) {
      out.writeByte(Wire.GENERATE);
      out.writeInt(id);
      out.writeByte(mode);
      Wire.writeString(out, prompt);
      out.writeInt(messages.size());
      for (String[] m : messages) {
        Wire.writeString(out, m[0]);
        Wire.writeString(out, m[1]);
      }
      out.writeInt(nPredict);
      out.writeFloat(temperature);
      out.writeInt(topK);
      out.writeFloat(topP);
      out.writeLong(seed);
      out.writeInt(stops.size());
      for (String s : stops) {
        Wire.writeString(out, s);
      }
      out.flush();
    }
  }

  void sendEncode(int id, Receiver receiver, String text) throws IOException {
    register(id, receiver);
    synchronized (out) {
      out.writeByte(Wire.ENCODE);
      out.writeInt(id);
      Wire.writeString(out, text);
      out.flush();
    }
  }

  private void register(int id, Receiver receiver) throws IOException {
    receivers.put(id, receiver);
    String why = lostWhy;
    if (why != null) {
      receivers.remove(id);
      throw new IOException(why);
    }
  }

  /** Asks the runner to stop request {@code id} at its next token. Quiet if the runner is gone. */
  void sendCancel(int id) {
    try {
      synchronized (out) {
        out.writeByte(Wire.CANCEL);
        out.writeInt(id);
        out.flush();
      }
    } catch (IOException e) {
      log.debug("model {}: could not cancel request {}: {}", modelId, id, e.toString());
    }
  }

  void forget(int id) {
    receivers.remove(id);
  }

  private void read() {
    try {
      while (true) {
        byte op = in.readByte();
        switch (op) {
          case Wire.LOADED:
            loaded("");
            break;
          case Wire.PIECE: {
            int id = in.readInt();
            String text = Wire.readString(in);
            Receiver r = receivers.get(id);
            if (r != null) {
              r.piece(text);
            }
            break;
          }
          case Wire.DONE: {
            int id = in.readInt();
            int prompt = in.readInt();
            int completion = in.readInt();
            boolean cancelled = in.readBoolean();
            Receiver r = receivers.remove(id);
            if (r != null) {
              r.done(prompt, completion, cancelled);
            }
            break;
          }
          case Wire.TOKENS: {
            int id = in.readInt();
            int count = in.readInt();
            Receiver r = receivers.remove(id);
            if (r != null) {
              r.tokens(count);
            }
            break;
          }
          case Wire.ERROR: {
            int id = in.readInt();
            String message = Wire.readString(in);
            if (id == 0) {
              loaded(message.isEmpty() ? "llama.cpp could not load the model" : message);
            } else {
              Receiver r = receivers.remove(id);
              if (r != null) {
                r.error(message);
              }
            }
            break;
          }
          default:
            throw new IOException("malformed frame " + op + " from the runner");
        }
      }
    } catch (IOException | RuntimeException e) {
      lose(e);
    }
  }

  private void loaded(String message) {
    Consumer<String> l = loadListener;
    if (l != null) {
      l.accept(message);
    }
  }

  private void lose(Exception e) {
    String why;
    if (closing) {
      why = "the model was unloaded";
    } else {
      try {
        process.waitFor(2, TimeUnit.SECONDS); // its last log lines arrive meanwhile
        logPump.join(500);
      } catch (InterruptedException ie) {
        Thread.currentThread().interrupt();
      }
      String lines = lastErrorLines();
      why = "the llama.cpp runner of model '" + modelId + "' (pid " + process.pid() + ") "
          + (process.isAlive() ? "broke its connection (" + e + ")" : "exited with code " + process.exitValue())
          + (lines.isEmpty() ? "" : "; llama.cpp said: " + lines);
      log.warn("model {}: {}", modelId, why);
    }
    lostWhy = why;
    loaded(why);
    for (Integer id : List.copyOf(receivers.keySet())) {
      Receiver r = receivers.remove(id);
      if (r != null) {
        r.lost(why);
      }
    }
  }

  private void pumpLog() {
    try (BufferedReader r = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
      String line;
      while ((line = r.readLine()) != null) {
        if (line.isBlank()) {
          continue;
        }
        synchronized (lastLines) {
          lastLines.addLast(line);
          if (lastLines.size() > LOG_LINES_KEPT) {
            lastLines.removeFirst();
          }
        }
        Matcher m = BUFFER.matcher(line);
        if (m.find()) {
          reportedBufferBytes += (long) (Double.parseDouble(m.group(1)) * (1 << 20));
        }
        if (line.contains("falling back to chatml")) {
          log.warn("model {}: llama.cpp cannot run the chat template in its GGUF and renders chat requests as ChatML"
              + " instead, which may not be what the model was trained on; send prompts, or fix the template ({})", modelId, line);
        } else if (line.startsWith("E ")) {
          NATIVE_LOG.warn("{}: {}", modelId, line.substring(2));
        } else {
          NATIVE_LOG.debug("{}: {}", modelId, line.startsWith("I ") || line.startsWith("W ") || line.startsWith("D ") ? line.substring(2) : line);
        }
      }
    } catch (IOException e) {
      // the process is gone
    }
  }

  /** Ends the runner: asks it to leave, then makes it. Every byte the model took is freed. */
  @Override
  public void close() {
    if (closing) {
      return;
    }
    closing = true;
    try {
      synchronized (out) {
        out.writeByte(Wire.SHUTDOWN);
        out.flush();
      }
    } catch (IOException e) {
      // gone already
    }
    try {
      channel.close();
    } catch (IOException e) {
      // nothing to do
    }
    try {
      if (!process.waitFor(5, TimeUnit.SECONDS)) {
        process.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
      }
      reader.join(1000);
      logPump.join(1000);
    } catch (InterruptedException e) {
      process.destroyForcibly();
      Thread.currentThread().interrupt();
    }
    deleteQuietly(socketDir);
  }

  /** Deletes the runner's directory: its socket and the native library it extracted there. */
  private static void deleteQuietly(Path dir) {
    try (var files = Files.list(dir)) {
      for (Path f : (Iterable<Path>) files::iterator) {
        Files.deleteIfExists(f);
      }
      Files.deleteIfExists(dir);
    } catch (IOException | java.io.UncheckedIOException e) {
      log.debug("could not delete {}", dir, e);
    }
  }
}
