package dev.jbuild.build.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.jbuild.build.context.ContextIgnore;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code jbuild check} through {@link Main#run}: output and exit codes. */
class CheckCommandTest {

  @TempDir Path dir;

  private final ByteArrayOutputStream out = new ByteArrayOutputStream();
  private final ByteArrayOutputStream err = new ByteArrayOutputStream();

  private int run(String... args) {
    return Main.run(
        args,
        new PrintStream(out, true, StandardCharsets.UTF_8),
        new PrintStream(err, true, StandardCharsets.UTF_8));
  }

  private String out() {
    return out.toString(StandardCharsets.UTF_8);
  }

  private String err() {
    return err.toString(StandardCharsets.UTF_8);
  }

  private void write(String name, String content) throws IOException {
    Path p = dir.resolve(name);
    Files.createDirectories(p.getParent());
    Files.writeString(p, content, StandardCharsets.UTF_8);
  }

  @Test
  void cleanFileExitsZero() throws IOException {
    write("Dockerfile", "FROM alpine\nCMD [\"true\"]\n");
    assertThat(run("check", dir.toString())).isZero();
    assertThat(out()).isEqualTo("Check complete, no warnings found.\n");
    assertThat(err()).isEmpty();
  }

  @Test
  void warningsArePrintedWithSourceLineAndCaretAndExitZero() throws IOException {
    write("Dockerfile", "FROM alpine AS Build\nCMD echo hi\n");
    assertThat(run("check", dir.toString())).isZero();
    String file = dir.resolve("Dockerfile").toString();
    assertThat(out())
        .isEqualTo(
            file + ":1:1: warning: Stage name 'Build' should be lowercase [StageNameCasing]\n"
                + "  FROM alpine AS Build\n"
                + "  ^\n"
                + "  see https://docs.docker.com/go/dockerfile/rule/stage-name-casing/\n"
                + file + ":2:1: warning: JSON arguments recommended for CMD to prevent unintended behavior"
                + " related to OS signals [JSONArgsRecommended]\n"
                + "  CMD echo hi\n"
                + "  ^\n"
                + "  see https://docs.docker.com/go/dockerfile/rule/json-args-recommended/\n"
                + "Check complete, 2 warnings have been found!\n");
  }

  @Test
  void errorTrueExitsOne() throws IOException {
    write("Dockerfile", "# check=error=true\nFROM alpine\nMAINTAINER me\n");
    assertThat(run("check", dir.toString())).isEqualTo(Main.FAILED);
    assertThat(out()).contains(": error: Maintainer instruction is deprecated").contains("1 warning has been found");
    assertThat(err()).isEqualTo("error: lint violation found for rules: MaintainerDeprecated\n");
  }

  @Test
  void buildArgOverridesTheDirective() throws IOException {
    write("Dockerfile", "# check=skip=all\nFROM alpine\nMAINTAINER me\n");
    assertThat(run("check", dir.toString())).isZero();
    assertThat(out()).isEqualTo("Check complete, no warnings found.\n");
    assertThat(run("check", "--build-arg", "BUILDKIT_DOCKERFILE_CHECK=error=true", dir.toString()))
        .isEqualTo(Main.FAILED);
    assertThat(out()).contains("[MaintainerDeprecated]");
  }

  @Test
  void invalidInstructionExitsOneAfterTheWarningsBeforeIt() throws IOException {
    write("Dockerfile", "FROM alpine AS Bad\nCOPY onlyone\n");
    assertThat(run("check", dir.toString())).isEqualTo(Main.FAILED);
    assertThat(out())
        .contains(":1:1: warning: Stage name 'Bad' should be lowercase")
        .contains(":2:1: error: COPY requires at least two arguments")
        .contains("  COPY onlyone\n  ^\n");
    assertThat(err()).isEmpty();
  }

  @Test
  void unparsableLinesExitOneWithCaret() throws IOException {
    write("Dockerfile", "FROM alpine\nRUN <<EOF\nnever closed\n");
    assertThat(run("check", dir.toString())).isEqualTo(Main.FAILED);
    assertThat(err()).contains(": error: ").contains("^\n");
    assertThat(out()).isEmpty();
  }

  @Test
  void fileFlagAndLowercaseDockerfile() throws IOException {
    write("dockerfile", "FROM alpine\nMAINTAINER me\n");
    assertThat(run("check", dir.toString())).isZero();
    assertThat(out()).contains(dir.resolve("dockerfile") + ":2:1: warning: Maintainer");

    out.reset();
    write("sub/Other.Dockerfile", "FROM alpine\nCMD [\"x\"]\n");
    assertThat(run("check", "-f", dir.resolve("sub/Other.Dockerfile").toString(), dir.toString())).isZero();
    assertThat(out()).isEqualTo("Check complete, no warnings found.\n");
  }

  @Test
  void dockerignoreFeedsCopyIgnoredFile() throws IOException {
    write("Dockerfile", "FROM alpine\nCOPY secrets/key.pem /key\nCOPY app /app\n");
    write(".dockerignore", "secrets\n");
    assertThat(run("check", dir.toString())).isZero();
    assertThat(out())
        .contains(":2:1: warning: Attempting to Copy file \"secrets/key.pem\" that is excluded by .dockerignore")
        .doesNotContain("\"app\"");
  }

  @Test
  void missingFilesExitOne() {
    assertThat(run("check", dir.toString())).isEqualTo(Main.FAILED);
    assertThat(err()).startsWith("error: cannot read ").contains("no such file");
    err.reset();
    assertThat(run("check", dir.resolve("nope").toString())).isEqualTo(Main.FAILED);
    assertThat(err()).contains("does not exist");
  }

  @Test
  void badUsageExitsTwo() {
    assertThat(run("check", "--frobnicate")).isEqualTo(Main.USAGE);
    assertThat(err()).contains("--frobnicate").contains("Usage:");
    err.reset();
    assertThat(run("check", "a", "b")).isEqualTo(Main.USAGE);
    assertThat(run("check", "-f")).isEqualTo(Main.USAGE);
  }

  @Test
  void ignorePathsAreCleanedAsContextPaths() {
    assertThat(ContextIgnore.clean("./a//b/../c/")).isEqualTo("a/c");
    assertThat(ContextIgnore.clean("/")).isEqualTo(".");
    assertThat(ContextIgnore.clean(".")).isEqualTo(".");
    assertThat(ContextIgnore.clean("../../x")).isEqualTo("x");
  }
}
