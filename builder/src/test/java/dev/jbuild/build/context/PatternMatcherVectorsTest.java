package dev.jbuild.build.context;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.DynamicTest.dynamicTest;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/** moby/patternmatcher's test tables, transcribed under testdata/dockerignore/. */
class PatternMatcherVectorsTest {

  private static final Path DIR =
      Path.of(System.getProperty("jbuild.testdata.dir", "../testdata"), "dockerignore");

  /** Rows of a TSV vector file; checks the row count against the header and the caller. */
  private static List<String[]> rows(String file, int expected) throws IOException {
    List<String[]> rows = new ArrayList<>();
    int declared = -1;
    for (String line : Files.readAllLines(DIR.resolve(file), StandardCharsets.UTF_8)) {
      if (line.startsWith("# count: ")) {
        declared = Integer.parseInt(line.substring("# count: ".length()).trim());
      } else if (!line.startsWith("#") && !line.isEmpty()) {
        rows.add(line.split("\t", -1));
      }
    }
    assertThat(rows).as(file + " rows").hasSize(expected);
    assertThat(declared).as(file + " declared count").isEqualTo(expected);
    return rows;
  }

  /** Feeds every parent of {@code path} to the incremental matcher first, as a walk does. */
  private static boolean incremental(PatternMatcher pm, String path) {
    String parent = SlashPath.dir(path);
    PatternMatcher.MatchState state = PatternMatcher.MatchState.NONE;
    if (!parent.equals(".")) {
      List<String> dirs = SlashPath.split(parent);
      for (int i = 0; i < dirs.size(); i++) {
        state = pm.matches(String.join("/", dirs.subList(0, i + 1)), state).state();
      }
    }
    return pm.matches(path, state).matched();
  }

  @TestFactory
  Stream<DynamicTest> testMatchesTable() throws IOException {
    return rows("matches.tsv", 68).stream()
        .map(
            r ->
                dynamicTest(
                    r[0] + " ~ " + r[1] + " = " + r[2],
                    () -> {
                      PatternMatcher pm = PatternMatcher.compile(List.of(r[0]));
                      boolean any = !r[2].equals("fail");
                      assertThat(pm.matchesExact(r[1])).as("exact").isEqualTo(r[2].equals("exact"));
                      assertThat(pm.matches(r[1])).as("or parent").isEqualTo(any);
                      assertThat(incremental(pm, r[1])).as("using parent results").isEqualTo(any);
                      assertThat(pm.matches(r[1], PatternMatcher.MatchState.NONE).matched())
                          .as("using parent results, no context")
                          .isEqualTo(any);
                    }));
  }

  /** The package-level Matches of patternmatcher: clean, "." never matches, one parent level. */
  private static boolean legacyMatches(String path, List<String> patterns) {
    PatternMatcher pm = PatternMatcher.compile(patterns);
    String file = SlashPath.clean(path);
    return !file.equals(".") && pm.matchesOneParentLevel(file);
  }

  @TestFactory
  Stream<DynamicTest> multiPatternAndSingleAssertTests() throws IOException {
    return rows("multi-patterns.tsv", 15).stream()
        .map(
            r ->
                dynamicTest(
                    r[0] + " " + Arrays.toString(Arrays.copyOfRange(r, 3, r.length)) + " ~ " + r[1],
                    () -> {
                      List<String> patterns = List.of(Arrays.copyOfRange(r, 3, r.length));
                      if (r[2].equals("error")) {
                        assertThatThrownBy(() -> legacyMatches(r[1], patterns))
                            .isInstanceOf(BadPatternException.class);
                        return;
                      }
                      boolean expected = Boolean.parseBoolean(r[2]);
                      if (r[0].equals("legacy")) {
                        assertThat(legacyMatches(r[1], patterns)).isEqualTo(expected);
                      } else {
                        PatternMatcher pm = PatternMatcher.compile(patterns);
                        assertThat(pm.matches(r[1])).as("or parent").isEqualTo(expected);
                        assertThat(incremental(pm, r[1])).as("using parent").isEqualTo(expected);
                        assertThat(pm.matches(r[1], PatternMatcher.MatchState.NONE).matched())
                            .as("no context")
                            .isEqualTo(expected);
                      }
                    }));
  }

  @TestFactory
  Stream<DynamicTest> filepathMatchTable() throws IOException {
    return rows("match.tsv", 54).stream()
        .map(
            r ->
                dynamicTest(
                    r[0] + " ~ " + r[1],
                    () -> {
                      if (r[3].equals("badpattern")) {
                        assertThatThrownBy(() -> legacyMatches(r[1], List.of(r[0])))
                            .isInstanceOf(BadPatternException.class)
                            .hasMessageContaining(BadPatternException.SYNTAX_ERROR);
                        assertThatThrownBy(() -> Glob.matches(r[0], r[1]))
                            .isInstanceOf(BadPatternException.class);
                      } else {
                        assertThat(legacyMatches(r[1], List.of(r[0])))
                            .isEqualTo(Boolean.parseBoolean(r[2]));
                        if (!r[1].contains("/")) {
                          // without a parent level to test, this is Go's filepath.Match table
                          assertThat(Glob.matches(r[0], r[1]))
                              .isEqualTo(Boolean.parseBoolean(r[2]));
                        }
                      }
                    }));
  }

  @TestFactory
  Stream<DynamicTest> compileTable() throws IOException {
    return rows("compile.tsv", 21).stream()
        .map(
            r ->
                dynamicTest(
                    r[0],
                    () -> {
                      PatternMatcher pm = PatternMatcher.compile(List.of(r[0]));
                      PatternMatcher.Compiled c = pm.compiled().get(0);
                      assertThat(c.type.name().toLowerCase()).isEqualTo(r[1]);
                      if (c.type == PatternMatcher.MatchType.REGEXP) {
                        assertThat(c.goRegex).isEqualTo(r[2]);
                      }
                    }));
  }

  @Test
  void ignoreFileReadAll() throws IOException {
    byte[] input = Files.readAllBytes(DIR.resolve("ignorefile-input.txt"));
    List<String> expected = new ArrayList<>();
    int declared = -1;
    for (String line : Files.readAllLines(DIR.resolve("ignorefile-expected.txt"))) {
      if (line.startsWith("# count: ")) {
        declared = Integer.parseInt(line.substring(9).trim());
      } else if (!line.startsWith("#")) {
        expected.add(line);
      }
    }
    assertThat(expected).hasSize(7).hasSize(declared);
    assertThat(IgnoreFile.parse(input)).containsExactlyElementsOf(expected);
    assertThat(IgnoreFile.parse(new byte[0])).isEmpty();
  }

  @Test
  void cleanPatterns() {
    assertThat(PatternMatcher.compile(List.of("docs", "config")).rules()).hasSize(2);
    assertThat(PatternMatcher.compile(List.of("docs", "config", "")).rules()).hasSize(2);
    assertThat(PatternMatcher.compile(List.of("docs", "!docs/README.md")).hasExclusions()).isTrue();
    assertThat(PatternMatcher.compile(List.of("docs", "  !docs/README.md")).hasExclusions())
        .isTrue();
    assertThat(PatternMatcher.compile(List.of("docs", "!docs/README.md  ")).hasExclusions())
        .isTrue();
    assertThatThrownBy(() -> PatternMatcher.compile(List.of("!")))
        .isInstanceOf(BadPatternException.class)
        .hasMessage("illegal exclusion pattern: \"!\"");
  }

  /**
   * The literal prefix and suffix checks in front of a pattern's regex only ever say "no"
   * where the regex says "no": every pattern of the vector tables against every path of them
   * (and the parent directories of each).
   */
  @Test
  void literalFastPathsAgreeWithTheRegex() throws IOException {
    List<String> patterns = new ArrayList<>();
    List<String> paths = new ArrayList<>();
    for (String[] r : rows("matches.tsv", 68)) {
      patterns.add(r[0]);
      paths.add(r[1]);
    }
    patterns.addAll(List.of("**/*.tmp", "src/**/*.java", "a*b.c", "x/[ab]c.d", "*.txt", "d\\*e"));
    paths.addAll(List.of("a.tmp", "src/x/y.tmp", "src/x/y.java", "src/y.java", "ab.c", "axb.c",
        "x/ac.d", "x/bc.d", "readme.txt", "d*e", "de"));
    List<String> all = new ArrayList<>(paths);
    for (String p : paths) {
      for (int slash = p.indexOf('/'); slash > 0; slash = p.indexOf('/', slash + 1)) {
        all.add(p.substring(0, slash));
      }
    }
    int checked = 0;
    for (String pattern : patterns) {
      PatternMatcher pm;
      try {
        pm = PatternMatcher.compile(List.of(pattern));
      } catch (BadPatternException e) {
        continue;
      }
      for (PatternMatcher.Compiled c : pm.compiled()) {
        if (c.type != PatternMatcher.MatchType.REGEXP) {
          continue;
        }
        for (String path : all) {
          assertThat(c.matches(path))
              .as(pattern + " ~ " + path)
              .isEqualTo(c.regex.matcher(path).matches());
          checked++;
        }
      }
    }
    assertThat(checked).isGreaterThan(500);
  }
}
