package dev.jbuild.build.sandbox;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Map;

/**
 * Deletes directory trees the sandbox made, never crossing into another filesystem: a mount
 * still in place (an overlay, a bind mount of a host file) is left alone rather than emptied
 * through it. Modes do not stop it (the worker is root in its namespace).
 */
final class Trees {
  private Trees() {}

  /** Deletes {@code path} and everything below it on the same filesystem. */
  static void delete(Path path) throws IOException {
    Map<String, Object> a;
    try {
      a = Files.readAttributes(path, "unix:dev,mode", LinkOption.NOFOLLOW_LINKS);
    } catch (NoSuchFileException e) {
      return;
    }
    delete(path, (Long) a.get("dev"), a);
  }

  /** {@link #delete} that reports nothing; for cleanup after another failure. */
  static void deleteQuietly(Path path) {
    try {
      delete(path);
    } catch (IOException | RuntimeException ignored) {
      // best effort: jbuild prune removes what is left
    }
  }

  private static void delete(Path path, long dev, Map<String, Object> a) throws IOException {
    if ((Long) a.get("dev") != dev) {
      throw new IOException(path + " is a mount point still in place; not deleting through it");
    }
    int fmt = (Integer) a.get("mode") & 0170000;
    if (fmt == 0040000) {
      if ((((Integer) a.get("mode")) & 0700) != 0700) {
        Files.setPosixFilePermissions(path, java.nio.file.attribute.PosixFilePermissions.fromString("rwx------"));
      }
      try (DirectoryStream<Path> ds = Files.newDirectoryStream(path)) {
        for (Path child : ds) {
          Map<String, Object> ca;
          try {
            ca = Files.readAttributes(child, "unix:dev,mode", LinkOption.NOFOLLOW_LINKS);
          } catch (NoSuchFileException e) {
            continue;
          }
          delete(child, dev, ca);
        }
      }
    }
    Files.deleteIfExists(path);
  }

  /** The bytes of the regular files below {@code path} (for reports). */
  static long size(Path path) {
    long[] total = {0};
    try (java.util.stream.Stream<Path> s = Files.walk(path)) {
      s.forEach(p -> {
        try {
          if (Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS)) {
            total[0] += Files.size(p);
          }
        } catch (IOException ignored) {
          // gone meanwhile
        }
      });
    } catch (IOException | java.io.UncheckedIOException ignored) {
      // best effort
    }
    return total[0];
  }
}
