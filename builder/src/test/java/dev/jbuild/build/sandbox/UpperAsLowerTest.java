package dev.jbuild.build.sandbox;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * An upper dir turned into the lower dir that extracting its layer would give; part of the RUN
 * suite that runs as root and rootless.
 */
@Tag("sandbox")
class UpperAsLowerTest {
  private static final Instant NOW = Instant.parse("2026-12-07T01:02:03.456789123Z");

  @TempDir Path upper;

  @Test
  void overlayXattrsGoAndOpaqueDirectoriesKeepUserOverlayOpaque() throws IOException {
    Path etc = Files.createDirectory(upper.resolve("etc"));
    Path passwd = Files.writeString(etc.resolve("passwd"), "root\n");
    Kernel.lsetxattr(passwd, "user.overlay.origin", new byte[] {1, 2, 3});
    Kernel.lsetxattr(passwd, "user.keep", new byte[] {'k'});
    Kernel.lsetxattr(etc, "user.overlay.impure", new byte[] {'y'});
    Path home = Files.createDirectory(upper.resolve("home"));
    Kernel.lsetxattr(home, "user.overlay.opaque", new byte[] {'y'});
    Kernel.lsetxattr(home, "user.overlay.origin", new byte[] {9});
    Path other = Files.createDirectory(upper.resolve("other"));
    Kernel.lsetxattr(other, "user.overlay.opaque", new byte[] {'x'}); // not opaque to the writer
    Kernel.lsetxattr(upper, "user.overlay.impure", new byte[] {'y'});
    Path trusted = Files.createDirectory(upper.resolve("trusted"));
    boolean root = Kernel.geteuid() == 0; // trusted.* only as real root
    if (root) {
      Kernel.lsetxattr(trusted, "trusted.overlay.opaque", new byte[] {'y'});
      Kernel.lsetxattr(trusted, "trusted.overlay.origin", new byte[] {7});
    }

    UpperAsLower.convert(upper, Long.MIN_VALUE);

    assertThat(Kernel.xattrs(passwd).keySet()).containsExactly("user.keep");
    assertThat(Kernel.xattrs(etc)).isEmpty();
    assertThat(Kernel.xattrs(home).keySet()).containsExactly("user.overlay.opaque");
    assertThat(Kernel.xattrs(home).get("user.overlay.opaque")).containsExactly('y');
    assertThat(Kernel.xattrs(other)).isEmpty();
    assertThat(Kernel.xattrs(upper)).isEmpty();
    assertThat(Kernel.xattrs(trusted).keySet())
        .containsExactlyElementsOf(root ? java.util.List.of("user.overlay.opaque") : java.util.List.of());
  }

  @Test
  void mtimesBecomeWholeSecondsClampedToTheEpochDirectoriesLast() throws IOException {
    Path d = Files.createDirectory(upper.resolve("d"));
    Path f = Files.writeString(d.resolve("f"), "x");
    Path l = Files.createSymbolicLink(d.resolve("l"), Path.of("f"));
    Path future = Files.writeString(d.resolve("future"), "y");
    Files.setLastModifiedTime(f, FileTime.from(NOW));
    Files.setLastModifiedTime(future, FileTime.from(Instant.parse("2100-01-01T00:00:00.5Z")));
    Files.setLastModifiedTime(d, FileTime.from(NOW));

    UpperAsLower.convert(upper, Long.MIN_VALUE);

    assertThat(mtime(f)).isEqualTo(FileTime.from(Instant.parse("2026-12-07T01:02:03Z")));
    assertThat(mtime(future)).isEqualTo(FileTime.from(Instant.parse("2100-01-01T00:00:00Z")));
    assertThat(mtime(d)).isEqualTo(FileTime.from(Instant.parse("2026-12-07T01:02:03Z")));
    assertThat(mtime(l).toInstant().getNano()).isZero();
    // extraction sets atime to the mtime
    assertThat(Files.getAttribute(f, "lastAccessTime", LinkOption.NOFOLLOW_LINKS))
        .isEqualTo(mtime(f));

    UpperAsLower.convert(upper, 946684800);

    for (Path p : new Path[] {d, f, l, future}) {
      assertThat(mtime(p)).isEqualTo(FileTime.from(Instant.ofEpochSecond(946684800)));
    }
  }

  @Test
  void socketsAndWhiteoutsInOpaqueDirectoriesAreNotInTheLayer() throws Exception {
    Path run = Files.createDirectory(upper.resolve("run"));
    Path socket = run.resolve("s");
    try (ServerSocketChannel ch = ServerSocketChannel.open(java.net.StandardProtocolFamily.UNIX)) {
      ch.bind(UnixDomainSocketAddress.of(socket));
    }
    assertThat(socket).exists();
    Path opaque = Files.createDirectory(upper.resolve("opaque"));
    Kernel.lsetxattr(opaque, "user.overlay.opaque", new byte[] {'y'});
    Path plain = Files.createDirectory(upper.resolve("plain"));
    boolean root = Kernel.geteuid() == 0; // whiteouts need mknod of 0/0: root only here
    if (root) {
      mknodWhiteout(opaque.resolve("gone"));
      mknodWhiteout(plain.resolve("gone"));
    }

    UpperAsLower.convert(upper, Long.MIN_VALUE);

    assertThat(socket).doesNotExist();
    assertThat(opaque.resolve("gone")).doesNotExist();
    assertThat(Files.exists(plain.resolve("gone"), LinkOption.NOFOLLOW_LINKS)).isEqualTo(root);
  }

  @Test
  void aDirectoryKeepsTheMtimeItHadBeforeItsSocketWasRemoved() throws Exception {
    // the layer records that mtime, whether it is written before the conversion or after it
    // (a frozen upper dir, pipelined snapshots): the two must give the same layer
    Path run = Files.createDirectory(upper.resolve("run"));
    try (ServerSocketChannel ch = ServerSocketChannel.open(java.net.StandardProtocolFamily.UNIX)) {
      ch.bind(UnixDomainSocketAddress.of(run.resolve("s")));
    }
    Files.setLastModifiedTime(run, FileTime.from(Instant.parse("2026-12-07T01:02:03Z")));

    UpperAsLower.convert(upper, Long.MIN_VALUE);

    assertThat(run.resolve("s")).doesNotExist();
    assertThat(mtime(run)).isEqualTo(FileTime.from(Instant.parse("2026-12-07T01:02:03Z")));
  }

  @Test
  void aWideDeepTreeIsConvertedWholeEachDirectoryAfterItsChildren() throws Exception {
    // converted by several threads: every entry gets its seconds, every directory keeps the
    // second it had before its children were converted (and a socket removed)
    Instant dirTime = Instant.parse("2026-12-07T05:06:07.25Z");
    java.util.List<Path> dirs = new java.util.ArrayList<>();
    java.util.List<Path> files = new java.util.ArrayList<>();
    for (int a = 0; a < 8; a++) {
      Path da = Files.createDirectory(upper.resolve("a" + a));
      for (int b = 0; b < 25; b++) {
        Path db = Files.createDirectory(da.resolve("b" + b));
        for (int f = 0; f < 20; f++) {
          Path p = Files.writeString(db.resolve("f" + f), "x");
          Files.setLastModifiedTime(p, FileTime.from(NOW.plusMillis(f)));
          files.add(p);
        }
        if (b == 7) {
          try (ServerSocketChannel ch =
              ServerSocketChannel.open(java.net.StandardProtocolFamily.UNIX)) {
            ch.bind(UnixDomainSocketAddress.of(db.resolve("s")));
          }
        }
        dirs.add(db);
      }
      dirs.add(da);
    }
    for (Path d : dirs) {
      Files.setLastModifiedTime(d, FileTime.from(dirTime));
    }

    UpperAsLower.convert(upper, Long.MIN_VALUE);

    for (Path p : files) {
      assertThat(mtime(p)).isEqualTo(FileTime.from(Instant.parse("2026-12-07T01:02:03Z")));
    }
    for (Path d : dirs) {
      assertThat(mtime(d)).as(d.toString())
          .isEqualTo(FileTime.from(Instant.parse("2026-12-07T05:06:07Z")));
    }
    assertThat(upper.resolve("a3/b7/s")).doesNotExist();
  }

  private static void mknodWhiteout(Path p) throws Exception {
    Process m = new ProcessBuilder("mknod", p.toString(), "c", "0", "0").inheritIO().start();
    assertThat(m.waitFor()).isZero();
  }

  private static FileTime mtime(Path p) throws IOException {
    return Files.getLastModifiedTime(p, LinkOption.NOFOLLOW_LINKS);
  }
}
