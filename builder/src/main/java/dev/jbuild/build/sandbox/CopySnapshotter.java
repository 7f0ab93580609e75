package dev.jbuild.build.sandbox;

import dev.jbuild.layer.ApplyResult;
import dev.jbuild.layer.LayerApplier;
import dev.jbuild.layer.LayerBlob;
import dev.jbuild.layer.LayerStack;
import dev.jbuild.layer.LayerWriter;
import dev.jbuild.layer.TreeDiff;
import dev.jbuild.oci.Digest;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;

/**
 * The snapshotter for machines where overlayfs cannot be mounted (old kernels in a user
 * namespace, some container runtimes): each step gets a private copy of its root filesystem,
 * the layers extracted flattened (ownership, modes and xattrs kept; the worker is root in its
 * namespace), and its layer is what {@link TreeDiff} finds changed by walking the copy and
 * comparing it with the layers' {@link LayerStack}. Slower than overlayfs (the whole image is
 * written and walked per step), and the same layer bytes except where TreeDiff says a walk
 * cannot see what overlayfs does.
 *
 * <p>The copy is bind-mounted on itself, so that closing it detaches every mount the step left
 * below it before the directory is deleted, as unmounting an overlay does.
 *
 * <p>A step's copy, given its layer's mtimes ({@link TreeDiff#settle}), is exactly the
 * extraction of its layers plus the layer it made, so the worker keeps the last few: the next
 * step of the stage takes one over (a rename) instead of extracting every layer again, and
 * applies only the layers added since (a COPY in between). Kept copies live in the worker's
 * run directories ({@code run-<pid>-k<n>}), removed when the worker exits, or by {@code jbuild
 * prune} after a crash.
 */
final class CopySnapshotter implements Snapshotter {
  private static final int KEEP = 2;

  /** A finished step's copy and the diffIDs it is the extraction of. */
  private static final class Kept {
    final List<String> chain;
    final Path dir;

    Kept(List<String> chain, Path dir) {
      this.chain = List.copyOf(chain);
      this.dir = dir;
    }
  }

  private final Deque<Kept> kept = new ArrayDeque<>();
  private final AtomicLong keptIds = new AtomicLong();
  private final long pid = ProcessHandle.current().pid();
  private boolean hooked;

  @Override
  public String name() {
    return "copy";
  }

  @Override
  public RootFs prepare(List<WorkerProtocol.LayerRef> refs, Path runDir) throws IOException {
    Path root = runDir.resolve("c");
    List<String> chain = new ArrayList<>();
    List<Path> blobs = new ArrayList<>();
    List<Path> indexes = new ArrayList<>();
    for (WorkerProtocol.LayerRef ref : refs) {
      chain.add(ref.diffId());
      blobs.add(Path.of(ref.blob()));
      indexes.add(LayerDirs.headersOf(Path.of(ref.blob())));
    }
    // The stack's index reads every layer's headers (from the build's header indexes, written
    // here when missing): on a second core while the copy is made.
    CompletableFuture<LayerStack> indexing = CompletableFuture.supplyAsync(() -> {
      try {
        return LayerStack.of(blobs, indexes);
      } catch (IOException e) {
        throw new CompletionException(e);
      }
    });
    LayerStack stack = null;
    boolean mounted = false;
    try {
      int done = takeOver(chain, root);
      LayerApplier applier = new LayerApplier(LayerApplier.Options.flattened());
      for (WorkerProtocol.LayerRef ref : refs.subList(done, refs.size())) {
        check(ref, applier.apply(Path.of(ref.blob()), root));
      }
      stack = join(indexing);
      Kernel.bind(root, root, false);
      mounted = true;
      TreeDiff.Baseline baseline = TreeDiff.baseline(root, stack);
      return new Copy(root, chain, stack, baseline);
    } catch (IOException | RuntimeException e) {
      if (stack == null) {
        try {
          stack = join(indexing);
        } catch (IOException | RuntimeException ignored) {
          // the first failure is the one to report
        }
      }
      if (stack != null) {
        stack.close();
      }
      if (mounted) {
        Kernel.umount(root, Kernel.MNT_DETACH | Kernel.UMOUNT_NOFOLLOW);
      }
      throw e;
    }
  }

  /**
   * Moves the kept copy of the longest prefix of {@code chain} to {@code root}, or makes an
   * empty {@code root}; returns how many layers of the chain it already holds.
   */
  private int takeOver(List<String> chain, Path root) throws IOException {
    Kept best = null;
    synchronized (kept) {
      for (Kept k : kept) {
        if (k.chain.size() <= chain.size() && chain.subList(0, k.chain.size()).equals(k.chain)
            && (best == null || k.chain.size() > best.chain.size())) {
          best = k;
        }
      }
      if (best != null) {
        kept.remove(best);
      }
    }
    if (best == null) {
      Files.createDirectory(root);
      return 0;
    }
    Files.move(best.dir, root, StandardCopyOption.ATOMIC_MOVE);
    return best.chain.size();
  }

  /** Keeps a finished copy for a next step whose layers start with {@code chain}. */
  private void keep(Path root, List<String> chain) {
    Path dir = root.getParent().resolveSibling("run-" + pid + "-k" + keptIds.incrementAndGet());
    try {
      Files.move(root, dir, StandardCopyOption.ATOMIC_MOVE);
    } catch (IOException e) {
      return; // the run directory is deleted with it
    }
    Kept evicted = null;
    synchronized (kept) {
      if (!hooked) {
        hooked = true;
        Runtime.getRuntime().addShutdownHook(new Thread(this::dropAll, "copy-snapshots"));
      }
      kept.addFirst(new Kept(chain, dir));
      if (kept.size() > KEEP) {
        evicted = kept.removeLast();
      }
    }
    if (evicted != null) {
      Trees.deleteQuietly(evicted.dir);
    }
  }

  private void dropAll() {
    synchronized (kept) {
      for (Kept k : kept) {
        Trees.deleteQuietly(k.dir);
      }
      kept.clear();
    }
  }

  /** The same checks as an overlay lower dir gets: the right bytes, every owner mapped. */
  private static void check(WorkerProtocol.LayerRef ref, ApplyResult r) throws IOException {
    if (!r.diffId().equals(Digest.parse(ref.diffId()))) {
      throw new IOException("layer " + ref.blob() + " has diffID " + r.diffId()
          + ", but the image says " + ref.diffId()
          + ": the blob store is corrupt; remove the blob and pull again");
    }
    if (r.ownershipSkipped() > 0) {
      throw new IOException("layer " + ref.diffId() + " has " + r.ownershipSkipped()
          + " files owned by users or groups that this user namespace does not map: give your"
          + " user a range in /etc/subuid and /etc/subgid (e.g. 'sudo usermod --add-subuids"
          + " 100000-165535 --add-subgids 100000-165535 " + WorkerLaunch.hostUser()
          + "')");
    }
  }

  private static LayerStack join(CompletableFuture<LayerStack> f) throws IOException {
    try {
      return f.join();
    } catch (CompletionException e) {
      if (e.getCause() instanceof IOException) {
        throw (IOException) e.getCause();
      }
      throw e;
    }
  }

  /** One step's copy, its layers' stack and the baseline taken before the process. */
  private final class Copy implements RootFs {
    private final Path root;
    private final List<String> chain;
    private final LayerStack stack;
    private final TreeDiff.Baseline baseline;
    private boolean mounted = true;
    private boolean closed;
    private List<String> replayableAs;

    Copy(Path root, List<String> chain, LayerStack stack, TreeDiff.Baseline baseline) {
      this.root = root;
      this.chain = chain;
      this.stack = stack;
      this.baseline = baseline;
    }

    @Override
    public Path root() {
      return root;
    }

    @Override
    public LayerBlob writeLayer(LayerWriter writer, OutputStream out) throws IOException {
      unmount(); // whatever the step left mounted below the root is out of sight now
      TreeDiff.Changes changes = TreeDiff.changes(root, stack, baseline, Set.of());
      LayerBlob blob = writer.write(changes.entries(), out);
      if (changes.replayable()) {
        TreeDiff.settle(root, changes.entries(), writer.options().sourceDateEpoch());
        List<String> next = new ArrayList<>(chain);
        next.add(blob.diffId().toString());
        replayableAs = next;
      }
      return blob;
    }

    private void unmount() throws IOException {
      if (mounted) {
        Kernel.umount(root, Kernel.MNT_DETACH | Kernel.UMOUNT_NOFOLLOW);
        mounted = false;
      }
    }

    @Override
    public void close() throws IOException {
      if (closed) {
        return;
      }
      closed = true;
      try {
        unmount();
      } finally {
        stack.close();
      }
      if (replayableAs != null) {
        keep(root, replayableAs);
      }
    }
  }
}
