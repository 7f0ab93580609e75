package dev.jbuild.build;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TempTreesTest {
  @TempDir Path tmp;

  @Test
  void deletesReadOnlyDirectoriesWithoutFollowingLinks() throws Exception {
    Path outside = Files.createDirectories(tmp.resolve("outside"));
    Files.writeString(outside.resolve("keep"), "k");
    Path tree = Files.createDirectories(tmp.resolve("tree/a/b"));
    Files.writeString(tree.resolve("f"), "x");
    Files.createSymbolicLink(tmp.resolve("tree/a/link"), outside);
    Files.createSymbolicLink(tmp.resolve("tree/dangling"), tmp.resolve("nowhere"));
    Files.setPosixFilePermissions(tree, PosixFilePermissions.fromString("r-x------"));
    Files.setPosixFilePermissions(tmp.resolve("tree/a"), PosixFilePermissions.fromString("r-x------"));

    TempTrees.delete(tmp.resolve("tree"));

    assertThat(tmp.resolve("tree")).doesNotExist();
    assertThat(outside.resolve("keep")).hasContent("k");
  }

  @Test
  void missingTreeAndSingleLinkAreFine() throws Exception {
    TempTrees.delete(tmp.resolve("missing"));
    TempTrees.deleteQuietly(tmp.resolve("missing"));
    Path dir = Files.createDirectories(tmp.resolve("dir"));
    Path link = Files.createSymbolicLink(tmp.resolve("link"), dir);
    TempTrees.delete(link);
    assertThat(Files.exists(link, LinkOption.NOFOLLOW_LINKS)).isFalse();
    assertThat(dir).isDirectory();
  }
}
