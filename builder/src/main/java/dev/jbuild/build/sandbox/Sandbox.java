package dev.jbuild.build.sandbox;

import dev.jbuild.dockerfile.DockerfileException;
import dev.jbuild.layer.LayerBlob;
import java.io.OutputStream;

/**
 * Runs RUN steps: the process sees the stage's filesystem (its layers, in order), the step's
 * environment, user and working directory, and its changes come back as one layer. The
 * builder chooses an implementation per machine ({@link NamespaceSandbox}: overlayfs or a
 * snapshotting fallback, rootless or as root); {@link #unavailable()} is the one for builds
 * that must not run anything.
 */
public interface Sandbox extends AutoCloseable {

  /**
   * Runs one step and writes the layer of its changes (an OCI layer tar, compressed as the
   * builder's layer writer is) to {@code layerOut}, which is not closed.
   *
   * @throws DockerfileException or a {@link dev.jbuild.build.JbuildException} naming the step
   *     (its span), the command, its exit code and the tail of its output
   */
  LayerBlob run(RunStep step, OutputStream layerOut);

  /**
   * As {@link #run(RunStep, OutputStream)}, and gives {@code headerIndex} the layer's header
   * index ({@link dev.jbuild.layer.LayerHeaders.Recorder#toBytes}) when the sandbox recorded
   * one while writing the layer, for the caller to install once the blob is stored ({@link
   * dev.jbuild.layer.LayerHeaders#install}). The default records none.
   */
  default LayerBlob run(
      RunStep step, OutputStream layerOut, java.util.function.Consumer<byte[]> headerIndex) {
    return run(step, layerOut);
  }

  /**
   * Starts a step and returns once its process succeeded; the returned step gives the layer,
   * written to {@code layerOut} as {@link #run(RunStep, OutputStream, java.util.function.Consumer)}
   * writes it. Where the sandbox can, the layer is written while the caller goes on, and {@link
   * Started#early} names it for the next RUN step of the stage to stack meanwhile (issue 5/7).
   * The default runs the step to its end.
   *
   * @throws DockerfileException or a {@link dev.jbuild.build.JbuildException} as {@code run}
   */
  default Started start(
      RunStep step, OutputStream layerOut, java.util.function.Consumer<byte[]> headerIndex) {
    LayerBlob blob = run(step, layerOut, headerIndex);
    return new Started() {
      @Override
      public RunStep.Layer early() {
        return null;
      }

      @Override
      public LayerBlob layer() {
        return blob;
      }

      @Override
      public void cancel() {}
    };
  }

  /** A step whose process succeeded ({@link #start}). */
  interface Started {
    /**
     * The step's layer as a later RUN step of the same stage may stack it before it is written
     * (in {@link RunStep#layers()}, in its place), or null when it cannot: then its {@link
     * #layer()} goes there.
     */
    RunStep.Layer early();

    /**
     * Waits until the layer is written; once per step.
     *
     * @throws DockerfileException or a {@link dev.jbuild.build.JbuildException} naming the step
     *     when writing it failed
     */
    LayerBlob layer();

    /**
     * Gives the step up before its {@link #layer()}: stops writing the layer and waits until
     * the sandbox let go of it. Steps that stack its {@link #early()} layer fail.
     */
    void cancel();
  }

  /**
   * A hint that a stage with RUN steps is about to pull its base image (a cold build): start
   * what its first step will need, in the background. Never blocks or throws; a failure shows
   * at the first step. The default does nothing.
   */
  default void warmUp() {}

  /**
   * A hint that a stage with RUN steps starts on these layers (bottom first) and that whether
   * its steps are cached is not known yet: prepare them in the background only where that is
   * likely to be needed (they were never prepared on this root: its RUN steps have not run
   * here). Never blocks or throws. The default does nothing.
   */
  default void prefetchIfNew(java.util.List<RunStep.Layer> layers) {}

  /**
   * A hint that a RUN step of the build will stack these stored layers (bottom first), which
   * are new to this root: prepare them in the background now. Never blocks or throws; a
   * failure shows at that step. The default does nothing.
   */
  default void extractAhead(java.util.List<RunStep.Layer> layers) {}

  /** Releases what the sandbox holds (a worker process); the default holds nothing. */
  @Override
  default void close() {}

  /**
   * The sandbox of a jbuild that cannot run commands yet: every RUN fails with an error at its
   * line, so a Dockerfile without RUN still builds.
   */
  static Sandbox unavailable() {
    return (step, layerOut) -> {
      throw new DockerfileException(
          "RUN is not available yet in this version of jbuild: Dockerfiles without RUN build"
              + " (FROM, COPY, ADD, ENV, WORKDIR, ENTRYPOINT …); move this command into the"
              + " base image, or build this Dockerfile with docker or buildah for now",
          step.span());
    };
  }
}
