package dev.jbuild.dockerfile.instructions;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.jbuild.dockerfile.DockerfileException;
import dev.jbuild.dockerfile.Dockerfiles;
import dev.jbuild.dockerfile.ir.Dockerfile;
import dev.jbuild.dockerfile.ir.IrPrinter;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * BuildKit's parser vectors (real-world Dockerfiles, shared/conformance) through the instruction
 * layer: the valid ones must survive parse → print → parse unchanged; the others must fail with
 * BuildKit's instruction-level message.
 */
class BuildKitCorpusRoundTripTest {

  /** Vectors the raw parser accepts but BuildKit's instruction layer rejects. */
  private static final Map<String, String> REJECTED =
      Map.of(
          "flags", "unknown flag: --user",
          "health", "HEALTHCHECK requires at least one argument",
          "json", "no build stage in current context",
          "jeztah-invalid-json-json-inside-string", "no build stage in current context",
          "jeztah-invalid-json-json-inside-string-double", "no build stage in current context",
          "jeztah-invalid-json-single-quotes", "no build stage in current context",
          "jeztah-invalid-json-unterminated-bracket", "no build stage in current context",
          "jeztah-invalid-json-unterminated-string", "no build stage in current context");

  @TestFactory
  List<DynamicTest> vectors() throws IOException {
    String shared = System.getProperty("jbuild.shared.dir");
    assertThat(shared).as("system property jbuild.shared.dir").isNotNull();
    Path dir = Paths.get(shared, "conformance", "buildkit", "parser", "testfiles");
    List<Path> cases;
    try (Stream<Path> s = Files.list(dir)) {
      cases = s.filter(Files::isDirectory).sorted().collect(Collectors.toList());
    }
    assertThat(cases).hasSizeGreaterThan(30);
    List<DynamicTest> tests = new ArrayList<>();
    for (Path c : cases) {
      String name = c.getFileName().toString();
      tests.add(DynamicTest.dynamicTest(name, () -> check(name, Files.readAllBytes(c.resolve("Dockerfile")))));
    }
    return tests;
  }

  private static void check(String name, byte[] content) {
    String rejection = REJECTED.get(name);
    if (rejection != null) {
      assertThatThrownBy(() -> Dockerfiles.parse("Dockerfile", content))
          .isInstanceOf(DockerfileException.class)
          .satisfies(e -> assertThat(((DockerfileException) e).primary().message()).isEqualTo(rejection));
      return;
    }
    Dockerfile ir = Dockerfiles.parse("Dockerfile", content);
    String printed = IrPrinter.print(ir);
    Dockerfile again = Dockerfiles.parse("Dockerfile", printed.getBytes(StandardCharsets.UTF_8));
    assertThat(SpanlessEquality.difference(ir, again, "dockerfile")).as(printed).isEmpty();
  }
}
