package dev.jbuild.build.sandbox;

import java.io.IOException;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;

/**
 * A step's upper dir after its process ended, already in lower-dir form ({@link UpperAsLower}),
 * while the step still writes its layer from it: the next step of the stage stacks it as a
 * lower dir meanwhile (issue 5/7, pipelined snapshots). Nothing changes the directory any more
 * but its rename to {@code layers/<diffID>} once the layer is written, so the stacked tree is
 * the one the layer holds.
 *
 * <p>Stacked through an {@code O_PATH} descriptor ({@code /proc/self/fd/<fd>}), which follows
 * that rename: the next step's overlay mount and its later look-ups of the lower dirs ({@link
 * CopiedUpDirs}) see the same directory whenever the rename happens. The step that owns it
 * deletes its run directory (the directory itself, when it was not renamed) only after every
 * step that stacks it let go.
 */
final class FrozenUpper {
  private final int fd;
  private final CompletableFuture<Void> written = new CompletableFuture<>();
  private final Set<StepRun> users = new HashSet<>();
  private boolean finished;
  /** After the layer was written: its directory, or null when nothing is to be stacked. */
  private Path finalDir;
  /** After the layer was written: why a step that comes only now cannot stack it, or null. */
  private String gone;
  private boolean closed;

  private FrozenUpper(int fd) {
    this.fd = fd;
  }

  /** Freezes {@code dir}, an unmounted upper dir in lower-dir form. */
  static FrozenUpper of(Path dir) throws IOException {
    return new FrozenUpper(Kernel.openPath(dir));
  }

  /**
   * The directory that {@code user} stacks for this layer; null when there is nothing to stack
   * (an empty layer). Until it calls {@link #release}, the directory stays.
   *
   * @throws IOException when writing the layer failed, or the directory is gone
   */
  synchronized Path acquire(StepRun user) throws IOException {
    if (written.isCompletedExceptionally()) {
      awaitWritten(); // throws the failure
    }
    if (finished) {
      if (gone != null) {
        throw new IOException("the layer of the step below is no longer at hand: " + gone);
      }
      return finalDir;
    }
    if (closed) {
      throw new IllegalStateException("frozen upper dir closed before its layer was written");
    }
    users.add(user);
    return Path.of("/proc/self/fd/" + fd);
  }

  /** {@code user} stacks the directory no more (its mount is gone); idempotent. */
  synchronized void release(StepRun user) {
    if (users.remove(user)) {
      notifyAll();
    }
  }

  /** Waits until the layer is written. @throws IOException when that failed */
  void awaitWritten() throws IOException {
    try {
      written.get();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted");
    } catch (ExecutionException e) {
      throw new IOException(
          "the layer of the step below could not be written: " + e.getCause().getMessage(),
          e.getCause());
    }
  }

  /**
   * The owner wrote the layer. {@code dir}: where it is kept now for steps that come later
   * (null: nothing to stack, an empty layer); {@code goneReason}: why it is not kept, or null.
   */
  void written(Path dir, String goneReason) {
    synchronized (this) {
      finished = true;
      finalDir = dir;
      gone = goneReason;
    }
    written.complete(null);
  }

  /** The owner failed to write the layer: every step stacking it fails too. */
  void failed(Throwable cause) {
    Set<StepRun> stacking;
    synchronized (this) {
      finished = true;
      stacking = Set.copyOf(users);
    }
    written.completeExceptionally(cause);
    for (StepRun r : stacking) {
      r.cancel(); // its layer would sit on one that does not exist
    }
  }

  /**
   * The owner, before it deletes its run directory: waits until no step stacks the directory
   * any more, then closes the descriptor.
   */
  void awaitReleased() {
    boolean interrupted = false;
    synchronized (this) {
      while (!users.isEmpty()) {
        try {
          wait();
        } catch (InterruptedException e) {
          interrupted = true; // the directory must outlive the mounts on it all the same
        }
      }
      closed = true;
    }
    Kernel.close(fd);
    if (interrupted) {
      Thread.currentThread().interrupt();
    }
  }
}
