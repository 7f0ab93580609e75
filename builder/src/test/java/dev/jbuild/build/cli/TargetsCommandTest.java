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

/** {@code jbuild targets} through {@link Main#run}. */
class TargetsCommandTest {

  @TempDir Path dir;

  private final ByteArrayOutputStream out = new ByteArrayOutputStream();
  private final ByteArrayOutputStream err = new ByteArrayOutputStream();

  private int run(String... args) {
    return Main.run(
        args,
        new PrintStream(out, true, StandardCharsets.UTF_8),
        new PrintStream(err, true, StandardCharsets.UTF_8));
  }

  @Test
  void listsNamedStagesWithDescriptionsAndTheDefault() throws IOException {
    Files.writeString(
        dir.resolve("Dockerfile"),
        "# build compiles the application\n"
            + "FROM maven AS build\n"
            + "FROM alpine\n"
            + "# not a description of test\n"
            + "FROM build AS test\n"
            + "\n"
            + "# runtime is what ships\n"
            + "FROM eclipse-temurin AS runtime\n");
    assertThat(run("targets", dir.toString())).isZero();
    assertThat(out.toString(StandardCharsets.UTF_8))
        .isEqualTo(
            "TARGET             DESCRIPTION\n"
                + "build              compiles the application\n"
                + "test\n"
                + "runtime (default)  is what ships\n");
  }

  @Test
  void unnamedLastStageIsTheDefault() throws IOException {
    Files.writeString(dir.resolve("Dockerfile"), "FROM alpine AS base\nFROM base\n");
    assertThat(run("targets", "-f", dir.resolve("Dockerfile").toString())).isZero();
    assertThat(out.toString(StandardCharsets.UTF_8)).isEqualTo("TARGET     DESCRIPTION\nbase\n(default)\n");
  }

  @Test
  void parseErrorsAndMissingFilesExitOne() throws IOException {
    assertThat(run("targets", dir.toString())).isEqualTo(Main.FAILED);
    Files.writeString(dir.resolve("Dockerfile"), "FROM alpine AS 1bad\n");
    err.reset();
    assertThat(run("targets", dir.toString())).isEqualTo(Main.FAILED);
    assertThat(err.toString(StandardCharsets.UTF_8)).contains(":1:16: error: invalid name for build stage").contains("FROM alpine AS 1bad");
  }

  @Test
  void unknownFlagIsUsage() {
    assertThat(run("targets", "--nope")).isEqualTo(Main.USAGE);
  }
}
