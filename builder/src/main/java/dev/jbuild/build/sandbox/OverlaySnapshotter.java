package dev.jbuild.build.sandbox;

import dev.jbuild.layer.LayerBlob;
import dev.jbuild.layer.LayerWriter;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * The kernel overlayfs snapshotter: the extracted layers are the lower dirs, a fresh upper dir
 * collects the changes, and the upper dir is the layer (whiteouts and opaque markers
 * converted by {@link LayerWriter#writeDirectory}). Its cost grows with the change, not with
 * the image. Always mounted with {@code userxattr}, so the opaque markers are {@code
 * user.overlay.opaque} both in a user namespace and as real root.
 *
 * <p>The lower dirs are named by short symlinks in the run directory ({@code <run>/l/<n>}) and
 * given relative to the worker's working directory, the parent of every run directory (as
 * Docker's overlay2 driver does), so that a long chain of layers fits into the one page of
 * mount options.
 *
 * <p>Mounted {@code volatile} (Linux 5.10+): without it the kernel fsyncs every file it copies
 * up, and a {@code chown -R} over 20,000 small files of a lower layer spent 50 s of a 58 s step
 * waiting for the journal (5,000 files: 18.8 s against 0.7 s on the bench's ext4). The upper
 * dir only has to outlive the step: it is read into a layer blob (written to a temp file,
 * fsynced, renamed), and a crash discards the run directory anyway. After that it becomes the
 * layer's lower dir ({@link LayerDirs#adopt}), unsynced as an extraction leaves its files too.
 */
final class OverlaySnapshotter implements Snapshotter {
  private static final int MAX_OPTIONS = 4000;

  private final LayerDirs layers;
  /** Cleared when the kernel refuses {@code volatile} (before 5.10): then mounts sync. */
  private volatile boolean skipSyncs = true;

  OverlaySnapshotter(LayerDirs layers) {
    this.layers = layers;
  }

  @Override
  public String name() {
    return "overlay";
  }

  @Override
  public RootFs prepare(List<WorkerProtocol.LayerRef> refs, Path runDir) throws IOException {
    return prepare(refs, java.util.Map.of(), runDir);
  }

  @Override
  public RootFs prepare(List<WorkerProtocol.LayerRef> refs, java.util.Map<Long, Path> early,
      Path runDir) throws IOException {
    String run = runDir.getFileName().toString();
    Path links = Files.createDirectory(runDir.resolve("l"));
    List<String> lowers = new ArrayList<>();
    Set<Path> higher = new HashSet<>();
    for (int i = refs.size() - 1; i >= 0; i--) { // top layer first, as overlay lists them
      WorkerProtocol.LayerRef ref = refs.get(i);
      Path dir = ref.step() != 0 ? early.get(ref.step()) : layers.extracted(ref);
      if (dir == null) {
        throw new IllegalStateException("no frozen upper dir for step " + ref.step());
      }
      // the kernel refuses one directory twice among the lower dirs (ELOOP): two steps that made
      // byte-identical layers, or two empty ones. Only the topmost occurrence stays: it applies
      // everything the lower one did again over what lies between them, so the merged tree is
      // the same
      if (!higher.add(dir)) {
        continue;
      }
      Files.createSymbolicLink(links.resolve(Integer.toString(i)), dir);
      lowers.add(run + "/l/" + i);
    }
    if (lowers.isEmpty()) { // FROM scratch: overlay needs one lower dir
      Files.createDirectory(runDir.resolve("e"));
      lowers.add(run + "/e");
    }
    Path upper = Files.createDirectory(runDir.resolve("u"));
    Files.createDirectory(runDir.resolve("w"));
    Path merged = Files.createDirectory(runDir.resolve("m"));
    String options =
        "lowerdir=" + String.join(":", lowers) + ",upperdir=" + run + "/u,workdir=" + run
            + "/w,userxattr";
    if (options.length() > MAX_OPTIONS) {
      throw new IOException(
          "the stage has " + refs.size() + " layers, more than one overlay mount can stack;"
              + " squash the base image or combine RUN and COPY steps");
    }
    List<Path> lowerDirs = new ArrayList<>();
    for (String l : lowers) {
      lowerDirs.add(runDir.getParent().resolve(l));
    }
    if (skipSyncs) {
      try {
        Kernel.mount("overlay", merged, "overlay", 0, options + ",volatile");
        return new Mounted(upper, merged, lowerDirs);
      } catch (Kernel.KernelException e) {
        if (e.errno() != Kernel.EINVAL) {
          throw e;
        }
        skipSyncs = false; // an older kernel: an unknown option
      }
    }
    Kernel.mount("overlay", merged, "overlay", 0, options);
    return new Mounted(upper, merged, lowerDirs);
  }

  /** One mounted overlay. */
  private static final class Mounted implements RootFs {
    private final Path upper;
    private final Path merged;
    private final List<Path> lowers;
    private boolean mounted = true;
    private boolean detached;
    private boolean written;
    private boolean frozen;

    Mounted(Path upper, Path merged, List<Path> lowers) {
      this.upper = upper;
      this.merged = merged;
      this.lowers = lowers;
    }

    @Override
    public Path root() {
      return merged;
    }

    @Override
    public LayerBlob writeLayer(LayerWriter writer, OutputStream out) throws IOException {
      if (!frozen) {
        unmount();
        new CopiedUpDirs(upper, lowers).prune();
      }
      // a frozen upper dir is in lower-dir form, which the walk renders as the same entries:
      // the overlay xattrs it drops are not written, trusted.overlay.opaque became the
      // user.overlay.opaque it reads as well, the sockets and the whiteouts in opaque
      // directories it removed are skipped, and its mtimes are the whole, clamped seconds that
      // the writer records
      LayerBlob blob = writer.writeDirectory(upper, true, out);
      written = true;
      return blob;
    }

    @Override
    public Path freeze(long epochSeconds) throws IOException {
      unmount();
      if (detached) {
        return null; // a killed process may still write through the detached mount
      }
      new CopiedUpDirs(upper, lowers).prune();
      UpperAsLower.convert(upper, epochSeconds);
      frozen = true;
      return upper;
    }

    @Override
    public Path writtenUpper() {
      // a detached mount may still be alive, with this as its upper dir: not reusable
      return written && !detached ? upper : null;
    }

    private void unmount() throws IOException {
      if (!mounted) {
        return;
      }
      try {
        Kernel.umount(merged, Kernel.UMOUNT_NOFOLLOW);
      } catch (Kernel.KernelException e) {
        if (e.errno() != Kernel.EBUSY) {
          throw e;
        }
        // a process of the step still holds it (it was killed and not yet reaped): detach, the
        // kernel drops the mount with the last reference
        Kernel.umount(merged, Kernel.MNT_DETACH | Kernel.UMOUNT_NOFOLLOW);
        detached = true;
      }
      mounted = false;
    }

    @Override
    public void close() throws IOException {
      unmount();
    }
  }
}
