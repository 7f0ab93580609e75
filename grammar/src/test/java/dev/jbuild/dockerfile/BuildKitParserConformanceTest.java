package dev.jbuild.dockerfile;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.jbuild.dockerfile.syntax.SyntaxDump;
import dev.jbuild.dockerfile.syntax.SyntaxNode;
import dev.jbuild.dockerfile.syntax.SyntaxTree;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/** BuildKit's own parser vectors (spec §6.1, §6.2), read in place from the shared directory. */
class BuildKitParserConformanceTest {

  static Path vectors() {
    String shared = System.getProperty("jbuild.shared.dir");
    assertThat(shared).as("system property jbuild.shared.dir").isNotNull();
    Path dir = Path.of(shared, "conformance", "buildkit", "parser");
    assertThat(dir).as("BuildKit parser vectors").isDirectory();
    return dir;
  }

  static List<Path> cases(String family) throws IOException {
    try (Stream<Path> s = Files.list(vectors().resolve(family))) {
      return s.filter(Files::isDirectory).sorted().collect(Collectors.toList());
    }
  }

  @TestFactory
  Stream<DynamicTest> testfilesMatchTheirResult() throws IOException {
    List<Path> cases = cases("testfiles");
    assertThat(cases).hasSize(33);
    return cases.stream().map(dir -> DynamicTest.dynamicTest(dir.getFileName().toString(), () -> {
      byte[] dockerfile = Files.readAllBytes(dir.resolve("Dockerfile"));
      String expected = Files.readString(dir.resolve("result"), StandardCharsets.UTF_8);
      SyntaxTree tree = Dockerfiles.parseSyntax("Dockerfile", dockerfile);
      assertThat(SyntaxDump.dump(tree)).isEqualTo(expected);
    }));
  }

  @TestFactory
  Stream<DynamicTest> negativeTestfilesFail() throws IOException {
    List<Path> cases = cases("testfiles-negative");
    assertThat(cases).hasSize(4);
    return cases.stream().map(dir -> DynamicTest.dynamicTest(dir.getFileName().toString(), () -> {
      byte[] dockerfile = Files.readAllBytes(dir.resolve("Dockerfile"));
      assertThatThrownBy(() -> Dockerfiles.parseSyntax("Dockerfile", dockerfile))
          .isInstanceOf(DockerfileException.class)
          .satisfies(e -> {
            SourceSpan span = ((DockerfileException) e).primary().span();
            assertThat(span.file()).isEqualTo("Dockerfile");
            assertThat(span.startLine()).isBetween(1, Math.max(1, lineCount(dockerfile)));
          });
    }));
  }

  @Test
  void negativeMessagesAreBuildKits() throws IOException {
    Path neg = vectors().resolve("testfiles-negative");
    assertThat(message(neg.resolve("empty_dockerfile"))).isEqualTo("file with no instructions");
    assertThat(message(neg.resolve("only_comments"))).isEqualTo("file with no instructions");
    assertThat(message(neg.resolve("env_no_value"))).isEqualTo("ENV must have two arguments");
    assertThat(message(neg.resolve("shykes-nested-json")))
        .isEqualTo("when using JSON array syntax, arrays must be comprised of strings only");
  }

  @Test
  void envNoValueIsPositionedOnItsLine() throws IOException {
    byte[] f = Files.readAllBytes(vectors().resolve("testfiles-negative/env_no_value/Dockerfile"));
    assertThatThrownBy(() -> Dockerfiles.parseSyntax("Dockerfile", f))
        .isInstanceOfSatisfying(DockerfileException.class,
            e -> assertThat(e.primary().span()).isEqualTo(new SourceSpan("Dockerfile", 3, 1, 3)));
  }

  @Test
  void testfileLineHasBuildKitsLineNumbers() throws IOException {
    byte[] f = Files.readAllBytes(vectors().resolve("testfile-line/Dockerfile"));
    SyntaxTree tree = Dockerfiles.parseSyntax("Dockerfile", f);
    List<SyntaxNode> c = tree.children();
    assertThat(c).hasSize(3);
    assertThat(c.get(0).span().startLine()).isEqualTo(5);
    assertThat(c.get(c.size() - 1).span().endLine()).isEqualTo(31);
    assertThat(c).extracting(n -> List.of(n.span().startLine(), n.span().endLine()))
        .containsExactly(List.of(5, 5), List.of(11, 12), List.of(17, 31));
  }

  private static String message(Path dir) throws IOException {
    byte[] f = Files.readAllBytes(dir.resolve("Dockerfile"));
    try {
      Dockerfiles.parseSyntax("Dockerfile", f);
    } catch (DockerfileException e) {
      return e.primary().message();
    }
    throw new AssertionError(dir + " parsed");
  }

  private static int lineCount(byte[] content) {
    return new String(content, StandardCharsets.UTF_8).split("\n", -1).length;
  }
}
