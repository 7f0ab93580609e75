package dev.jbuild.dockerfile.shell;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * BuildKit's shell lexer vectors (spec §6.3), read in place from {@code
 * shared/conformance/buildkit/shell}: every Unix ({@code A} and {@code U}) line of {@code
 * envVarTest} through {@link ShellLexer#expandWord} and every case of {@code wordsTest} through
 * {@link ShellLexer#expandWords}, with the parsing rules of BuildKit's {@code lex_test.go}.
 */
class ShellConformanceTest {

  private static Path vectors(String name) {
    String shared = System.getProperty("jbuild.shared.dir");
    assertThat(shared).as("system property jbuild.shared.dir").isNotNull();
    Path file = Path.of(shared, "conformance", "buildkit", "shell", name);
    assertThat(file).as("BuildKit vector file").isRegularFile();
    return file;
  }

  @TestFactory
  List<DynamicTest> envVarTest() throws IOException {
    Path file = vectors("envVarTest");
    Environment env = Environment.of("PWD", "/home", "SHELL", "bash", "KOREAN", "한국어", "NULL", "");
    ShellLexer lexer = new ShellLexer('\\');
    List<DynamicTest> tests = new ArrayList<>();
    int all = 0;
    int unix = 0;
    int windows = 0;
    int lineNo = 0;
    for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
      lineNo++;
      if (line.startsWith("#") || line.trim().isEmpty()) {
        continue;
      }
      String[] parts = line.trim().split("\\|", -1);
      assertThat(parts).as("line %d must have exactly two '|'", lineNo).hasSize(3);
      String platform = parts[0].trim();
      String source = parts[1].trim();
      String expected = parts[2].trim();
      switch (platform) {
        case "A":
          all++;
          break;
        case "U":
          unix++;
          break;
        case "W":
          windows++;
          continue; // $pwd == $PWD only where env keys ignore case
        default:
          throw new AssertionError("bad platform tag at line " + lineNo + ": " + platform);
      }
      int at = lineNo;
      tests.add(
          DynamicTest.dynamicTest(
              "line " + at + ": " + source,
              () -> {
                if (expected.equals("error")) {
                  assertThatThrownBy(() -> lexer.expandWord(source, env))
                      .isInstanceOf(ExpansionException.class)
                      .hasMessageStartingWith("failed to process ");
                } else {
                  assertThat(lexer.expandWord(source, env)).as("line %d", at).isEqualTo(expected);
                }
              }));
    }
    // Counts from spec §6.3: a missing or truncated file must fail.
    assertThat(all).isEqualTo(226);
    assertThat(unix).isEqualTo(2);
    assertThat(windows).isEqualTo(2);
    assertThat(tests).hasSize(228);
    return tests;
  }

  @TestFactory
  List<DynamicTest> wordsTest() throws IOException {
    Path file = vectors("wordsTest");
    ShellLexer lexer = new ShellLexer('\\');
    List<String> envLines = new ArrayList<>();
    List<DynamicTest> tests = new ArrayList<>();
    int envCount = 0;
    int lineNo = 0;
    for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
      lineNo++;
      if (line.startsWith("#")) {
        continue;
      }
      if (line.startsWith("ENV ")) {
        // Cumulative, in file order; trailing spaces are part of the value.
        envLines.add(stripLeadingSpaces(line.substring(3)));
        envCount++;
        continue;
      }
      String[] parts = line.split("\\|", -1);
      assertThat(parts).as("line %d must have exactly one '|'", lineNo).hasSize(2);
      String input = parts[0].trim();
      List<String> expected = Arrays.asList(stripLeadingSpaces(parts[1]).split(",", -1));
      Environment env = Environment.fromList(envLines);
      int at = lineNo;
      tests.add(
          DynamicTest.dynamicTest(
              "line " + at + ": " + input,
              () -> {
                List<String> actual;
                try {
                  actual = lexer.expandWords(input, env);
                } catch (ExpansionException e) {
                  actual = List.of("error");
                }
                assertThat(actual).as("line %d: %s", at, input).isEqualTo(expected);
              }));
    }
    assertThat(envCount).isEqualTo(4);
    assertThat(tests).hasSize(24);
    return tests;
  }

  private static String stripLeadingSpaces(String s) {
    int i = 0;
    while (i < s.length() && s.charAt(i) == ' ') {
      i++;
    }
    return s.substring(i);
  }
}
