package dev.jbuild.cache;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AtomicFileTest {

  @TempDir Path dir;

  private long entries() throws IOException {
    try (Stream<Path> s = Files.list(dir)) {
      return s.count();
    }
  }

  @Test
  void commitReplacesTheTargetWhole() throws IOException {
    Path target = dir.resolve("index.json");
    Files.writeString(target, "old");
    try (AtomicFile f = AtomicFile.create(target)) {
      f.stream().write("new content".getBytes());
      // until commit, readers see the old file
      assertThat(Files.readString(target)).isEqualTo("old");
      f.commit();
    }
    assertThat(Files.readString(target)).isEqualTo("new content");
    assertThat(entries()).isEqualTo(1);
  }

  @Test
  void closingWithoutCommitLeavesNothing() throws IOException {
    Path target = dir.resolve("out.tar");
    try (AtomicFile f = AtomicFile.create(target)) {
      f.stream().write(new byte[100_000]);
    }
    assertThat(target).doesNotExist();
    assertThat(entries()).isZero();

    assertThatThrownBy(() -> {
      try (AtomicFile f = AtomicFile.create(target)) {
        f.stream().write(1);
        throw new IllegalStateException("writer failed");
      }
    }).hasMessage("writer failed");
    assertThat(entries()).isZero();
  }

  @Test
  void aMissingDirectoryIsCreatedAndAnUnwritableOneNamed() throws IOException {
    Path nested = dir.resolve("a/b/c.json");
    AtomicFile.write(nested, "{}".getBytes());
    assertThat(Files.readString(nested)).isEqualTo("{}");
    Path file = dir.resolve("plain");
    Files.writeString(file, "x");
    // a file where a directory should be
    assertThatThrownBy(() -> AtomicFile.write(file.resolve("child"), new byte[1]))
        .isInstanceOf(CacheException.class)
        .hasMessageContaining(file.toString());
  }
}
