package dev.jbuild.layer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PosixTest {
  @TempDir Path tmp;

  /** Posix.lstat (statx) must give what the JDK's lstat gives: the walk's layers depend on it. */
  @Test
  void permissionsAreThoseTheJdkReadsBackForTheMode(@TempDir Path tmp) throws Exception {
    Path f = Files.createFile(tmp.resolve("f"));
    for (int mode : new int[] {0, 0644, 0755, 0700, 0070, 0007, 0777, 04755, 01777, 0421}) {
      Files.setPosixFilePermissions(f, FileStat.permissions(mode));
      assertThat(Posix.lstat(f).mode() & 07777).as("mode %o", mode).isEqualTo(mode & 0777);
    }
  }

  @Test
  void lstatAgreesWithTheJdkOnEveryKindOfFile() throws Exception {
    // where statx is missing lstat is the JDK's own, and the comparison proves nothing
    assumeTrue(Posix.statxInUse(), "no statx here");
    List<Path> files = new ArrayList<>();
    Path f = Files.write(tmp.resolve("f"), new byte[12345]);
    Posix.lutimes(f, 1_650_000_000L, 123_456_789); // nanoseconds the JDK keeps
    files.add(f);
    Path old = Files.write(tmp.resolve("old"), new byte[1]);
    Posix.lutimes(old, -86_400L * 365 * 30, 500); // before 1970, with nanoseconds
    files.add(old);
    Path far = Files.write(tmp.resolve("far"), new byte[1]);
    // year 2400: the nanoseconds since 1970 overflow a long, the JDK keeps microseconds
    Posix.lutimes(far, 13_569_465_600L, 123_456_789);
    files.add(far);
    Path farWhole = Files.write(tmp.resolve("far-whole"), new byte[1]);
    Posix.lutimes(farWhole, 13_569_465_600L, 0);
    files.add(farWhole);
    Path whole = Files.write(tmp.resolve("whole"), new byte[1]);
    Posix.lutimes(whole, 1_000_000_000L, 0);
    files.add(whole);
    files.add(Files.createLink(tmp.resolve("link"), f));
    files.add(Files.createDirectory(tmp.resolve("d")));
    Path sym = tmp.resolve("sym");
    Posix.symlink("f", sym);
    Posix.lutimes(sym, 1_600_000_000L, 7);
    files.add(sym);
    Path fifo = tmp.resolve("fifo");
    Posix.mknod(fifo, Posix.S_IFIFO | 0640, 0);
    files.add(fifo);
    if (Posix.isRoot()) {
      Path whiteout = tmp.resolve("wh");
      Posix.mknod(whiteout, Posix.S_IFCHR, 0);
      files.add(whiteout);
      Path dev = tmp.resolve("null");
      Posix.mknod(dev, Posix.S_IFCHR | 0666, Posix.makedev(1, 3));
      files.add(dev);
      Path big = tmp.resolve("big");
      Posix.mknod(big, Posix.S_IFBLK | 0600, Posix.makedev(259, 300_000));
      files.add(big);
      Posix.lchown(f, 70_000, 4_000_000_000L);
    }
    Posix.chmod(f, 04755); // after lchown, which clears setuid
    for (Path p : files) {
      Map<String, Object> a = Files.readAttributes(p,
          "unix:mode,ino,dev,rdev,nlink,uid,gid,size,lastModifiedTime,ctime",
          LinkOption.NOFOLLOW_LINKS);
      FileStat s = Posix.lstat(p);
      FileTime mtime = (FileTime) a.get("lastModifiedTime");
      assertThat(s).as(p.toString()).isEqualTo(new FileStat((Integer) a.get("mode"),
          (Long) a.get("dev"), (Long) a.get("ino"), (Long) a.get("rdev"), (Integer) a.get("nlink"),
          ((Integer) a.get("uid")) & 0xffffffffL, ((Integer) a.get("gid")) & 0xffffffffL,
          (Long) a.get("size"), mtime.toInstant(), mtime.to(TimeUnit.NANOSECONDS),
          ((FileTime) a.get("ctime")).to(TimeUnit.NANOSECONDS)));
      assertThat(FileStat.lstat(p)).isEqualTo(s);
    }
    assertThat(Posix.lstat(f).mtime()).isEqualTo(Instant.ofEpochSecond(1_650_000_000L, 123_456_789));
    assertThat(Posix.lstat(f).nlink()).isEqualTo(2);
    assertThat(Posix.lstat(f).mode()).isEqualTo(Posix.S_IFREG | 04755);
    assertThat(Posix.lstat(f).mtimeNanos()).isEqualTo(1_650_000_000_123_456_789L);
    // the status change of the chmod above, to the nanosecond where the filesystem keeps them
    assertThat(Posix.lstat(f).ctimeNanos()).isGreaterThan(1_650_000_000_123_456_789L);
    assertThat(Posix.lstat(sym).mode() & Posix.S_IFMT).isEqualTo(Posix.S_IFLNK);
  }

  @Test
  void lstatOfAMissingFileFails() {
    assertThatThrownBy(() -> Posix.lstat(tmp.resolve("none")))
        .isInstanceOfAny(Posix.PosixException.class, NoSuchFileException.class);
  }

  @Test
  void fileStatFailsAsTheJdkDoes() throws Exception {
    assertThatThrownBy(() -> FileStat.lstat(tmp.resolve("none")))
        .isInstanceOf(NoSuchFileException.class);
    Path file = Files.write(tmp.resolve("file"), new byte[1]);
    assertThatThrownBy(() -> FileStat.lstat(file.resolve("below")))
        .isInstanceOf(java.nio.file.FileSystemException.class)
        .isNotInstanceOf(Posix.PosixException.class);
  }
}
