package dev.jbuild.build.sandbox;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Directories that overlayfs only copied up leave the upper dir; the parents of changes stay. */
class CopiedUpDirsTest {
  private static final FileTime T = FileTime.from(Instant.parse("2026-12-07T01:02:03Z"));

  @TempDir Path lower;
  @TempDir Path upper;

  @Test
  void emptyCopiesGoDirectoriesWithEntriesOrOtherMetadataStay() throws IOException {
    for (String d : List.of("a/b", "c", "d", "e/f", "g")) {
      Files.createDirectories(lower.resolve(d));
      Files.createDirectories(upper.resolve(d));
    }
    // a/b and g: copies without change (a stays: removing b changed its mtime, as it does
    // on the kernel's upper dir)
    // c: holds a change; d: its mode changed; e/f: f holds a change, e is its parent
    Files.writeString(upper.resolve("c/changed"), "x");
    Files.setPosixFilePermissions(upper.resolve("d"), PosixFilePermissions.fromString("rwx------"));
    Files.writeString(upper.resolve("e/f/new"), "y");
    // n: a new directory (no lower has it) with files only, and an empty new one
    Files.createDirectories(upper.resolve("n"));
    for (int i = 0; i < 50; i++) {
      Files.writeString(upper.resolve("n/f" + i), "z");
    }
    Files.createDirectories(upper.resolve("m"));
    for (String d : List.of("a/b", "a", "c", "d", "e/f", "e", "g")) {
      Files.setLastModifiedTime(lower.resolve(d), T);
      Files.setLastModifiedTime(upper.resolve(d), T);
    }

    new CopiedUpDirs(upper, List.of(lower)).prune();

    assertThat(upper.resolve("a/b")).doesNotExist();
    assertThat(upper.resolve("g")).doesNotExist();
    assertThat(upper.resolve("c/changed")).exists();
    assertThat(upper.resolve("d")).isDirectory();
    assertThat(upper.resolve("e/f/new")).exists();
    assertThat(upper.resolve("n")).isDirectory();
    assertThat(upper.resolve("n").toFile().list()).hasSize(50);
    assertThat(upper.resolve("m")).isDirectory(); // new, not a copy: it is a change
  }

  @Test
  void aCopyWithAnotherMtimeStays() throws IOException {
    Files.createDirectories(lower.resolve("a"));
    Files.createDirectories(upper.resolve("a"));
    Files.setLastModifiedTime(lower.resolve("a"), T);
    Files.setLastModifiedTime(upper.resolve("a"), FileTime.from(Instant.parse("2026-12-07T01:02:04Z")));

    new CopiedUpDirs(upper, List.of(lower)).prune();

    assertThat(upper.resolve("a")).isDirectory();
  }
}
