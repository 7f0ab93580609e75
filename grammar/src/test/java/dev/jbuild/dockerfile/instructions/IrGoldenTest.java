package dev.jbuild.dockerfile.instructions;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.fail;

import dev.jbuild.dockerfile.DiagnosticRenderer;
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
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * Golden families {@code testdata/parse/<case>/{Dockerfile,expected}} (the IR as
 * {@link IrPrinter#printWithSpans} renders it) and {@code testdata/errors/<case>/{Dockerfile,expected}}
 * (the rendered diagnostic). {@code -Djbuild.golden.update=true} rewrites the expectations.
 */
class IrGoldenTest {

  private static final boolean UPDATE = Boolean.getBoolean("jbuild.golden.update");

  private static Path family(String name) {
    String dir = System.getProperty("jbuild.testdata.dir");
    if (dir == null) {
      throw new IllegalStateException("system property jbuild.testdata.dir is not set");
    }
    return Paths.get(dir, name);
  }

  private static List<Path> cases(Path family) throws IOException {
    try (Stream<Path> s = Files.list(family)) {
      return s.filter(Files::isDirectory).sorted().collect(Collectors.toList());
    }
  }

  @TestFactory
  List<DynamicTest> parse() throws IOException {
    List<DynamicTest> tests = new ArrayList<>();
    for (Path dir : cases(family("parse"))) {
      tests.add(DynamicTest.dynamicTest(dir.getFileName().toString(), () -> checkParse(dir)));
    }
    assertThat(tests).as("parse cases").isNotEmpty();
    return tests;
  }

  @TestFactory
  List<DynamicTest> errors() throws IOException {
    List<DynamicTest> tests = new ArrayList<>();
    for (Path dir : cases(family("errors"))) {
      tests.add(DynamicTest.dynamicTest(dir.getFileName().toString(), () -> checkError(dir)));
    }
    assertThat(tests).as("error cases").isNotEmpty();
    return tests;
  }

  private static void checkParse(Path dir) throws IOException {
    byte[] content = Files.readAllBytes(dir.resolve("Dockerfile"));
    Dockerfile ir;
    try {
      ir = Dockerfiles.parse("Dockerfile", content);
    } catch (DockerfileException e) {
      fail("unexpected error:\n" + DiagnosticRenderer.render(e.primary(), lines(content)));
      return;
    }
    compare(dir.resolve("expected"), IrPrinter.printWithSpans(ir));
    // Invariant: the canonical text parses back to an equal IR.
    String printed = IrPrinter.print(ir);
    Dockerfile again;
    try {
      again = Dockerfiles.parse("Dockerfile", printed.getBytes(StandardCharsets.UTF_8));
    } catch (DockerfileException e) {
      fail("printed IR does not parse:\n" + printed + "\n" + DiagnosticRenderer.render(e.primary(), lines(printed.getBytes(StandardCharsets.UTF_8))));
      return;
    }
    Optional<String> diff = SpanlessEquality.difference(ir, again, "dockerfile");
    assertThat(diff).as("parse(print(ir)) differs; printed:\n" + printed).isEmpty();
    assertThat(IrPrinter.print(again)).isEqualTo(printed);
  }

  private static void checkError(Path dir) throws IOException {
    byte[] content = Files.readAllBytes(dir.resolve("Dockerfile"));
    String actual;
    try {
      Dockerfile ir = Dockerfiles.parse("Dockerfile", content);
      actual = "no error; parsed as:\n" + IrPrinter.printWithSpans(ir);
    } catch (DockerfileException e) {
      actual = DiagnosticRenderer.render(e.primary(), lines(content));
    }
    compare(dir.resolve("expected"), actual);
  }

  private static void compare(Path expectedFile, String actual) throws IOException {
    if (UPDATE) {
      Files.writeString(expectedFile, actual, StandardCharsets.UTF_8);
      return;
    }
    if (!Files.exists(expectedFile)) {
      fail(expectedFile + " is missing (run with -Djbuild.golden.update=true and review it); actual:\n" + actual);
    }
    assertThat(actual).isEqualTo(Files.readString(expectedFile, StandardCharsets.UTF_8));
  }

  private static List<String> lines(byte[] content) {
    String s = new String(content, StandardCharsets.UTF_8);
    if (s.startsWith("\uFEFF")) {
      s = s.substring(1);
    }
    return Arrays.stream(s.split("\n", -1)).map(l -> l.endsWith("\r") ? l.substring(0, l.length() - 1) : l)
        .collect(Collectors.toList());
  }
}
