package dev.jbuild.dockerfile.lint;

import static org.assertj.core.api.Assertions.assertThat;

import dev.jbuild.dockerfile.DockerfileException;
import dev.jbuild.dockerfile.shell.Platform;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Seeded mutations of the lint golden Dockerfiles (lines dropped, duplicated, swapped, spliced
 * with shell characters): the checks either report or reject the file with a positioned {@link
 * DockerfileException}, never with another exception.
 */
class LinterFuzzTest {

  private static final String[] SPLICES = {"$", "${", "}", "\\", "'", "\"", "${X:?}", " AS ", "=", "<<EOF", "\n", "--platform=", "#"};

  @Test
  void mutatedDockerfilesNeverCrashTheChecks() throws IOException {
    Path family = Path.of(System.getProperty("jbuild.testdata.dir"), "lint");
    List<String> sources = new ArrayList<>();
    try (Stream<Path> s = Files.list(family)) {
      for (Path dir : s.sorted().collect(Collectors.toList())) {
        Path f = dir.resolve("Dockerfile");
        if (Files.exists(f)) {
          sources.add(Files.readString(f, StandardCharsets.UTF_8));
        }
      }
    }
    assertThat(sources).hasSizeGreaterThan(20);
    Random random = new Random(20261122);
    LintOptions options = LintOptions.defaults(Platform.of("linux", "amd64"));
    int linted = 0;
    int rejected = 0;
    for (int i = 0; i < 1000; i++) {
      List<String> lines = new ArrayList<>(List.of(sources.get(random.nextInt(sources.size())).split("\n", -1)));
      int edits = 1 + random.nextInt(3);
      for (int e = 0; e < edits && !lines.isEmpty(); e++) {
        int at = random.nextInt(lines.size());
        switch (random.nextInt(4)) {
          case 0:
            lines.remove(at);
            break;
          case 1:
            lines.add(at, lines.get(random.nextInt(lines.size())));
            break;
          case 2:
            String line = lines.get(at);
            int pos = line.isEmpty() ? 0 : random.nextInt(line.length() + 1);
            lines.set(at, line.substring(0, pos) + SPLICES[random.nextInt(SPLICES.length)] + line.substring(pos));
            break;
          default:
            int other = random.nextInt(lines.size());
            String t = lines.get(at);
            lines.set(at, lines.get(other));
            lines.set(other, t);
        }
      }
      byte[] content = String.join("\n", lines).getBytes(StandardCharsets.UTF_8);
      try {
        LintReport report = Linter.check("Dockerfile", content, options);
        assertThat(report.diagnostics()).allSatisfy(d -> assertThat(d.span().startLine()).isPositive());
        linted++;
      } catch (DockerfileException e) {
        assertThat(e.diagnostics()).isNotEmpty();
        rejected++;
      }
    }
    assertThat(linted).isGreaterThan(100);
    assertThat(rejected).isPositive();
  }
}
