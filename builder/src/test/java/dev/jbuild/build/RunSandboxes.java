package dev.jbuild.build;

import dev.jbuild.build.registry.RegistryOptions;
import dev.jbuild.build.sandbox.NamespaceSandbox;
import dev.jbuild.build.sandbox.Sandbox;
import dev.jbuild.cache.JbuildRoot;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.EnumMap;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * The sandbox the RUN tests build with: the machine's {@link NamespaceSandbox} (rootless in a
 * user namespace when the tests run unprivileged), with a chosen snapshotter.
 */
final class RunSandboxes {

  /** How a RUN step's changes are found: overlayfs upper dir, or a copy of the rootfs diffed. */
  enum Snapshotter {
    OVERLAY,
    COPY;

    String option() {
      return name().toLowerCase(Locale.ROOT);
    }
  }

  private static final Map<Snapshotter, Boolean> AVAILABLE = new EnumMap<>(Snapshotter.class);

  private RunSandboxes() {}

  /** The machine's sandbox for builds in {@code root}; close it after the build. */
  /** A build of {@code ctx} from the stored base only (no pull) into an OCI layout at {@code oci}. */
  static BuildRequest.Builder intoOci(Path ctx, Path oci) {
    return BuildRequest.builder(ctx).pull(PullPolicy.NEVER)
        .output(new OutputSpec(OutputSpec.Type.OCI, Optional.of(oci)));
  }

  static Sandbox sandbox(JbuildRoot root, Snapshotter s) {
    return new NamespaceSandbox(root, e -> {}, s.option());
  }

  /**
   * Whether this build of jbuild has the snapshotter: a one-step probe build, once per JVM. A
   * failure that is not about the snapshotter being unknown or missing fails the caller.
   */
  static synchronized boolean available(Snapshotter s) throws IOException {
    Boolean known = AVAILABLE.get(s);
    if (known != null) {
      return known;
    }
    Path dir = Files.createTempDirectory("jbuild-snapshotter-probe");
    try {
      Path ctx = Files.createDirectories(dir.resolve("ctx"));
      Files.writeString(ctx.resolve("Dockerfile"), "FROM " + RunCorpus.BASE + "\nRUN true\n");
      JbuildRoot root = new JbuildRoot(dir.resolve("root"));
      RunCorpus.storeBase(root);
      BuildRequest request = intoOci(ctx, dir.resolve("oci")).build();
      boolean ok;
      try (Sandbox sandbox = sandbox(root, s)) {
        new Builder(root, RegistryOptions.defaults(), sandbox, e -> {}).build(request);
        ok = true;
      } catch (JbuildException e) {
        String m = String.valueOf(e.getMessage());
        if (!m.contains("snapshotter")) {
          throw e;
        }
        ok = false;
        System.err.println("RUN tests: the " + s.option() + " snapshotter is not available ("
            + m + "): its comparisons are left out");
      }
      AVAILABLE.put(s, ok);
      return ok;
    } finally {
      try {
        RunCorpus.deleteRoot(dir);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }
}
