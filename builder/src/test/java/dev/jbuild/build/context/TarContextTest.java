package dev.jbuild.build.context;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Date;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import java.util.zip.GZIPOutputStream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TarContextTest {

  @TempDir Path root;

  /** Builds a tar in memory. */
  private static final class Tar {
    final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    final TarArchiveOutputStream out = new TarArchiveOutputStream(bytes);

    Tar() {
      out.setLongFileMode(TarArchiveOutputStream.LONGFILE_POSIX);
    }

    Tar dir(String name, int mode) throws IOException {
      TarArchiveEntry e = new TarArchiveEntry(name.endsWith("/") ? name : name + "/");
      e.setMode(040000 | mode);
      e.setModTime(Date.from(Instant.parse("2021-05-06T07:08:09Z")));
      out.putArchiveEntry(e);
      out.closeArchiveEntry();
      return this;
    }

    Tar file(String name, String content, int mode) throws IOException {
      byte[] data = content.getBytes(StandardCharsets.UTF_8);
      TarArchiveEntry e = new TarArchiveEntry(name);
      e.setMode(0100000 | mode);
      e.setSize(data.length);
      e.setModTime(Date.from(Instant.parse("2021-05-06T07:08:09Z")));
      out.putArchiveEntry(e);
      out.write(data);
      out.closeArchiveEntry();
      return this;
    }

    Tar link(String name, String target, boolean hard) throws IOException {
      TarArchiveEntry e =
          new TarArchiveEntry(name, hard ? TarArchiveEntry.LF_LINK : TarArchiveEntry.LF_SYMLINK);
      e.setLinkName(target);
      out.putArchiveEntry(e);
      out.closeArchiveEntry();
      return this;
    }

    byte[] bytes() throws IOException {
      out.finish();
      return bytes.toByteArray();
    }
  }

  private List<String> tmpChildren() throws IOException {
    Path tmp = root.resolve("tmp");
    if (!Files.exists(tmp)) {
      return List.of();
    }
    try (Stream<Path> s = Files.list(tmp)) {
      return s.map(p -> p.getFileName().toString()).collect(Collectors.toList());
    }
  }

  @Test
  void extractsFilesLinksModesAndIgnoreFile() throws IOException {
    byte[] tar =
        new Tar()
            .dir("./", 0755)
            .file("Dockerfile", "FROM scratch\n", 0644)
            .file(".dockerignore", "**/*.log\n", 0644)
            .dir("app", 0750)
            .file("app/run.sh", "#!/bin/sh\n", 04755)
            .file("app/secret", "s", 0000)
            .file("app/x.log", "log", 0644)
            .link("app/current", "run.sh", false)
            .link("app/hard", "app/run.sh", true)
            .link("app/escape", "/etc/passwd", false)
            .bytes();
    Path dir;
    try (BuildContext c = BuildContext.fromTar(new ByteArrayInputStream(tar), "Dockerfile", root)) {
      dir = c.directory();
      assertThat(dir.getParent()).isEqualTo(root.resolve("tmp").toRealPath());
      List<ContextEntry> entries = c.walk(c.resolve("app").get(0), null, null);
      assertThat(entries.stream().map(ContextEntry::path))
          .containsExactly("", "current", "escape", "hard", "run.sh", "secret");
      assertThat(entries.get(0).mode()).isEqualTo(0750);
      assertThat(entries.get(4).mode()).isEqualTo(04755);
      assertThat(entries.get(5).mode()).as("archive mode kept").isEqualTo(0);
      assertThat(entries.get(4).mtime()).isEqualTo(Instant.parse("2021-05-06T07:08:09Z"));
      assertThat(entries.get(3).hardlinkKey()).isEqualTo(entries.get(4).hardlinkKey()).isNotNull();
      assertThat(entries.get(1).linkTarget()).isEqualTo("run.sh");
      assertThatThrownBy(() -> c.resolve("app/escape")).hasMessage("\"/app/escape\": not found");
      assertThat(c.hasher().contentDigest(entries.get(5))).isNotNull(); // readable for us
      assertThat(c.resolve("app/*.log")).isEmpty();
    }
    assertThat(dir).doesNotExist();
    assertThat(tmpChildren()).isEmpty();
  }

  @Test
  void gzipCompressedContext() throws IOException {
    ByteArrayOutputStream gz = new ByteArrayOutputStream();
    try (GZIPOutputStream out = new GZIPOutputStream(gz)) {
      out.write(new Tar().file("a.txt", "a", 0644).bytes());
    }
    try (BuildContext c =
        BuildContext.fromTar(new ByteArrayInputStream(gz.toByteArray()), null, root)) {
      assertThat(c.resolve("a.txt")).hasSize(1);
    }
  }

  @Test
  void namesClimbingOutAreRefusedAndNothingIsLeft() throws IOException {
    for (String name : List.of("../x", "a/../../x", "/../../etc/x")) {
      byte[] tar = new Tar().file("ok", "o", 0644).file(name, "bad", 0644).bytes();
      assertThatThrownBy(() -> BuildContext.fromTar(new ByteArrayInputStream(tar), null, root))
          .as(name)
          .isInstanceOf(ContextException.class)
          .hasMessageContaining("points outside the build context");
      assertThat(tmpChildren()).isEmpty();
    }
    assertThat(root.resolve("x")).doesNotExist();
    // an absolute name is read relative to the root
    byte[] tar = new Tar().file("/abs/y", "y", 0644).bytes();
    try (BuildContext c = BuildContext.fromTar(new ByteArrayInputStream(tar), null, root)) {
      assertThat(c.resolve("abs/y")).hasSize(1);
    }
  }

  @Test
  void writingThroughASymlinkIsRefused(@TempDir Path victim) throws IOException {
    byte[] tar =
        new Tar().link("evil", victim.toString(), false).file("evil/pwned", "x", 0644).bytes();
    assertThatThrownBy(() -> BuildContext.fromTar(new ByteArrayInputStream(tar), null, root))
        .hasMessageContaining("not a directory");
    assertThat(victim.resolve("pwned")).doesNotExist();
    byte[] hard = new Tar().link("evil", victim.toString(), false).link("h", "evil", true).bytes();
    assertThatThrownBy(() -> BuildContext.fromTar(new ByteArrayInputStream(hard), null, root))
        .hasMessageContaining("hard link");
    byte[] up = new Tar().link("h", "../../etc/passwd", true).bytes();
    assertThatThrownBy(() -> BuildContext.fromTar(new ByteArrayInputStream(up), null, root))
        .hasMessageContaining("points outside");
    // a later entry replaces a link instead of writing through it
    Files.writeString(victim.resolve("target"), "untouched");
    byte[] replace =
        new Tar()
            .link("f", victim.resolve("target").toString(), false)
            .file("f", "new", 0644)
            .bytes();
    try (BuildContext c = BuildContext.fromTar(new ByteArrayInputStream(replace), null, root)) {
      assertThat(Files.readString(c.directory().resolve("f"))).isEqualTo("new");
    }
    assertThat(Files.readString(victim.resolve("target"))).isEqualTo("untouched");
    assertThat(tmpChildren()).isEmpty();
  }

  @Test
  void emptyArchiveIsAnEmptyContext() throws IOException {
    try (BuildContext c =
        BuildContext.fromTar(new ByteArrayInputStream(new Tar().bytes()), null, root)) {
      assertThat(c.resolve("*")).isEmpty();
    }
  }

  @Test
  void notATarIsAClearError() {
    byte[] dockerfile = "FROM alpine\nRUN echo hi\n".getBytes(StandardCharsets.UTF_8);
    assertThatThrownBy(() -> BuildContext.fromTar(new ByteArrayInputStream(dockerfile), null, root))
        .isInstanceOf(ContextException.class)
        .hasMessageContaining("not a tar archive");
  }

  @Test
  void dockerfileSpecificIgnoreInsideTheArchive() throws IOException {
    byte[] tar =
        new Tar()
            .file(".dockerignore", "a\n", 0644)
            .file("docker/app.Dockerfile", "FROM scratch\n", 0644)
            .file("docker/app.Dockerfile.dockerignore", "b\n", 0644)
            .file("a", "a", 0644)
            .file("b", "b", 0644)
            .bytes();
    try (BuildContext c =
        BuildContext.fromTar(new ByteArrayInputStream(tar), "docker/app.Dockerfile", root)) {
      assertThat(c.resolve("a")).hasSize(1);
      assertThatThrownBy(() -> c.resolve("b")).isInstanceOf(ContextException.class);
    }
  }
}
