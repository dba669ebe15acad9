package io.modelmux.llamacpp;

import de.kherud.llama.InferenceParameters;
import de.kherud.llama.LlamaIterator;
import de.kherud.llama.LlamaModel;
import de.kherud.llama.LlamaOutput;
import de.kherud.llama.ModelParameters;
import de.kherud.llama.Pair;
import de.kherud.llama.args.CacheType;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The process that holds one llama.cpp model for a {@code type: llamacpp} adapter. It connects
 * to the adapter's socket (its one argument), loads the model it is sent, and serves requests,
 * each on its own thread, so that llama.cpp's parallel slots decode them together. It exits
 * when the adapter says so or its socket closes, which is how the model's memory is freed: all
 * of it, at once (java-llama.cpp 4.2.0's {@code LlamaModel.close()} frees none of it, see
 * docs/ARCHITECTURE.md). llama.cpp's own log goes to this process's stdout and stderr, which
 * the adapter reads. Uses nothing but the JDK and java-llama.cpp.
 */
public final class Runner {
  private final DataInputStream in;
  private final DataOutputStream out;
  /** Requests being generated, by id: set to true to stop one. */
  private final Map<Integer, AtomicBoolean> running = new ConcurrentHashMap<>();
  /** Runs each request on a thread of its own (llama.cpp decodes them together), reused. */
  private final ExecutorService requests =
      Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "modelmux-llamacpp-request");
        t.setDaemon(true);
        return t;
      });
  private LlamaModel model;

  private Runner(SocketChannel channel) {
    this.in = new DataInputStream(new BufferedInputStream(Wire.input(channel), 1 << 16));
    this.out = new DataOutputStream(new BufferedOutputStream(Wire.output(channel), 1 << 16));
  }

  public static void main(String[] args) throws IOException {
    if (args.length != 1) {
      System.err.println("usage: Runner <socket path>");
      System.exit(2);
    }
    SocketChannel channel = SocketChannel.open(StandardProtocolFamily.UNIX);
    channel.connect(UnixDomainSocketAddress.of(Path.of(args[0])));
    try {
      new Runner(channel).serve();
    } finally {
      // the JNI library leaves non-daemon threads behind: leave at once
      Runtime.getRuntime().halt(0);
    }
  }

  private void serve() throws IOException {
    try {
      while (true) {
        byte op = in.readByte();
        switch (op) {
          case Wire.LOAD:
            load();
            break;
          case Wire.GENERATE:
            generate();
            break;
          case Wire.CANCEL: {
            // the request's own thread stops its iterator at its next piece: a thread waiting in
            // java-llama.cpp's receiveCompletion for a task cancelled from elsewhere waits for ever
            AtomicBoolean stop = running.get(in.readInt());
            if (stop != null) {
              stop.set(true);
            }
            break;
          }
          case Wire.ENCODE: {
            int id = in.readInt();
            String text = Wire.readString(in);
            int n = model.encode(text).length;
            synchronized (out) {
              out.writeByte(Wire.TOKENS);
              out.writeInt(id);
              out.writeInt(n);
              out.flush();
            }
            break;
          }
          case Wire.SHUTDOWN:
            return;
          default:
            throw new IOException("unknown frame " + op);
        }
      }
    } catch (EOFException gone) {
      // the adapter closed its end: the model is unloaded
    }
  }

  private void load() throws IOException {
    String path = Wire.readString(in);
    int context = in.readInt();
    int slots = in.readInt();
    int threads = in.readInt();
    int gpuLayers = in.readInt();
    int mainGpu = in.readInt();
    String kvType = Wire.readString(in);
    boolean jinja = in.readBoolean();
    try {
      ModelParameters p =
          new ModelParameters()
              .setModel(path)
              .setCtxSize(context)
              .setParallel(slots)
              .setThreads(threads)
              .setThreadsBatch(threads)
              .setGpuLayers(gpuLayers)
              .setMainGpu(mainGpu)
              .setCacheTypeK(CacheType.valueOf(kvType))
              .setCacheTypeV(CacheType.valueOf(kvType))
              .enableLogPrefix();
      if (jinja) {
        p.enableJinja();
      }
      model = new LlamaModel(p);
      synchronized (out) {
        out.writeByte(Wire.LOADED);
        out.flush();
      }
    } catch (RuntimeException | Error e) {
      // llama.cpp logs from a thread of its own: give it time to print why, which the adapter
      // puts in its message, before the adapter ends this process
      try {
        Thread.sleep(200);
      } catch (InterruptedException ie) {
        Thread.currentThread().interrupt();
      }
      error(0, String.valueOf(e.getMessage()));
    }
  }

  private void generate() throws IOException {
    int id = in.readInt();
    byte mode = in.readByte();
    boolean stream = mode == Wire.STREAM;
    String prompt = Wire.readString(in);
    int messages = in.readInt();
    StringBuilder systemText = new StringBuilder();
    List<Pair<String, String>> chat = new ArrayList<>();
    for (int i = 0; i < messages; i++) {
      String role = Wire.readString(in);
      String content = Wire.readString(in);
      if (role.equals("system")) {
        systemText.append(systemText.length() == 0 ? "" : "\n").append(content);
      } else {
        chat.add(new Pair<>(role, content));
      }
    }
    int nPredict = in.readInt();
    float temperature = in.readFloat();
    int topK = in.readInt();
    float topP = in.readFloat();
    long seed = in.readLong();
    int stops = in.readInt();
    String[] stop = new String[stops];
    for (int i = 0; i < stops; i++) {
      stop[i] = Wire.readString(in);
    }
    String text = prompt;
    requests.execute(
            () -> {
              try {
                String p = text;
                if (!chat.isEmpty() || messages > 0) {
                  InferenceParameters template = new InferenceParameters("");
                  template.setMessages(systemText.length() == 0 ? null : systemText.toString(), chat);
                  p = model.applyTemplate(template);
                }
                InferenceParameters params =
                    new InferenceParameters(p)
                        .setNPredict(nPredict)
                        .setTemperature(temperature)
                        .setTopK(topK)
                        .setTopP(topP)
                        .setCachePrompt(false);
                if (seed >= 0) {
                  params.setSeed((int) seed);
                }
                if (stop.length > 0) {
                  params.setStopStrings(stop);
                }
                int promptTokens = model.encode(p).length;
                int promptTokensCounted = promptTokens;
                if (mode == Wire.WHOLE) {
                  // nothing cancels it: one wait, one wake-up at the end (a CANCEL is ignored; the
                  // adapter has stopped listening and the slot finishes at its token limit)
                  String answer = model.complete(params);
                  if (!answer.isEmpty()) {
                    piece(id, answer);
                  }
                  done(id, promptTokensCounted, answer.isEmpty() ? 0 : model.encode(answer).length, false);
                  return;
                }
                StringBuilder all = new StringBuilder();
                AtomicBoolean stopped = new AtomicBoolean();
                running.put(id, stopped);
                LlamaIterator it = model.generate(params).iterator();
                try {
                  while (it.hasNext()) {
                    if (stopped.get()) {
                      it.cancel();
                      break;
                    }
                    LlamaOutput o = it.next();
                    if (!o.text.isEmpty()) {
                      all.append(o.text);
                      if (stream) {
                        piece(id, o.text);
                      }
                    }
                  }
                } finally {
                  running.remove(id);
                }
                if (!stream && all.length() > 0) {
                  piece(id, all.toString()); // a whole answer crosses the socket once, not a frame per token
                }
                done(id, promptTokens, all.length() == 0 ? 0 : model.encode(all.toString()).length, stopped.get());
              } catch (RuntimeException | Error e) {
                running.remove(id);
                try {
                  error(id, String.valueOf(e.getMessage()));
                } catch (IOException gone) {
                  // the adapter is gone
                }
              } catch (IOException gone) {
                // the adapter is gone
              }
            });
  }

  private void piece(int id, String text) throws IOException {
    synchronized (out) {
      out.writeByte(Wire.PIECE);
      out.writeInt(id);
      Wire.writeString(out, text);
      out.flush();
    }
  }

  private void done(int id, int promptTokens, int completionTokens, boolean cancelled) throws IOException {
    synchronized (out) {
      out.writeByte(Wire.DONE);
      out.writeInt(id);
      out.writeInt(promptTokens);
      out.writeInt(completionTokens);
      out.writeBoolean(cancelled);
      out.flush();
    }
  }

  private void error(int id, String message) throws IOException {
    synchronized (out) {
      out.writeByte(Wire.ERROR);
      out.writeInt(id);
      Wire.writeString(out, message);
      out.flush();
    }
  }
}
