package dev.jbuild.dockerfile.instructions;

import static org.assertj.core.api.Assertions.assertThat;

import dev.jbuild.dockerfile.DiagnosticRenderer;
import dev.jbuild.dockerfile.DockerfileException;
import dev.jbuild.dockerfile.Dockerfiles;
import dev.jbuild.dockerfile.SourceSpan;
import dev.jbuild.dockerfile.ir.Add;
import dev.jbuild.dockerfile.ir.CommandLine;
import dev.jbuild.dockerfile.ir.Copy;
import dev.jbuild.dockerfile.ir.CopySource;
import dev.jbuild.dockerfile.ir.Device;
import dev.jbuild.dockerfile.ir.Dockerfile;
import dev.jbuild.dockerfile.ir.Entrypoint;
import dev.jbuild.dockerfile.ir.From;
import dev.jbuild.dockerfile.ir.Instruction;
import dev.jbuild.dockerfile.ir.IrPrinter;
import dev.jbuild.dockerfile.ir.Run;
import dev.jbuild.dockerfile.ir.RunMount;
import dev.jbuild.dockerfile.ir.Shell;
import dev.jbuild.dockerfile.ir.Stage;
import dev.jbuild.dockerfile.ir.Volume;
import dev.jbuild.dockerfile.syntax.Directives;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.stream.Collectors;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Seeded random IR with awkward flag values, JSON words and paths: printing and parsing again
 * must give the same IR, for both escape characters.
 */
class PrinterRoundTripTest {

  private static final String TRICKY = "ab/._-:=,$\"'\\ `{}*é\t";
  private static final SourceSpan SPAN = SourceSpan.at("Dockerfile", 1, 1);

  @ParameterizedTest
  @ValueSource(longs = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20})
  void randomIrSurvivesPrintAndParse(long seed) {
    Random r = new Random(seed);
    char escape = r.nextBoolean() ? '\\' : '`';
    List<Instruction> body = new ArrayList<>();
    for (int i = 0; i < 12; i++) {
      body.add(instruction(r));
    }
    Dockerfile ir =
        new Dockerfile(
            "Dockerfile",
            new Directives(Optional.empty(), escape, Optional.empty()),
            List.of(),
            List.of(new Stage(new From(SPAN, "alpine", Optional.of(flagValue(r)), Optional.of("s0")), body, 0, Optional.empty())),
            List.of());
    String printed = IrPrinter.print(ir);
    Dockerfile again;
    try {
      again = Dockerfiles.parse("Dockerfile", printed.getBytes(StandardCharsets.UTF_8));
    } catch (DockerfileException e) {
      throw new AssertionError(
          "seed " + seed + " printed text does not parse:\n" + printed + "\n"
              + DiagnosticRenderer.render(e.primary(), List.of(printed.split("\n", -1))));
    }
    assertThat(SpanlessEquality.difference(ir, again, "dockerfile")).as("seed %d:\n%s", seed, printed).isEmpty();
  }

  private static Instruction instruction(Random r) {
    switch (r.nextInt(6)) {
      case 0:
        // --from holding a '$' is refused (BuildKit never expands it)
        Optional<String> from = opt(r).map(f -> f.replace("$", "S"));
        return new Copy(SPAN, paths(r), path(r), from, opt(r), opt(r), r.nextBoolean(), r.nextBoolean(), values(r));
      case 1:
        return new Add(SPAN, paths(r), path(r), opt(r), opt(r), r.nextBoolean(), values(r), r.nextBoolean(), opt(r),
            r.nextBoolean() ? Optional.of(r.nextBoolean()) : Optional.empty());
      case 2:
        List<RunMount> mounts = new ArrayList<>();
        for (int i = r.nextInt(3); i > 0; i--) {
          mounts.add(
              new RunMount(dev.jbuild.dockerfile.ir.MountType.CACHE, Optional.of("/" + flagValue(r)), opt(r), Optional.empty(),
                  opt(r), Optional.empty(), r.nextBoolean(), Optional.empty(), false, java.util.OptionalLong.empty(),
                  java.util.OptionalLong.empty(), java.util.OptionalLong.empty(), java.util.OptionalLong.empty(), List.of()));
        }
        List<Device> devices = r.nextBoolean() ? List.of(new Device(flagValue(r), r.nextBoolean())) : List.of();
        CommandLine cmd = r.nextBoolean() ? new CommandLine.ExecForm(jsonWords(r)) : new CommandLine.ShellForm("echo " + word(r));
        return new Run(SPAN, cmd, List.of(), mounts, Optional.empty(), Optional.empty(), devices);
      case 3:
        return new Entrypoint(SPAN, new CommandLine.ExecForm(jsonWords(r)));
      case 4:
        return new Shell(SPAN, List.of("/bin/sh", word(r)));
      default:
        return new Volume(SPAN, r.nextBoolean() ? List.of("/v " + word(r), "/w") : List.of("/" + word(r).replace(" ", "").replace("\t", "")));
    }
  }

  /** A non-empty word of tricky characters, never blank at its ends. */
  private static String word(Random r) {
    StringBuilder b = new StringBuilder("x");
    for (int i = r.nextInt(6); i > 0; i--) {
      b.append(TRICKY.charAt(r.nextInt(TRICKY.length())));
    }
    return b.append('y').toString();
  }

  /**
   * Flag values: anything the line parser can carry in a quoted flag word, but ASCII only:
   * BuildKit reads flag words byte by byte as runes, so non-ASCII text in a flag comes back
   * re-encoded (and so does ours, on purpose).
   */
  private static String flagValue(Random r) {
    return word(r).replace("\u00e9", "e");
  }

  private static Optional<String> opt(Random r) {
    return r.nextBoolean() ? Optional.of(flagValue(r)) : Optional.empty();
  }

  private static List<String> values(Random r) {
    List<String> out = new ArrayList<>();
    for (int i = r.nextInt(3); i > 0; i--) {
      out.add(flagValue(r));
    }
    return out;
  }

  /** COPY/ADD paths: with whitespace they force JSON form. */
  private static String path(Random r) {
    return word(r).replace("\t", " ");
  }

  private static List<CopySource> paths(Random r) {
    return List.of(new CopySource.PathSource(path(r)), new CopySource.PathSource(path(r)));
  }

  private static List<String> jsonWords(Random r) {
    return List.of(word(r), word(r) + "\n", "").stream().collect(Collectors.toList());
  }
}
