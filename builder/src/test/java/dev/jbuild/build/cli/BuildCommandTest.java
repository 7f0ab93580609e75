package dev.jbuild.build.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code jbuild [build]}: exit codes, output, error rendering. */
class BuildCommandTest {

  @TempDir Path tmp;

  private final ByteArrayOutputStream out = new ByteArrayOutputStream();
  private final ByteArrayOutputStream err = new ByteArrayOutputStream();

  private int run(String... args) {
    return Main.run(
        args,
        new PrintStream(out, true, StandardCharsets.UTF_8),
        new PrintStream(err, true, StandardCharsets.UTF_8));
  }

  private String stdout() {
    return out.toString(StandardCharsets.UTF_8);
  }

  private String stderr() {
    return err.toString(StandardCharsets.UTF_8);
  }

  private Path context(String dockerfile) throws IOException {
    Path dir = tmp.resolve("ctx");
    Files.createDirectories(dir);
    Files.writeString(dir.resolve("Dockerfile"), dockerfile);
    return dir;
  }

  private String root() {
    return tmp.resolve("root").toString();
  }

  @Test
  void buildWordIsOptionalAndQuietPrintsOnlyTheImageId() throws IOException {
    Path ctx = context("FROM scratch\nLABEL a=b\n");
    assertThat(run("-q", "--root", root(), "-t", "app:1", ctx.toString())).isZero();
    assertThat(stdout()).matches("sha256:[0-9a-f]{64}\\n");
    assertThat(stderr()).isEmpty();
    String id = stdout();
    out.reset();
    assertThat(run("build", "-q", "--root", root(), ctx.toString())).isZero();
    assertThat(stdout()).isEqualTo(id);
    out.reset();
    assertThat(run("--tag=app:2", "-q", "--root", root(), ctx.toString())).isZero();
    assertThat(stdout()).isEqualTo(id);
  }

  @Test
  void plainProgressIsLineOriented() throws IOException {
    Path ctx = context("FROM scratch AS app\nWORKDIR /w\n");
    assertThat(run("--progress", "plain", "--root", root(), "-t", "p:1", ctx.toString())).isZero();
    assertThat(stderr())
        .contains("#1 [app 1/2] FROM scratch\n")
        .contains("#2 [app 2/2] WORKDIR /w\n")
        .contains("#2 DONE ")
        .contains("naming to docker.io/library/p:1 done")
        .contains("(2 steps, 0 cached)");
    err.reset();
    assertThat(run("--progress=plain", "--root", root(), ctx.toString())).isZero();
    assertThat(stderr()).contains("#2 CACHED\n").contains("(2 steps, 1 cached)");
  }

  @Test
  void dockerfileErrorsArePositionedWithACaretAndExitOne() throws IOException {
    Path ctx = context("FROM scratch\nENV A=1\nSTOPSIGNAL NOPE\n");
    assertThat(run("--root", root(), ctx.toString())).isEqualTo(Main.FAILED);
    assertThat(stderr())
        .contains("Dockerfile:3:1: error: Invalid signal: NOPE\n  STOPSIGNAL NOPE\n  ^\n")
        .doesNotContain("Exception")
        .doesNotContain("\tat ");
  }

  @Test
  @org.junit.jupiter.api.Tag("sandbox")
  void runFailsAtItsLine() throws IOException {
    Path ctx = context("FROM scratch\n\nRUN echo hi\n");
    assertThat(run("--root", root(), ctx.toString())).isEqualTo(Main.FAILED);
    assertThat(stderr())
        .contains("Dockerfile:3:1: error: process \"/bin/sh -c echo hi\" did not complete"
            + " successfully: exit code: 127")
        .contains("failed to execute /bin/sh");
  }

  @Test
  void badSnapshotterIsUsage() throws IOException {
    Path ctx = context("FROM scratch\n");
    assertThat(run("--root", root(), "--snapshotter", "zfs", ctx.toString()))
        .isEqualTo(Main.USAGE);
    assertThat(stderr()).contains("--snapshotter must be auto, overlay or copy");
  }

  @Test
  void syntaxErrorsExitOne() throws IOException {
    Path ctx = context("FROM scratch\nFROBNICATE x\n");
    assertThat(run("--root", root(), ctx.toString())).isEqualTo(Main.FAILED);
    assertThat(stderr()).contains("Dockerfile:2:1: error:").contains("FROBNICATE");
  }

  @Test
  void usageErrorsExitTwo() throws IOException {
    Path ctx = context("FROM scratch\n");
    assertThat(run("--root", root(), "--progress", "fancy", ctx.toString())).isEqualTo(Main.USAGE);
    assertThat(stderr()).contains("invalid --progress \"fancy\"");
    err.reset();
    assertThat(run("build", "--root", root(), "--output", "type=nope", ctx.toString()))
        .isEqualTo(Main.USAGE);
    assertThat(stderr()).contains("unsupported --output type \"nope\"");
    err.reset();
    assertThat(run("build", "--root", root(), "--pull=sometimes", ctx.toString()))
        .isEqualTo(Main.USAGE);
    err.reset();
    assertThat(run("build", "--root", root())).isEqualTo(Main.USAGE);
    assertThat(stderr()).contains("CONTEXT");
  }

  @Test
  void badInputIsExitOneWithoutAStackTrace() throws IOException {
    Path ctx = context("FROM scratch\n");
    assertThat(run("--root", root(), "-t", "Bad Name", ctx.toString())).isEqualTo(Main.FAILED);
    assertThat(stderr()).contains("invalid tag \"Bad Name\"").doesNotContain("\tat ");
    err.reset();
    assertThat(run("--root", root(), tmp.resolve("nowhere").toString())).isEqualTo(Main.FAILED);
    assertThat(stderr()).contains("error: ").contains("nowhere");
    err.reset();
    assertThat(run("--root", root(), "--target", "x", ctx.toString())).isEqualTo(Main.FAILED);
    assertThat(stderr()).contains("target stage \"x\" could not be found");
  }

  @Test
  void buildArgFromTheEnvironmentAndLabels() throws IOException {
    Path ctx = context("FROM scratch\nARG HOME\nARG X\nLABEL home=$HOME x=$X\n");
    Path meta = tmp.resolve("meta.json");
    assertThat(
            run("--root", root(), "--build-arg", "HOME", "--build-arg", "X=1", "--label", "l=v",
                "--metadata-file", meta.toString(), "-q", ctx.toString()))
        .isZero();
    assertThat(Files.readString(meta)).contains("containerimage.config.digest");
  }

  @Test
  void contextFromStandardInput() throws IOException {
    java.io.ByteArrayOutputStream tar = new java.io.ByteArrayOutputStream();
    try (org.apache.commons.compress.archivers.tar.TarArchiveOutputStream t =
        new org.apache.commons.compress.archivers.tar.TarArchiveOutputStream(tar)) {
      byte[] df = "FROM scratch\nLABEL from=stdin\n".getBytes(StandardCharsets.UTF_8);
      org.apache.commons.compress.archivers.tar.TarArchiveEntry e =
          new org.apache.commons.compress.archivers.tar.TarArchiveEntry("Dockerfile");
      e.setSize(df.length);
      t.putArchiveEntry(e);
      t.write(df);
      t.closeArchiveEntry();
    }
    java.io.InputStream saved = BuildCommand.stdin;
    BuildCommand.stdin = new java.io.ByteArrayInputStream(tar.toByteArray());
    try {
      assertThat(run("-q", "--root", root(), "-t", "stdin:1", "-")).isZero();
    } finally {
      BuildCommand.stdin = saved;
    }
    assertThat(stdout()).startsWith("sha256:");
    try (var files = Files.list(tmp.resolve("root").resolve("tmp"))) {
      assertThat(files.filter(f -> f.getFileName().toString().startsWith("context-"))).isEmpty();
    }
  }

  @Test
  void pruneKeepsCachedLayersUnlessAll() throws IOException {
    Path ctx = context("FROM scratch\nCOPY data.txt /data.txt\n");
    Files.writeString(ctx.resolve("data.txt"), "payload\n");
    assertThat(run("--progress=plain", "--root", root(), "-t", "c:1", ctx.toString())).isZero();
    assertThat(run("rmi", "--root", root(), "c:1")).isZero();
    assertThat(run("prune", "--root", root())).isZero();
    err.reset();
    // the untagged image's layer is still a build-cache root: the rebuild is all hits
    assertThat(run("--progress=plain", "--root", root(), ctx.toString())).isZero();
    assertThat(stderr()).contains("(2 steps, 1 cached)");
    out.reset();
    assertThat(run("prune", "--all", "--root", root())).isZero();
    assertThat(stdout()).contains("build-cache entries").contains("Deleted ");
    err.reset();
    assertThat(run("--progress=plain", "--root", root(), ctx.toString())).isZero();
    assertThat(stderr()).contains("(2 steps, 0 cached)");
  }
}
