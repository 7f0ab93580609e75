package dev.jbuild.build.context;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class NodeTest {
  @TempDir Path tmp;

  /**
   * The stat cache compares these values with the ones it saved from earlier builds (made by
   * the JDK before statx was used): any difference would re-hash every file once.
   */
  @Test
  void statGivesWhatTheJdkGivesForEveryKindOfEntry() throws Exception {
    Path file = Files.write(tmp.resolve("file"), new byte[4321]);
    Files.setLastModifiedTime(file, FileTime.from(Instant.ofEpochSecond(1_650_000_000L, 987_654_321)));
    Path far = Files.write(tmp.resolve("far"), new byte[1]);
    Files.setLastModifiedTime(far, FileTime.from(Instant.ofEpochSecond(13_569_465_600L, 123_456_789)));
    Files.createLink(tmp.resolve("hard"), file);
    Path dir = Files.createDirectory(tmp.resolve("dir"));
    Path link = Files.createSymbolicLink(tmp.resolve("link"), Path.of("dir/../file"));
    for (Path p : new Path[] {file, far, dir, link, tmp}) {
      Map<String, Object> a =
          Files.readAttributes(
              p, "unix:mode,ino,dev,ctime,nlink,size,lastModifiedTime", LinkOption.NOFOLLOW_LINKS);
      Node n = Node.stat(p, p.getFileName().toString(), p.getFileName().toString());
      FileTime mtime = (FileTime) a.get("lastModifiedTime");
      assertThat(n.mode()).as(p.toString()).isEqualTo(a.get("mode"));
      assertThat(n.ino()).isEqualTo(a.get("ino"));
      assertThat(n.dev()).isEqualTo(a.get("dev"));
      assertThat(n.nlink()).isEqualTo(a.get("nlink"));
      assertThat(n.mtime()).isEqualTo(mtime.toInstant());
      assertThat(n.mtimeNanos()).isEqualTo(mtime.to(TimeUnit.NANOSECONDS));
      assertThat(n.ctimeNanos()).isEqualTo(((FileTime) a.get("ctime")).to(TimeUnit.NANOSECONDS));
      assertThat(n.size()).isEqualTo(n.type() == EntryType.FILE ? a.get("size") : 0L);
    }
    assertThat(Node.stat(file, "file", "file").type()).isEqualTo(EntryType.FILE);
    assertThat(Node.stat(file, "file", "file").nlink()).isEqualTo(2);
    assertThat(Node.stat(dir, "dir", "dir").type()).isEqualTo(EntryType.DIRECTORY);
    Node l = Node.stat(link, "link", "link");
    assertThat(l.type()).isEqualTo(EntryType.SYMLINK);
    assertThat(l.linkTarget()).isEqualTo("dir/../file");
  }

  @Test
  void statOfSomethingElseIsNullAndOfNothingFailsAsTheJdkDoes() throws Exception {
    Path fifo = tmp.resolve("fifo");
    new ProcessBuilder("mkfifo", fifo.toString()).inheritIO().start().waitFor();
    assertThat(Files.exists(fifo, LinkOption.NOFOLLOW_LINKS)).isTrue();
    assertThat(Node.stat(fifo, "fifo", "fifo")).isNull();
    // BuildContext skips entries removed while it lists (NoSuchFileException)
    assertThatThrownBy(() -> Node.stat(tmp.resolve("gone"), "gone", "gone"))
        .isInstanceOf(NoSuchFileException.class);
  }
}
