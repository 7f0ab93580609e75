package dev.jbuild.build.sandbox;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.io.OutputStream;
import java.io.Serializable;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The private protocol between a build and its sandbox worker over the worker's stdin and
 * stdout: length-prefixed frames, each one serialized message. Both ends are the same jar, so
 * Java serialization of these records is the whole format; several steps share the pipe,
 * told apart by their request id. {@link Data}, the bulk of it, has a frame of its own
 * ({@link #writeData}): the marker {@value #DATA_FRAME} in place of a length, the id, the
 * length and the bytes, which serializing copied four times over on the two sides.
 */
final class WorkerProtocol {
  private static final int MAX_FRAME = 64 << 20;
  private static final int DATA_FRAME = -1;

  private WorkerProtocol() {}

  /** Anything sent either way. */
  interface Message extends Serializable {}

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
      Map<String, byte[]> extra)
      implements Serializable {
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
  record LayerRef(String blob, String diffId, long step) implements Serializable {
    LayerRef(String blob, String diffId) {
      this(blob, diffId, 0);
    }

    /** The layer that step {@code step} announced with {@link Ran}. */
    static LayerRef early(long step) {
      return new LayerRef("", "", step);
    }
  }

  /** A here-document file. */
  record Pipe(String name, byte[] content, int mode) implements Serializable {}

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

  // ---- framing ----

  /** Writes one frame; callers serialize access. */
  static void write(DataOutputStream out, Message m) throws IOException {
    if (m instanceof Data) {
      Data d = (Data) m;
      writeData(out, d.id(), d.bytes(), 0, d.bytes().length);
      return;
    }
    java.io.ByteArrayOutputStream buf = new java.io.ByteArrayOutputStream(256);
    try (ObjectOutputStream oos = new ObjectOutputStream(buf)) {
      oos.writeObject(m);
    }
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
    try (ObjectInputStream ois = new ObjectInputStream(new java.io.ByteArrayInputStream(b))) {
      return (Message) ois.readObject();
    } catch (ClassNotFoundException | ClassCastException e) {
      throw new IOException("bad sandbox worker frame: " + e, e);
    }
  }

  static DataOutputStream output(OutputStream out) {
    return new DataOutputStream(new java.io.BufferedOutputStream(out, 1 << 16));
  }

  static DataInputStream input(InputStream in) {
    return new DataInputStream(new java.io.BufferedInputStream(in, 1 << 16));
  }
}
