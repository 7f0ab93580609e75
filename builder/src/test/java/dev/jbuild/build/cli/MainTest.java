package dev.jbuild.build.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class MainTest {

  private final ByteArrayOutputStream out = new ByteArrayOutputStream();
  private final ByteArrayOutputStream err = new ByteArrayOutputStream();

  private int run(String... args) {
    return Main.run(
        args,
        new PrintStream(out, true, StandardCharsets.UTF_8),
        new PrintStream(err, true, StandardCharsets.UTF_8));
  }

  @Test
  void versionPrintsNameAndExitsZero() {
    assertThat(run("--version")).isZero();
    assertThat(out.toString(StandardCharsets.UTF_8)).startsWith("jbuild ");
  }

  @Test
  void versionShortcutPrintsWhatPicocliPrints() {
    assertThat(run("-V")).isZero();
    ByteArrayOutputStream viaPicocli = new ByteArrayOutputStream();
    Main.commandLine(System.out, System.err, "")
        .printVersionHelp(new PrintStream(viaPicocli, true, StandardCharsets.UTF_8));
    assertThat(out.toString(StandardCharsets.UTF_8))
        .isEqualTo(viaPicocli.toString(StandardCharsets.UTF_8))
        .contains("Java ");
  }

  @Test
  void unknownOptionIsUsageError() {
    assertThat(run("--no-such-option")).isEqualTo(Main.USAGE);
    assertThat(err.toString(StandardCharsets.UTF_8)).contains("--no-such-option");
  }
}
