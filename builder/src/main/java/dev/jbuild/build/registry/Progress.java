package dev.jbuild.build.registry;

import dev.jbuild.build.event.BuildEvent;
import dev.jbuild.build.event.BuildListener;
import dev.jbuild.oci.Digest;

/**
 * Turns the byte counts of one blob transfer into {@link BuildEvent.BlobProgress} events: the
 * first, then at most one per MiB or per tenth of the blob (whichever is larger), then the
 * last. A retry that restarts from zero is reported as such.
 */
final class Progress {

  private static final long MIN_STEP = 1 << 20;

  private final BuildEvent.Direction direction;
  private final String image;
  private final Digest digest;
  private final long total;
  private final BuildListener listener;
  private final long step;
  private long reported = -1;

  Progress(BuildEvent.Direction direction, String image, Digest digest, long total, BuildListener listener) {
    this.direction = direction;
    this.image = image;
    this.digest = digest;
    this.total = total;
    this.listener = listener;
    this.step = Math.max(MIN_STEP, total / 10);
  }

  synchronized void update(long bytes) {
    if (reported < 0 || bytes < reported || bytes - reported >= step) {
      emit(bytes);
    }
  }

  /** Reports the whole blob as moved. */
  synchronized void finish() {
    if (reported != total) {
      emit(total);
    }
  }

  private void emit(long bytes) {
    reported = bytes;
    listener.onEvent(new BuildEvent.BlobProgress(direction, image, digest, bytes, total));
  }
}
