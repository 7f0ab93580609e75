package dev.jbuild.build.sandbox;

import dev.jbuild.layer.LayerBlob;
import dev.jbuild.layer.LayerWriter;
import java.io.Closeable;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Path;
import java.util.List;

/**
 * How the worker makes a step's root filesystem and turns the step's changes into a layer:
 * the seam between the RUN machinery and the snapshotting strategy (overlayfs, or a copy of
 * the root filesystem diffed by walking). The worker calls, per step: {@link #prepare}, then
 * sets up {@code /dev}, the generated {@code /etc} files and the {@code --mount}s inside
 * {@link RootFs#root()}, runs the process, undoes those mounts and removes the mount points it
 * created, then calls {@link RootFs#writeLayer} and finally {@link RootFs#close}.
 *
 * <p>Every implementation must give the same layer bytes for the same step: the entries an
 * overlayfs upper dir holds after the step, except directories that are there only because
 * they were copied up and hold no change (empty afterwards, not opaque, and mode, owner, mtime
 * and xattrs equal to the directory they cover; see {@link CopiedUpDirs}), as BuildKit's
 * overlay differ leaves out unchanged directories.
 */
interface Snapshotter {

  /** The name {@code --snapshotter} selects it by. */
  String name();

  /**
   * Makes a writable root filesystem holding the layers (bottom first) in {@code runDir}, an
   * empty directory owned by this step (deleted by the worker after {@link RootFs#close}).
   */
  RootFs prepare(List<WorkerProtocol.LayerRef> layers, Path runDir) throws IOException;

  /**
   * As {@link #prepare(List, Path)}, where the layers given as {@link
   * WorkerProtocol.LayerRef#early} are the directories in {@code early} (by step id): {@link
   * FrozenUpper}s of this snapshotter's {@link RootFs#freeze}. The default has none.
   */
  default RootFs prepare(List<WorkerProtocol.LayerRef> layers, java.util.Map<Long, Path> early,
      Path runDir) throws IOException {
    if (!early.isEmpty()) {
      throw new IllegalStateException(name() + " snapshotter given frozen upper dirs");
    }
    return prepare(layers, runDir);
  }

  /** A prepared root filesystem. */
  interface RootFs extends Closeable {

    /** The directory the process sees as {@code /}. */
    Path root();

    /**
     * Writes the layer of everything the step changed below {@link #root()} to {@code out}
     * (not closed). Called once, after the process ended and every mount below the root was
     * undone.
     */
    LayerBlob writeLayer(LayerWriter writer, OutputStream out) throws IOException;

    /**
     * Before {@link #writeLayer}, right after the process ended and the mounts below the root
     * were undone: makes the step's changes a directory in overlay lower-dir form ({@link
     * UpperAsLower}) that nothing writes any more, from which {@link #writeLayer} then writes
     * the same layer as without this call, so that a later step may stack it while the layer
     * is written. Null, and nothing done, when this root filesystem cannot (the default).
     *
     * @param epochSeconds {@code SOURCE_DATE_EPOCH} of the layer, or {@code Long.MIN_VALUE}
     */
    default Path freeze(long epochSeconds) throws IOException {
      return null;
    }

    /**
     * After {@link #writeLayer}: a directory holding exactly the layer's tree in overlay
     * upper-dir form, that no mount uses any more, which the worker may move away and keep as
     * the layer's lower dir ({@link LayerDirs#adopt}); null when there is none.
     */
    default Path writtenUpper() {
      return null;
    }

    /** Undoes {@link Snapshotter#prepare}: unmounts and deletes what it made; idempotent. */
    @Override
    void close() throws IOException;
  }

  /**
   * The snapshotter of a name.
   *
   * @throws IllegalArgumentException for an unknown name
   */
  static Snapshotter named(String name, LayerDirs layers) {
    switch (name) {
      case "overlay":
        return new OverlaySnapshotter(layers);
      case "copy":
        return new CopySnapshotter();
      default:
        throw new IllegalArgumentException("unknown snapshotter \"" + name + "\"");
    }
  }

  /** Whether {@link #named} knows this name. */
  static boolean exists(String name) {
    return name.equals("overlay") || name.equals("copy");
  }
}
