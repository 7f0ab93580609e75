package dev.jbuild.build.cli;

import dev.jbuild.dockerfile.Dockerfiles;
import dev.jbuild.layer.FileStat;
import dev.jbuild.oci.Descriptor;
import dev.jbuild.oci.Digest;
import dev.jbuild.oci.MediaTypes;
import dev.jbuild.oci.RawJson;
import java.nio.charset.StandardCharsets;

/**
 * Loads and initialises the heavy parts a build needs (Jackson behind the OCI models, the
 * security providers behind SHA-256, the Dockerfile parser, JNA for the context's stats) on a
 * second core while picocli is still building its command model and reading the command line. A
 * no-change rebuild spends most of its time in class initialisation, so overlapping it is the
 * cheapest speed-up there is. Daemon threads, failures ignored: the real use redoes the work.
 */
final class Warmup {

  private static final String CONFIG =
      "{\"architecture\":\"amd64\",\"os\":\"linux\",\"config\":{\"Env\":[\"A=1\"]},"
          + "\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[]},\"history\":[{\"created_by\":\"x\"}]}";

  private static final String DOCKERFILE = "ARG A=1\nFROM scratch AS s\nENV B=${A:-2}\nCOPY x /y/\n";

  private static final java.util.concurrent.atomic.AtomicBoolean STARTED =
      new java.util.concurrent.atomic.AtomicBoolean();

  private Warmup() {}

  /** Starts the warm-up once per process. */
  static void start() {
    if (Runtime.getRuntime().availableProcessors() < 2
        || Boolean.getBoolean("jbuild.nowarmup")
        || !STARTED.compareAndSet(false, true)) {
      return;
    }
    // two threads: the main thread wants the JSON (ObjectMapper, ~40-50 ms of it in the
    // calendar and locale data behind Jackson's date format) about when it wants the digest and
    // JNA (the stat cache's file name and the stat of the context directory); one thread doing
    // both in either order left the main thread doing one of them itself
    daemon(
        "jbuild-warmup-json",
        () -> {
          byte[] config = CONFIG.getBytes(StandardCharsets.UTF_8);
          RawJson.config(config).value().toJson();
          // a record's first equals spins method handles (ObjectMethods): ~10 ms for
          // Descriptor (tagging, the last serial step), and the first of any record spins the
          // handles all of them share (Digest writes its equals and hashCode out)
          Descriptor a =
              Descriptor.of(MediaTypes.OCI_MANIFEST, Digest.of(config), config.length)
                  .withAnnotation(Descriptor.REF_NAME, "w");
          Descriptor b =
              Descriptor.of(MediaTypes.OCI_MANIFEST, Digest.of(config), config.length)
                  .withAnnotation(Descriptor.REF_NAME, "w");
          a.equals(b);
        });
    daemon(
        "jbuild-warmup",
        () -> {
          // the first MessageDigest loads the security providers
          Digest.of(CONFIG.getBytes(StandardCharsets.UTF_8));
          // JNA (its classes, java.util.logging, libjnidispatch unpacked and loaded, statx
          // bound): 40 ms or more, which the main thread spent itself when this came last
          FileStat.statxInUse();
          Dockerfiles.parse("warmup", DOCKERFILE.getBytes(StandardCharsets.UTF_8));
        });
  }

  private static void daemon(String name, Runnable work) {
    Thread t =
        new Thread(
            () -> {
              try {
                work.run();
              } catch (RuntimeException | LinkageError e) {
                // only a head start; the build does the same work for real
              }
            },
            name);
    t.setDaemon(true);
    t.start();
  }
}
