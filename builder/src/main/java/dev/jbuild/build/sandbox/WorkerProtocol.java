package dev.jbuild.build.sandbox;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The private protocol between a build and its sandbox worker over the worker's stdin and
 * stdout: length-prefixed frames, each one message: a tag byte, then its fields in order
 * ({@link DataOutputStream}'s encodings; strings as a length and UTF-8, -1 for null). Both ends
 * are the same jar, so the format has no versions. Several steps share the pipe, told apart by
 * their request id. {@link Data}, the bulk of it, has a frame of its own ({@link #writeData}):
 * the marker {@value #DATA_FRAME} in place of a length, the id, the length and the bytes.
 *
 * <p>Written by hand rather than with Java serialization, which this format was until it
 * showed up on the first RUN step's critical path: deserializing records makes the JDK spin
 * method-handle chains per record class, 60 ms of the worker's first request and 25 ms of the
 * build's first answer, in JVMs that had just started.
 */
final class WorkerProtocol {
  private static final int MAX_FRAME = 64 << 20;
  private static final int DATA_FRAME = -1;

  private WorkerProtocol() {}

  /** Anything sent either way. */
  interface Message {}

  // ---- build → worker ----

  /**
   * Run one step.
   *
   * @param id the request id, unique per worker
   * @param step what to run
   * @param early whether to answer {@link Ran} as soon as the process succeeded and its changes
   *     can be stacked by the next step, before the layer is written (issue 5/7)
   */
  record RunRequest(long id, StepSpec step, boolean early) implements Message {
    RunRequest(long id, StepSpec step) {
      this(id, step, false);
    }
  }

  /**
   * Extract these layers (bottom first) now, in the background: a stage's base, sent while the
   * build still works towards its first RUN. No answer; a failure is left for the step that
   * needs the layer (it extracts again and reports it).
   */
  record Extract(List<LayerRef> layers) implements Message {
    Extract {
      layers = List.copyOf(layers);
    }
  }

  /**
   * Extract these layers (bottom first) and answer {@link Unpacked} when all of them are, or
   * {@link Failed}: {@code jbuild pull}, which leaves an image ready for RUN steps as {@code
   * docker pull} and {@code buildah pull} do.
   */
  record Unpack(long id, List<LayerRef> layers) implements Message {
    Unpack {
      layers = List.copyOf(layers);
    }
  }

  /** Kill the step's processes; the worker answers with {@link Failed}. */
  record Cancel(long id) implements Message {}

  /**
   * Remove leftovers of killed builds: run directories no live worker holds, and extracted
   * layers whose diffID is not in {@code keepDiffIds}, that were not used for {@code
   * graceMillis} and whose blob is gone from the store (with a grace of 0: every extracted
   * layer not in {@code keepDiffIds}). With {@code cacheMounts}, also every {@code RUN
   * --mount=type=cache} directory no build holds.
   */
  record PruneRequest(long id, List<String> keepDiffIds, long graceMillis, boolean cacheMounts)
      implements Message {
    PruneRequest {
      keepDiffIds = List.copyOf(keepDiffIds);
    }
  }

  /**
   * One step as the worker needs it: plain values only (mounts as their spec text, parsed
   * again in the worker).
   *
   * @param args argument vector
   * @param env environment, {@code KEY=VALUE}
   * @param user USER (empty: root)
   * @param workdir absolute working directory
   * @param layers the stage's layers, bottom first
   * @param mounts {@code --mount} specs, expanded
   * @param network {@code default}, {@code none} or {@code host}
   * @param pipes here-documents for {@code /dev/pipes/}
   * @param compression layer compression name ({@code gzip}, {@code zstd}, {@code none})
   * @param level compression level
   * @param epochSeconds SOURCE_DATE_EPOCH, or {@code Long.MIN_VALUE} when unset
   * @param resolvedMounts the engine's {@link ResolvedMount}s ({@link ResolvedMount#writeAll})
   * @param extra values a {@link RunPreparation} added in the build's process
   */
  record StepSpec(
      List<String> args,
      List<String> env,
      String user,
      String workdir,
      List<LayerRef> layers,
      List<String> mounts,
      String network,
      List<Pipe> pipes,
      String compression,
      int level,
      long epochSeconds,
      byte[] resolvedMounts,
      Map<String, byte[]> extra) {
    StepSpec {
      args = List.copyOf(args);
      env = List.copyOf(env);
      Objects.requireNonNull(user, "user");
      Objects.requireNonNull(workdir, "workdir");
      layers = List.copyOf(layers);
      mounts = List.copyOf(mounts);
      pipes = List.copyOf(pipes);
      extra = Map.copyOf(extra);
    }
  }

  /**
   * A layer blob (its path in the blob store) and its diffID ({@code sha256:…}); or, with a
   * {@code step} id other than 0, the layer that the worker's step of that id is still writing,
   * whose changes it announced with {@link Ran} (blob and diffID are empty then).
   */
  record LayerRef(String blob, String diffId, long step) {
    LayerRef(String blob, String diffId) {
      this(blob, diffId, 0);
    }

    /** The layer that step {@code step} announced with {@link Ran}. */
    static LayerRef early(long step) {
      return new LayerRef("", "", step);
    }
  }

  /** A here-document file. */
  record Pipe(String name, byte[] content, int mode) {}

  // ---- worker → build ----

  /**
   * The worker is up.
   *
   * @param overlay whether overlayfs can be mounted here
   * @param overlayProblem why not, when it cannot
   * @param mappedIds how many uids the worker's user namespace maps (0: not in one)
   */
  record Ready(boolean overlay, String overlayProblem, long mappedIds) implements Message {}

  /** One line of a step's output. */
  record Output(long id, String line) implements Message {}

  /**
   * The step's process succeeded and its changes are frozen: a later step may stack them as
   * {@link LayerRef#early} now. The layer follows as {@link Data}, then {@link Done} or {@link
   * Failed} (when writing it fails).
   */
  record Ran(long id) implements Message {}

  /** A chunk of the step's layer blob. */
  record Data(long id, byte[] bytes) implements Message {}

  /**
   * The step succeeded; its layer was sent as {@link Data}.
   *
   * @param snapshotMillis how long writing the layer took
   * @param headerIndex the layer's header index as recorded while writing it ({@link
   *     dev.jbuild.layer.LayerHeaders.Recorder#toBytes}), or null
   */
  record Done(long id, String diffId, String digest, long size, String mediaType,
      long snapshotMillis, byte[] headerIndex) implements Message {}

  /**
   * The step failed.
   *
   * @param exitCode the process's exit code, or -1 when it did not run or was killed
   * @param message what went wrong (for exit codes: empty; the build writes the message)
   * @param tail the last lines of the process's output
   */
  record Failed(long id, int exitCode, String message, List<String> tail) implements Message {
    Failed {
      tail = List.copyOf(tail);
    }
  }

  /** A prune finished. */
  record Pruned(long id, int runDirs, int layers, int cacheMounts, long bytes) implements Message {}

  /** The answer to {@link Unpack}: every layer is extracted; {@code extracted} of them now. */
  record Unpacked(long id, int extracted) implements Message {}

  // ---- framing ----

  /** Writes one frame; callers serialize access. */
  static void write(DataOutputStream out, Message m) throws IOException {
    if (m instanceof Data) {
      Data d = (Data) m;
      writeData(out, d.id(), d.bytes(), 0, d.bytes().length);
      return;
    }
    java.io.ByteArrayOutputStream buf = new java.io.ByteArrayOutputStream(256);
    encode(new DataOutputStream(buf), m);
    out.writeInt(buf.size());
    buf.writeTo(out);
    out.flush();
  }

  /**
   * Writes {@code len} bytes of step {@code id}'s layer blob as a {@link Data} frame; callers
   * serialize access.
   */
  static void writeData(DataOutputStream out, long id, byte[] b, int off, int len)
      throws IOException {
    out.writeInt(DATA_FRAME);
    out.writeLong(id);
    out.writeInt(len);
    out.write(b, off, len);
    out.flush();
  }

  /** Reads one frame, or null at the end of the stream. */
  static Message read(DataInputStream in) throws IOException {
    int size;
    try {
      size = in.readInt();
    } catch (EOFException e) {
      return null;
    }
    if (size == DATA_FRAME) {
      long id = in.readLong();
      int len = in.readInt();
      if (len < 0 || len > MAX_FRAME) {
        throw new IOException("bad sandbox worker data frame of " + len + " bytes");
      }
      byte[] b = new byte[len];
      in.readFully(b);
      return new Data(id, b);
    }
    if (size < 0 || size > MAX_FRAME) {
      throw new IOException("bad sandbox worker frame of " + size + " bytes");
    }
    byte[] b = new byte[size];
    in.readFully(b);
    DataInputStream frame = new DataInputStream(new java.io.ByteArrayInputStream(b));
    Message m;
    try {
      m = decode(frame);
    } catch (EOFException | RuntimeException e) {
      throw new IOException("bad sandbox worker frame: " + e, e);
    }
    if (frame.available() != 0) {
      throw new IOException("bad sandbox worker frame: " + frame.available()
          + " bytes after its " + m.getClass().getSimpleName());
    }
    return m;
  }

  // ---- the messages' encoding ----

  private static final byte RUN_REQUEST = 1;
  private static final byte EXTRACT = 2;
  private static final byte CANCEL = 3;
  private static final byte PRUNE_REQUEST = 4;
  private static final byte READY = 5;
  private static final byte OUTPUT = 6;
  private static final byte RAN = 7;
  private static final byte DONE = 8;
  private static final byte FAILED = 9;
  private static final byte PRUNED = 10;
  private static final byte UNPACK = 11;
  private static final byte UNPACKED = 12;

  private static void encode(DataOutputStream out, Message m) throws IOException {
    if (m instanceof RunRequest) {
      RunRequest r = (RunRequest) m;
      out.writeByte(RUN_REQUEST);
      out.writeLong(r.id());
      writeSpec(out, r.step());
      out.writeBoolean(r.early());
    } else if (m instanceof Extract) {
      out.writeByte(EXTRACT);
      writeLayers(out, ((Extract) m).layers());
    } else if (m instanceof Unpack) {
      out.writeByte(UNPACK);
      out.writeLong(((Unpack) m).id());
      writeLayers(out, ((Unpack) m).layers());
    } else if (m instanceof Unpacked) {
      out.writeByte(UNPACKED);
      out.writeLong(((Unpacked) m).id());
      out.writeInt(((Unpacked) m).extracted());
    } else if (m instanceof Cancel) {
      out.writeByte(CANCEL);
      out.writeLong(((Cancel) m).id());
    } else if (m instanceof PruneRequest) {
      PruneRequest p = (PruneRequest) m;
      out.writeByte(PRUNE_REQUEST);
      out.writeLong(p.id());
      writeStrings(out, p.keepDiffIds());
      out.writeLong(p.graceMillis());
      out.writeBoolean(p.cacheMounts());
    } else if (m instanceof Ready) {
      Ready r = (Ready) m;
      out.writeByte(READY);
      out.writeBoolean(r.overlay());
      writeString(out, r.overlayProblem());
      out.writeLong(r.mappedIds());
    } else if (m instanceof Output) {
      Output o = (Output) m;
      out.writeByte(OUTPUT);
      out.writeLong(o.id());
      writeString(out, o.line());
    } else if (m instanceof Ran) {
      out.writeByte(RAN);
      out.writeLong(((Ran) m).id());
    } else if (m instanceof Done) {
      Done d = (Done) m;
      out.writeByte(DONE);
      out.writeLong(d.id());
      writeString(out, d.diffId());
      writeString(out, d.digest());
      out.writeLong(d.size());
      writeString(out, d.mediaType());
      out.writeLong(d.snapshotMillis());
      writeBytes(out, d.headerIndex());
    } else if (m instanceof Failed) {
      Failed f = (Failed) m;
      out.writeByte(FAILED);
      out.writeLong(f.id());
      out.writeInt(f.exitCode());
      writeString(out, f.message());
      writeStrings(out, f.tail());
    } else if (m instanceof Pruned) {
      Pruned p = (Pruned) m;
      out.writeByte(PRUNED);
      out.writeLong(p.id());
      out.writeInt(p.runDirs());
      out.writeInt(p.layers());
      out.writeInt(p.cacheMounts());
      out.writeLong(p.bytes());
    } else {
      throw new IllegalArgumentException("not a sandbox worker message: " + m);
    }
  }

  private static Message decode(DataInputStream in) throws IOException {
    byte tag = in.readByte();
    switch (tag) {
      case RUN_REQUEST:
        return new RunRequest(in.readLong(), readSpec(in), in.readBoolean());
      case EXTRACT:
        return new Extract(readLayers(in));
      case UNPACK:
        return new Unpack(in.readLong(), readLayers(in));
      case UNPACKED:
        return new Unpacked(in.readLong(), in.readInt());
      case CANCEL:
        return new Cancel(in.readLong());
      case PRUNE_REQUEST:
        return new PruneRequest(in.readLong(), readStrings(in), in.readLong(), in.readBoolean());
      case READY:
        return new Ready(in.readBoolean(), readString(in), in.readLong());
      case OUTPUT:
        return new Output(in.readLong(), readString(in));
      case RAN:
        return new Ran(in.readLong());
      case DONE:
        return new Done(in.readLong(), readString(in), readString(in), in.readLong(),
            readString(in), in.readLong(), readBytes(in));
      case FAILED:
        return new Failed(in.readLong(), in.readInt(), readString(in), readStrings(in));
      case PRUNED:
        return new Pruned(in.readLong(), in.readInt(), in.readInt(), in.readInt(), in.readLong());
      default:
        throw new IOException("bad sandbox worker frame: unknown message " + tag);
    }
  }

  private static void writeSpec(DataOutputStream out, StepSpec s) throws IOException {
    writeStrings(out, s.args());
    writeStrings(out, s.env());
    writeString(out, s.user());
    writeString(out, s.workdir());
    writeLayers(out, s.layers());
    writeStrings(out, s.mounts());
    writeString(out, s.network());
    out.writeInt(s.pipes().size());
    for (Pipe p : s.pipes()) {
      writeString(out, p.name());
      writeBytes(out, p.content());
      out.writeInt(p.mode());
    }
    writeString(out, s.compression());
    out.writeInt(s.level());
    out.writeLong(s.epochSeconds());
    writeBytes(out, s.resolvedMounts());
    out.writeInt(s.extra().size());
    for (Map.Entry<String, byte[]> e : s.extra().entrySet()) {
      writeString(out, e.getKey());
      writeBytes(out, e.getValue());
    }
  }

  private static StepSpec readSpec(DataInputStream in) throws IOException {
    List<String> args = readStrings(in);
    List<String> env = readStrings(in);
    String user = readString(in);
    String workdir = readString(in);
    List<LayerRef> layers = readLayers(in);
    List<String> mounts = readStrings(in);
    String network = readString(in);
    int n = count(in);
    List<Pipe> pipes = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      pipes.add(new Pipe(readString(in), readBytes(in), in.readInt()));
    }
    String compression = readString(in);
    int level = in.readInt();
    long epochSeconds = in.readLong();
    byte[] resolvedMounts = readBytes(in);
    n = count(in);
    Map<String, byte[]> extra = new LinkedHashMap<>();
    for (int i = 0; i < n; i++) {
      extra.put(readString(in), readBytes(in));
    }
    return new StepSpec(args, env, user, workdir, layers, mounts, network, pipes, compression,
        level, epochSeconds, resolvedMounts, extra);
  }

  private static void writeLayers(DataOutputStream out, List<LayerRef> layers) throws IOException {
    out.writeInt(layers.size());
    for (LayerRef l : layers) {
      writeString(out, l.blob());
      writeString(out, l.diffId());
      out.writeLong(l.step());
    }
  }

  private static List<LayerRef> readLayers(DataInputStream in) throws IOException {
    int n = count(in);
    List<LayerRef> layers = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      layers.add(new LayerRef(readString(in), readString(in), in.readLong()));
    }
    return layers;
  }

  private static void writeStrings(DataOutputStream out, List<String> strings) throws IOException {
    out.writeInt(strings.size());
    for (String s : strings) {
      writeString(out, s);
    }
  }

  private static List<String> readStrings(DataInputStream in) throws IOException {
    int n = count(in);
    List<String> strings = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      strings.add(readString(in));
    }
    return strings;
  }

  /** A string as its UTF-8 bytes ({@link DataOutputStream#writeUTF} stops at 64 KiB). */
  private static void writeString(DataOutputStream out, String s) throws IOException {
    writeBytes(out, s == null ? null : s.getBytes(StandardCharsets.UTF_8));
  }

  private static String readString(DataInputStream in) throws IOException {
    byte[] b = readBytes(in);
    return b == null ? null : new String(b, StandardCharsets.UTF_8);
  }

  private static void writeBytes(DataOutputStream out, byte[] b) throws IOException {
    if (b == null) {
      out.writeInt(-1);
      return;
    }
    out.writeInt(b.length);
    out.write(b);
  }

  private static byte[] readBytes(DataInputStream in) throws IOException {
    int n = in.readInt();
    if (n == -1) {
      return null;
    }
    if (n < 0 || n > in.available()) {
      throw new IOException("bad sandbox worker frame: a field of " + n + " bytes");
    }
    byte[] b = new byte[n];
    in.readFully(b);
    return b;
  }

  /** A list's length, which cannot be more than the bytes left of the frame. */
  private static int count(DataInputStream in) throws IOException {
    int n = in.readInt();
    if (n < 0 || n > in.available()) {
      throw new IOException("bad sandbox worker frame: a list of " + n + " elements");
    }
    return n;
  }

  static DataOutputStream output(OutputStream out) {
    return new DataOutputStream(new java.io.BufferedOutputStream(out, 1 << 16));
  }

  static DataInputStream input(InputStream in) {
    return new DataInputStream(new java.io.BufferedInputStream(in, 1 << 16));
  }
}
