package dev.jbuild.build.event;

import dev.jbuild.oci.Digest;
import java.util.Objects;

/**
 * Something that happened during a build, pull or push, published to a {@link BuildListener}.
 * Images are named by their reference text; blobs by digest. Byte counts are cumulative per
 * blob, so a renderer can show {@code done/total} without keeping sums.
 */
public sealed interface BuildEvent {

  <R> R accept(Visitor<R> visitor);

  /** One method per event: adding an event breaks every renderer until it handles it. */
  interface Visitor<R> {
    R visit(ManifestResolved event);

    R visit(BlobProgress event);

    R visit(BlobSkipped event);

    R visit(ManifestPushed event);

    R visit(Retrying event);

    R visit(Warning event);

    R visit(StepStarted event);

    R visit(StepCached event);

    R visit(StepFinished event);

    R visit(LayerWritten event);

    R visit(OutputLine event);
  }

  /**
   * One instruction of a build, as progress shows it: {@code [build 2/5] COPY app.jar /app/}.
   *
   * @param stage the stage's name, or {@code stage-N} for an unnamed one
   * @param index the step's number within the stage, from 1 (the FROM)
   * @param count the number of steps of the stage
   * @param text the instruction, expanded where the builder expands it
   * @param line the Dockerfile line it starts on
   */
  record Step(String stage, int index, int count, String text, int line) {
    public Step {
      Objects.requireNonNull(stage, "stage");
      Objects.requireNonNull(text, "text");
    }

    /** {@code [stage index/count]}, as BuildKit prefixes its progress lines. */
    public String prefix() {
      return "[" + stage + " " + index + "/" + count + "]";
    }
  }

  /** Which way bytes move. */
  enum Direction {
    PULL,
    PUSH
  }

  /** Why a blob was not transferred. */
  enum SkipReason {
    /** Pull: the blob is in the local store already. */
    IN_STORE,
    /** Push: the registry has the blob in the target repository. */
    EXISTS,
    /** Push: the registry mounted it from another repository. */
    MOUNTED
  }

  /**
   * The manifest that an image reference resolved to, after picking a platform from an index.
   *
   * @param image the reference as asked for
   * @param digest the manifest digest
   * @param platform {@code os/arch[/variant]}, or empty when the reference was a plain manifest
   */
  record ManifestResolved(String image, Digest digest, String platform) implements BuildEvent {
    public ManifestResolved {
      Objects.requireNonNull(image, "image");
      Objects.requireNonNull(digest, "digest");
      Objects.requireNonNull(platform, "platform");
    }

    @Override
    public <R> R accept(Visitor<R> visitor) {
      return visitor.visit(this);
    }
  }

  /**
   * Bytes of one blob moved so far.
   *
   * @param bytes cumulative bytes moved for this blob
   * @param total the blob's size, or -1 when unknown
   */
  record BlobProgress(Direction direction, String image, Digest blob, long bytes, long total)
      implements BuildEvent {
    public BlobProgress {
      Objects.requireNonNull(direction, "direction");
      Objects.requireNonNull(image, "image");
      Objects.requireNonNull(blob, "blob");
    }

    /** True once every byte has moved. */
    public boolean done() {
      return total >= 0 && bytes >= total;
    }

    @Override
    public <R> R accept(Visitor<R> visitor) {
      return visitor.visit(this);
    }
  }

  /** A blob that needed no transfer. */
  record BlobSkipped(Direction direction, String image, Digest blob, long size, SkipReason reason)
      implements BuildEvent {
    public BlobSkipped {
      Objects.requireNonNull(direction, "direction");
      Objects.requireNonNull(image, "image");
      Objects.requireNonNull(blob, "blob");
      Objects.requireNonNull(reason, "reason");
    }

    @Override
    public <R> R accept(Visitor<R> visitor) {
      return visitor.visit(this);
    }
  }

  /**
   * A manifest the registry accepted under a tag or a digest.
   *
   * @param image the pushed reference, e.g. {@code localhost:5000/app:1}
   */
  record ManifestPushed(String image, Digest digest) implements BuildEvent {
    public ManifestPushed {
      Objects.requireNonNull(image, "image");
      Objects.requireNonNull(digest, "digest");
    }

    @Override
    public <R> R accept(Visitor<R> visitor) {
      return visitor.visit(this);
    }
  }

  /**
   * A transient failure that is retried after a pause.
   *
   * @param what the request, e.g. {@code push blob sha256:… to localhost:5000/app}
   * @param attempt the attempt that failed, from 1
   * @param delayMillis the pause before the next attempt
   * @param reason what went wrong
   */
  record Retrying(String what, int attempt, long delayMillis, String reason) implements BuildEvent {
    public Retrying {
      Objects.requireNonNull(what, "what");
      Objects.requireNonNull(reason, "reason");
    }

    @Override
    public <R> R accept(Visitor<R> visitor) {
      return visitor.visit(this);
    }
  }

  /** Something the user should know that does not stop the work (e.g. a mirror fallback). */
  record Warning(String message) implements BuildEvent {
    public Warning {
      Objects.requireNonNull(message, "message");
    }

    @Override
    public <R> R accept(Visitor<R> visitor) {
      return visitor.visit(this);
    }
  }

  /** A step begins. */
  record StepStarted(Step step) implements BuildEvent {
    public StepStarted {
      Objects.requireNonNull(step, "step");
    }

    @Override
    public <R> R accept(Visitor<R> visitor) {
      return visitor.visit(this);
    }
  }

  /** A step's result came from the build cache: nothing was read or run for it. */
  record StepCached(Step step) implements BuildEvent {
    public StepCached {
      Objects.requireNonNull(step, "step");
    }

    @Override
    public <R> R accept(Visitor<R> visitor) {
      return visitor.visit(this);
    }
  }

  /**
   * A step is done.
   *
   * @param millis how long it took
   * @param cached whether its result came from the cache
   */
  record StepFinished(Step step, long millis, boolean cached) implements BuildEvent {
    public StepFinished {
      Objects.requireNonNull(step, "step");
    }

    @Override
    public <R> R accept(Visitor<R> visitor) {
      return visitor.visit(this);
    }
  }

  /**
   * A step produced a new layer, stored under {@code digest}.
   *
   * @param size the compressed size in bytes
   */
  record LayerWritten(Step step, Digest digest, Digest diffId, long size) implements BuildEvent {
    public LayerWritten {
      Objects.requireNonNull(step, "step");
      Objects.requireNonNull(digest, "digest");
      Objects.requireNonNull(diffId, "diffId");
    }

    @Override
    public <R> R accept(Visitor<R> visitor) {
      return visitor.visit(this);
    }
  }

  /** One line a step printed (a RUN command's output), without its line terminator. */
  record OutputLine(Step step, String line) implements BuildEvent {
    public OutputLine {
      Objects.requireNonNull(step, "step");
      Objects.requireNonNull(line, "line");
    }

    @Override
    public <R> R accept(Visitor<R> visitor) {
      return visitor.visit(this);
    }
  }
}
