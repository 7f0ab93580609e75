package dev.jbuild.build;

import java.io.IOException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;

/**
 * Removal of directory trees this process made under its own temporary directories (extracted
 * contexts, git checkouts, bind-mount copies, half-written layouts). Links are removed, never
 * followed; a directory without owner write or search permission (a context's {@code 0500}
 * directory, git's read-only object store) is made {@code 0700} before its entries go.
 */
public final class TempTrees {
  private TempTrees() {}

  /** Deletes {@code dir} and everything below it; a missing {@code dir} is not an error. */
  public static void delete(Path dir) throws IOException {
    if (!Files.exists(dir, LinkOption.NOFOLLOW_LINKS)) {
      return;
    }
    Files.walkFileTree(
        dir,
        new SimpleFileVisitor<>() {
          @Override
          public FileVisitResult preVisitDirectory(Path d, BasicFileAttributes attrs) {
            try {
              if ((((Integer) Files.getAttribute(d, "unix:mode", LinkOption.NOFOLLOW_LINKS))
                      & 0700) != 0700) {
                Files.setAttribute(d, "unix:mode", 0700, LinkOption.NOFOLLOW_LINKS);
              }
            } catch (IOException | RuntimeException e) {
              // the deletions below report what matters
            }
            return FileVisitResult.CONTINUE;
          }

          @Override
          public FileVisitResult visitFile(Path f, BasicFileAttributes attrs) throws IOException {
            Files.deleteIfExists(f);
            return FileVisitResult.CONTINUE;
          }

          @Override
          public FileVisitResult postVisitDirectory(Path d, IOException e) throws IOException {
            if (e != null) {
              throw e;
            }
            Files.deleteIfExists(d);
            return FileVisitResult.CONTINUE;
          }
        });
  }

  /**
   * {@link #delete} for cleanup after another failure or at the end of a step: what cannot be
   * removed (a file that appeared meanwhile, a permission problem) stays in {@code tmp/} for
   * {@code jbuild prune}.
   */
  public static void deleteQuietly(Path dir) {
    try {
      delete(dir);
    } catch (NoSuchFileException | DirectoryNotEmptyException e) {
      // gone already, or something appeared meanwhile: prune removes it
    } catch (IOException | RuntimeException e) {
      // best effort, as above
    }
  }
}
