package dev.jbuild.build.sandbox;

import dev.jbuild.layer.FileStat;
import dev.jbuild.layer.Whiteouts;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.RecursiveTask;

/**
 * Turns an unmounted overlay upper dir, right after its layer was written from it, into the
 * tree that extracting that layer as a lower dir ({@link LayerDirs}) would give, so that it can
 * serve as the layer's lower dir without reading the blob again. The layer writer ({@code
 * DirectoryWalk}) renders the upper dir, and {@code LayerApplier} in overlay-lower form restores
 * it, up to what this class undoes:
 *
 * <ul>
 *   <li>the kernel's own xattrs ({@code user.overlay.origin}, {@code impure}…, and {@code
 *       trusted.overlay.*} as real root) are not in the layer: removed; an opaque directory keeps
 *       (or gets, for {@code trusted.overlay.opaque}) {@code user.overlay.opaque=y};
 *   <li>whiteouts inside an opaque directory and sockets are not in the layer: removed;
 *   <li>mtimes are whole seconds in the layer, clamped to {@code SOURCE_DATE_EPOCH}, and
 *       extraction sets them to that: set the same way (atime with them, as extraction does),
 *       directories after their children, so that a later step sees the extracted mtimes
 *       (a copy-up keeps them, the next layer records them, CopiedUpDirs compares them).
 * </ul>
 *
 * The mount stubs and the copied-up directories without change are gone before the layer is
 * written ({@link RunContext#removeStubs}, {@link CopiedUpDirs}); the root directory is no
 * entry of a layer and only loses the kernel's xattrs.
 *
 * <p>The conversion is on the build's critical path (the next RUN step waits for it), and a
 * step that wrote 20,000 files took 270 ms on one thread: directories are converted as tasks
 * of a fork/join pool with a thread per core, a directory's own mtime set once every task below
 * it ended. The result does not depend on the order.
 */
final class UpperAsLower {
  private static final int S_IFMT = 0170000;
  private static final int S_IFDIR = 0040000;
  private static final int S_IFCHR = 0020000;
  private static final int S_IFSOCK = 0140000;

  private final long epochSeconds;

  /** @param epochSeconds {@code SOURCE_DATE_EPOCH} of the layer, or {@code Long.MIN_VALUE} */
  private UpperAsLower(long epochSeconds) {
    this.epochSeconds = epochSeconds == Long.MIN_VALUE ? Long.MAX_VALUE : epochSeconds;
  }

  /** Converts {@code upper} in place. */
  static void convert(Path upper, long epochSeconds) throws IOException {
    UpperAsLower c = new UpperAsLower(epochSeconds);
    boolean opaque = c.xattrs(upper, true);
    ForkJoinPool pool = new ForkJoinPool(Runtime.getRuntime().availableProcessors());
    try {
      pool.invoke(c.new Children(upper, opaque));
    } catch (RuntimeException e) {
      // a task's failure reaches here as thrown, or as a copy made for this thread with the
      // original as its cause
      for (Throwable t = e; t != null; t = t.getCause()) {
        if (t instanceof UncheckedIOException) {
          throw ((UncheckedIOException) t).getCause();
        }
      }
      throw e;
    } finally {
      pool.shutdownNow();
    }
  }

  /** Converts the children of a directory; true when it removed one (which changed its mtime). */
  private final class Children extends RecursiveTask<Boolean> {
    private final Path dir;
    private final boolean dirIsOpaque;

    Children(Path dir, boolean dirIsOpaque) {
      this.dir = dir;
      this.dirIsOpaque = dirIsOpaque;
    }

    @Override
    protected Boolean compute() {
      try {
        return children();
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }

    private boolean children() throws IOException {
      List<Path> entries = new ArrayList<>();
      try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir)) {
        ds.forEach(entries::add);
      }
      boolean removed = false;
      List<Children> below = new ArrayList<>();
      List<Instant> belowTimes = new ArrayList<>();
      for (Path p : entries) {
        FileStat st = FileStat.lstat(p);
        int fmt = st.mode() & S_IFMT;
        boolean whiteout = fmt == S_IFCHR && st.rdev() == 0;
        if (fmt == S_IFSOCK || whiteout && dirIsOpaque) {
          Files.delete(p); // not in the layer (DirectoryWalk skips them)
          removed = true;
          continue;
        }
        // the mtime from before the removals below: the one the layer records, whether it is
        // written before this conversion or after it (FrozenUpper)
        if (fmt == S_IFDIR) {
          Children task = new Children(p, xattrs(p, true));
          task.fork();
          below.add(task);
          belowTimes.add(st.mtime());
          continue;
        }
        if (!whiteout) {
          xattrs(p, false);
        }
        // a whiteout the kernel made has no xattrs, and extraction gives it none
        settle(p, st.mtime(), false);
      }
      for (int i = 0; i < below.size(); i++) {
        Children task = below.get(i);
        settle(task.dir, belowTimes.get(i), task.join());
      }
      return removed;
    }
  }

  /**
   * Sets the mtime (and atime) of {@code p} to the whole, clamped seconds the layer records,
   * unless it has them already and nothing below it was removed.
   */
  private void settle(Path p, Instant mtime, boolean changed) throws IOException {
    long seconds = Math.min(mtime.getEpochSecond(), epochSeconds);
    // a file copied up from a lower dir of this form has its mtime already (copy-up keeps it):
    // most of a chown -R's files. Extraction sets atime to the mtime too, but reads change
    // atime in a lower dir anyway, and no layer records it
    if (changed || mtime.getNano() != 0 || seconds != mtime.getEpochSecond()) {
      Kernel.lutimes(p, seconds);
    }
  }

  /**
   * Drops the overlay xattrs of {@code p}; a directory that was opaque keeps {@code
   * user.overlay.opaque=y} only.
   *
   * @return whether the directory is opaque
   */
  private boolean xattrs(Path p, boolean directory) throws IOException {
    boolean userOpaque = false;
    boolean trustedOpaque = false;
    for (String name : Kernel.xattrNames(p)) {
      if (!Whiteouts.isOverlayXattr(name)) {
        continue;
      }
      if (directory && name.equals(Whiteouts.USER_OVERLAY_OPAQUE) && isY(p, name)) {
        userOpaque = true;
        continue;
      }
      if (directory && name.equals(Whiteouts.TRUSTED_OVERLAY_OPAQUE) && isY(p, name)) {
        trustedOpaque = true; // only real root sees (and may remove) trusted.*
      }
      Kernel.lremovexattr(p, name);
    }
    if (trustedOpaque && !userOpaque) {
      Kernel.lsetxattr(p, Whiteouts.USER_OVERLAY_OPAQUE, new byte[] {'y'});
    }
    return userOpaque || trustedOpaque;
  }

  private static boolean isY(Path p, String name) throws IOException {
    byte[] v = Kernel.xattrs(p).get(name);
    return v != null && v.length == 1 && v[0] == 'y';
  }
}
