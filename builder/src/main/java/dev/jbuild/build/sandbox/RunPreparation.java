package dev.jbuild.build.sandbox;

import java.io.IOException;
import java.util.Map;
import java.util.ServiceLoader;

/**
 * The hook through which {@code RUN --mount} is set up (implemented by the mounts code of
 * this package, found with {@link ServiceLoader}: list the class in {@code
 * META-INF/services/dev.jbuild.build.sandbox.RunPreparation}). Until an implementation is
 * present, a RUN with {@code --mount} fails at its line.
 *
 * <p>The build's process calls {@link #check} and {@link #parentData} when it sends a step to
 * the sandbox worker; the worker calls {@link #prepare} for each step after the root
 * filesystem, {@code /dev} (tmpfs with the device nodes, {@code /dev/shm}, {@code
 * /dev/pipes}) and the generated {@code /etc/hosts}, {@code /etc/resolv.conf} and {@code
 * /etc/hostname} are in place, the WORKDIR exists and the user is resolved, and before the
 * process starts. {@code /proc} is mounted by the process launcher itself, in the step's own
 * PID namespace, so it is not there yet. What {@code prepare} mounts it registers with {@link
 * RunContext#onUndo}; mount points it had to create it registers with {@link
 * RunContext#mountPoint}, which removes them again before the snapshot (so neither reaches
 * the layer).
 */
public interface RunPreparation {

  /**
   * In the build's process, before the step is sent: throws a positioned {@link
   * dev.jbuild.build.BuildStepException} (or {@link dev.jbuild.dockerfile.DockerfileException})
   * for mounts it cannot provide.
   */
  default void check(RunStep step) {}

  /**
   * In the build's process: values the worker side needs that it cannot find itself (a
   * secret's bytes, a context directory). They reach {@link RunContext#extra()}; they are
   * never logged.
   */
  default Map<String, byte[]> parentData(RunStep step) {
    return Map.of();
  }

  /** In the worker, per step: mounts what the step's {@code --mount}s ask for. */
  void prepare(RunContext context) throws IOException;

  /** The implementation on the class path, or null. */
  static RunPreparation find() {
    return Holder.INSTANCE;
  }

  /** Loads the implementation once per JVM. */
  final class Holder {
    static final RunPreparation INSTANCE =
        ServiceLoader.load(RunPreparation.class, RunPreparation.class.getClassLoader())
            .findFirst()
            .orElse(null);

    private Holder() {}
  }
}
