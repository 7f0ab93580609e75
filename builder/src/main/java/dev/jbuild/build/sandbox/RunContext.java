package dev.jbuild.build.sandbox;

import dev.jbuild.dockerfile.ir.RunMount;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Map;

/**
 * One step inside the sandbox worker, as a {@link RunPreparation} sees it: the root
 * filesystem the process will see, the step's mounts and values, and the places to register
 * what must be undone after the process ends. Undo actions run in reverse order after the
 * process ended (and before the snapshot); mount points created through {@link #mountPoint}
 * are removed after that (only if still empty, the parent's mtime restored), as BuildKit's
 * mount-stub cleaner does.
 */
public final class RunContext {

  /** Something to undo after the process, such as an unmount. */
  @FunctionalInterface
  public interface Undo {
    void undo() throws IOException;
  }

  private final Path root;
  private final Path scratch;
  private final WorkerProtocol.StepSpec step;
  private final List<RunMount> mounts;
  private final List<ResolvedMount> resolvedMounts;
  private final ExecUser user;
  private final LayerDirs layers;
  private final Deque<Undo> undo = new ArrayDeque<>();
  private final List<Stubs> stubs = new ArrayList<>();

  RunContext(Path root, Path scratch, WorkerProtocol.StepSpec step, List<RunMount> mounts,
      List<ResolvedMount> resolvedMounts, ExecUser user, LayerDirs layers) {
    this.resolvedMounts = List.copyOf(resolvedMounts);
    this.root = root;
    this.scratch = scratch;
    this.step = step;
    this.mounts = List.copyOf(mounts);
    this.user = user;
    this.layers = layers;
  }

  /** The host directory that is the process's {@code /}. */
  public Path root() {
    return root;
  }

  /** An empty directory of this step for temporary files (deleted after the step). */
  public Path scratch() {
    return scratch;
  }

  /** The step's {@code --mount} values, expanded. */
  public List<RunMount> mounts() {
    return mounts;
  }

  /**
   * The mounts as the engine resolved them (sources, cache directories, secret values), in
   * {@link #mounts()} order, absent optional ones left out.
   */
  public List<ResolvedMount> resolvedMounts() {
    return resolvedMounts;
  }

  /** The step's absolute working directory. */
  public String workdir() {
    return step.workdir();
  }

  /** The uid the process runs as. */
  public long uid() {
    return user.uid();
  }

  /** The gid the process runs as. */
  public long gid() {
    return user.gid();
  }

  /** The values {@link RunPreparation#parentData} gave, by key. */
  public Map<String, byte[]> extra() {
    return step.extra();
  }

  /** The root directory of the extracted layers ({@code <jbuild root>/layers}). */
  public Path layersDir() {
    return layers.root();
  }

  /**
   * The lower dir of a layer (overlay form: whiteouts are 0/0 character devices), extracted
   * once per diffID.
   *
   * @param blob the blob's path in the blob store
   * @param diffId {@code sha256:…}
   */
  public Path extractedLayer(Path blob, String diffId) throws IOException {
    return layers.extracted(new WorkerProtocol.LayerRef(blob.toString(), diffId));
  }

  /**
   * The host path of {@code path} of the step's filesystem, symlinks resolved inside the root
   * (the result may not exist).
   */
  public Path resolve(String path) throws IOException {
    return InRoot.resolve(root, path, true);
  }

  /**
   * A directory or empty file at {@code path} to mount on, created (with missing parents)
   * when absent and then removed again before the snapshot; returns its host path.
   */
  public Path mountPoint(String path, boolean directory) throws IOException {
    Path target = InRoot.resolve(root, path, true);
    Stubs s = Stubs.before(root, target);
    InRoot.mountPoint(root, path, directory, s.created);
    if (!s.created.isEmpty()) {
      s.made();
      stubs.add(s);
    }
    return target;
  }

  /** A bind mount of a host path, undone after the process. */
  public void bind(Path source, Path target, boolean readOnly) throws IOException {
    Kernel.bind(source, target, readOnly);
    onUndo(() -> Kernel.umount(target, Kernel.MNT_DETACH));
  }

  /** A tmpfs (mount options such as {@code size=64m,mode=1777}), undone after the process. */
  public void tmpfs(Path target, String options) throws IOException {
    Kernel.mount("tmpfs", target, "tmpfs", Kernel.MS_NOSUID | Kernel.MS_NODEV, options);
    onUndo(() -> Kernel.umount(target, Kernel.MNT_DETACH));
  }

  /** Registers something to undo after the process (undone in reverse order). */
  public void onUndo(Undo action) {
    undo.push(action);
  }

  /** Runs the undo actions, newest first; returns the first failure, or null. */
  IOException undoAll() {
    IOException first = null;
    while (!undo.isEmpty()) {
      try {
        undo.pop().undo();
      } catch (IOException e) {
        if (first == null) {
          first = e;
        }
      }
    }
    return first;
  }

  /** Removes the created mount points, newest first. */
  void removeStubs() {
    for (int i = stubs.size() - 1; i >= 0; i--) {
      stubs.get(i).remove();
    }
    stubs.clear();
  }

  /**
   * Mount points created for one path, and the mtimes of the directory they were made in,
   * before and right after they were made.
   */
  static final class Stubs {
    final List<Path> created = new ArrayList<>();
    private final Path parent;
    private final java.nio.file.attribute.FileTime parentMtime;
    private java.nio.file.attribute.FileTime afterMade;

    private Stubs(Path parent, java.nio.file.attribute.FileTime parentMtime) {
      this.parent = parent;
      this.parentMtime = parentMtime;
    }

    /** Remembers the nearest existing ancestor of {@code target} and its mtime. */
    static Stubs before(Path root, Path target) throws IOException {
      Path p = target.getParent();
      while (p != null && !p.equals(root)
          && !java.nio.file.Files.exists(p, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
        p = p.getParent();
      }
      if (p == null) {
        p = root;
      }
      return new Stubs(p, java.nio.file.Files.getLastModifiedTime(p,
          java.nio.file.LinkOption.NOFOLLOW_LINKS));
    }

    /** Notes the parent's mtime once the stubs are there. */
    void made() {
      try {
        afterMade = java.nio.file.Files.getLastModifiedTime(parent,
            java.nio.file.LinkOption.NOFOLLOW_LINKS);
      } catch (IOException e) {
        afterMade = null;
      }
    }

    /**
     * Removes the stubs that are still empty. When all went, the parent gets back the mtime it
     * had before they were made if the step did not change it; if the step added, removed or
     * renamed an entry there, it keeps the time of that change (BuildKit's stub cleaner puts
     * back the mtime the directory had before the removal), which the layer then clamps.
     */
    void remove() {
      java.nio.file.attribute.FileTime beforeRemoval;
      try {
        beforeRemoval = java.nio.file.Files.getLastModifiedTime(parent,
            java.nio.file.LinkOption.NOFOLLOW_LINKS);
      } catch (IOException e) {
        beforeRemoval = null;
      }
      boolean all = true;
      for (int i = created.size() - 1; i >= 0; i--) {
        Path p = created.get(i);
        try {
          if (java.nio.file.Files.isRegularFile(p, java.nio.file.LinkOption.NOFOLLOW_LINKS)
              && java.nio.file.Files.size(p) > 0) {
            all = false; // the step wrote into it: it is the step's file now
            continue;
          }
          java.nio.file.Files.deleteIfExists(p);
        } catch (IOException e) {
          all = false; // not empty: the step put files there, which belong to the layer
        }
      }
      if (all) {
        // (a change within the same clock tick as the stubs' creation looks like none)
        boolean changed = beforeRemoval != null && !beforeRemoval.equals(afterMade);
        try {
          java.nio.file.Files.setLastModifiedTime(parent, changed ? beforeRemoval : parentMtime);
        } catch (IOException ignored) {
          // the parent went away with the step's changes
        }
      }
    }
  }
}
