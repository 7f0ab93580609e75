package dev.jbuild.build.context;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Semantics beyond moby's tables: escapes, classes, pruning, the ignore-file reader. */
class PatternMatcherTest {

  private static PatternMatcher pm(String... patterns) {
    return PatternMatcher.compile(List.of(patterns));
  }

  @Test
  void lastMatchWinsAndParentsCount() {
    PatternMatcher m = pm("*.md", "!README.md", "docs");
    assertThat(m.matches("a.md")).isTrue();
    assertThat(m.matches("README.md")).isFalse();
    assertThat(m.matches("docs/README.md")).isTrue(); // "docs" comes last and matches the parent
    assertThat(m.matches("sub/a.md")).isFalse(); // * does not cross /
    assertThat(pm("docs", "!docs/keep").matches("docs/keep/deeper/file")).isFalse();
  }

  @Test
  void escapesClassesAndLiteralMetacharacters() {
    assertThat(pm("a\\*b").matches("a*b")).isTrue();
    assertThat(pm("a\\*b").matches("axb")).isFalse();
    assertThat(pm("\\[x]").matches("[x]")).isTrue();
    assertThat(pm("f[0-9].txt").matches("f7.txt")).isTrue();
    assertThat(pm("f[0-9].txt").matches("fa.txt")).isFalse();
    assertThat(pm("f[^0-9]").matches("fa")).isTrue();
    assertThat(pm("f[*]").matches("f*")).isTrue(); // a class keeps filepath.Match's meaning
    assertThat(pm("f[*]").matches("fx")).isFalse();
    assertThat(pm("a+b{1}(c)|$").matches("a+b{1}(c)|$")).isTrue();
    assertThat(pm("a&&b").matches("a&&b")).isTrue();
    assertThat(pm("[a&&b]").matches("&")).isTrue();
    assertThat(pm("x y").matches("x y")).isTrue();
    assertThat(pm("ünï*").matches("ünïcode")).isTrue();
  }

  @Test
  void doubleStarForms() {
    assertThat(pm("**/*.go").matches("a/b/c.go")).isTrue();
    assertThat(pm("**/*.go").matches("c.go")).isTrue();
    assertThat(pm("a/**/b").matches("a/b")).isTrue();
    assertThat(pm("a/**/b").matches("a/x/y/b")).isTrue();
    assertThat(pm("a/**/b").matches("ab")).isFalse();
    assertThat(pm("**").matches("anything/at/all")).isTrue();
  }

  @Test
  void badPatternsAreRejectedWithGoMessage() {
    for (String bad : List.of("[", "a[", "[x-]", "\\", "[]a]", "[z-a]", "!a[")) {
      assertThatThrownBy(() -> pm(bad))
          .as(bad)
          .isInstanceOf(BadPatternException.class)
          .hasMessageStartingWith("syntax error in pattern");
    }
    assertThatThrownBy(() -> pm("!")).hasMessage("illegal exclusion pattern: \"!\"");
    assertThatThrownBy(() -> pm("  !  ")).hasMessage("illegal exclusion pattern: \"!\"");
  }

  @Test
  void patternsAreTrimmedAndCleaned() {
    PatternMatcher m = pm("  ./a/b/../c/  ", "", " \t ", "!x//y/");
    assertThat(m.rules())
        .containsExactly(new PatternMatcher.Rule("a/c", false), new PatternMatcher.Rule("x/y", true));
    assertThat(pm().isEmpty()).isTrue();
    assertThat(pm(" ").hasExclusions()).isFalse();
    // Go's TrimSpace also strips a no-break space
    assertThat(pm("\u00a0a\u00a0").rules().get(0).pattern()).isEqualTo("a");
  }

  @Test
  void incrementalMatchingAgreesWithFullMatching() {
    PatternMatcher m = pm("**/build", "!**/build/keep/**", "*.tmp", "src/gen");
    String[] paths = {
      "build", "build/x", "build/keep", "build/keep/a", "a/build/keep/b/c", "a.tmp", "a/b.tmp",
      "src/gen/x/y", "src/genx"
    };
    for (String p : paths) {
      PatternMatcher.MatchState state = PatternMatcher.MatchState.NONE;
      List<String> parts = SlashPath.split(p);
      boolean result = false;
      for (int i = 0; i < parts.size(); i++) {
        PatternMatcher.Result r = m.matches(String.join("/", parts.subList(0, i + 1)), state);
        state = r.state();
        result = r.matched();
      }
      assertThat(result).as(p).isEqualTo(m.matches(p));
    }
    PatternMatcher other = pm("a", "b", "c");
    PatternMatcher.MatchState foreign = other.matches("a", PatternMatcher.MatchState.NONE).state();
    assertThatThrownBy(() -> pm("x").matches("x/y", foreign))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void pruningOnlyWhenNoExceptionCanReachBelow() {
    assertThat(pm("node_modules").mayReincludeBelow("node_modules")).isFalse();
    assertThat(pm("node_modules", "!keep").mayReincludeBelow("node_modules")).isFalse();
    assertThat(pm("node_modules", "!node_modules/x").mayReincludeBelow("node_modules")).isTrue();
    assertThat(pm("node_modules", "!**/x").mayReincludeBelow("node_modules")).isTrue();
    assertThat(pm("node_modules", "!node_modulesx").mayReincludeBelow("node_modules")).isFalse();
  }

  @Test
  void globIsGoFilepathMatch() {
    assertThat(Glob.matches("*.txt", ".hidden.txt")).isTrue();
    assertThat(Glob.matches("*", "a/b")).isFalse();
    assertThat(Glob.matches("a*/b", "a/b")).isTrue();
    assertThat(Glob.matches("[a-c]?[!x]", "bz!")).isTrue(); // '!' is no negation in Go
    assertThat(Glob.matches("\\*", "*")).isTrue();
    assertThat(Glob.matches("a?b", "a☺b")).isTrue();
    assertThat(Glob.matches("x*", "yz")).isFalse();
    assertThatThrownBy(() -> Glob.matches("x*[", "yz")).isInstanceOf(BadPatternException.class);
    assertThat(Glob.hasWildcards("a\\*b")).isFalse();
    assertThat(Glob.hasWildcards("a[b]")).isTrue();
    assertThat(Glob.hasWildcards("what?")).isTrue();
  }

  @Test
  void slashPathCleanIsGoPathClean() {
    String[][] cases = {
      {"", "."}, {"/", "/"}, {"a/b/", "a/b"}, {"a//b", "a/b"}, {"./a", "a"}, {"a/./b", "a/b"},
      {"a/../b", "b"}, {"../a", "../a"}, {"/../a", "/a"}, {"a/b/../../..", ".."}, {"..", ".."},
      {"/a/b/../../../c", "/c"}, {"abc/def/../../..", ".."}, {"a/..", "."}
    };
    for (String[] c : cases) {
      assertThat(SlashPath.clean(c[0])).as(c[0]).isEqualTo(c[1]);
    }
    assertThat(SlashPath.normalizeSource("../../x/")).isEqualTo("x");
    assertThat(SlashPath.normalizeSource(".")).isEmpty();
    assertThat(SlashPath.dir("a/b")).isEqualTo("a");
    assertThat(SlashPath.dir("a")).isEqualTo(".");
    assertThat(SlashPath.compare("a-c", "a/x")).isNegative();
    assertThat(SlashPath.compare("\uffff", "\ud83d\ude00")).isNegative(); // UTF-8 byte order
  }

  @Test
  void compareIsUtf8ByteOrder() {
    // names made of a few chars either side of the surrogates, pairs among them: every
    // combination where the char-by-char shortcut and code point order could part ways
    String[] atoms = {"a", "b", "\u00e9", "\ud7ff", "\ue000", "\uffff", "\ud83d\ude00",
        "\ud83d\ude01", "\ud83e\udd14", "\udbff\udfff"};
    java.util.Random random = new java.util.Random(42);
    for (int round = 0; round < 20_000; round++) {
      String x = name(atoms, random);
      String y = random.nextInt(4) == 0 ? x + name(atoms, random) : name(atoms, random);
      if (random.nextBoolean()) {
        y = x.substring(0, random.nextInt(x.length() + 1)) + y; // a shared prefix
      }
      int bytes =
          java.util.Arrays.compareUnsigned(
              x.getBytes(StandardCharsets.UTF_8), y.getBytes(StandardCharsets.UTF_8));
      assertThat(Integer.signum(SlashPath.compare(x, y))).as(x + " vs " + y)
          .isEqualTo(Integer.signum(bytes));
    }
  }

  private static String name(String[] atoms, java.util.Random random) {
    StringBuilder b = new StringBuilder();
    for (int i = random.nextInt(4); i >= 0; i--) {
      b.append(atoms[random.nextInt(atoms.length)]);
    }
    return b.toString();
  }

  @Test
  void ignoreFileParsing() {
    byte[] content =
        ("\ufeff# comment\r\n  # not a comment\r\n/abs/path/\r\n!  /neg\n\n  spaced  \n"
                + "dir/../x\n.\n/\n!\n")
            .getBytes(StandardCharsets.UTF_8);
    assertThat(IgnoreFile.parse(content))
        .containsExactly("# not a comment", "abs/path", "!neg", "spaced", "x", ".", "/", "!");
    // the BOM only counts at the very start
    assertThat(IgnoreFile.parse("a\n\ufeffb".getBytes(StandardCharsets.UTF_8)))
        .containsExactly("a", "\ufeffb");
  }

  @Test
  void ignoreFileLocation(@TempDir Path dir) throws IOException {
    Path dockerfile = dir.resolve("ci/app.Dockerfile");
    Files.createDirectories(dockerfile.getParent());
    assertThat(IgnoreFile.locate(dir, dockerfile)).isEmpty();
    Files.writeString(dir.resolve(".dockerignore"), "x");
    assertThat(IgnoreFile.locate(dir, dockerfile)).contains(dir.resolve(".dockerignore"));
    Files.writeString(dir.resolve("ci/app.Dockerfile.dockerignore"), "y");
    assertThat(IgnoreFile.locate(dir, dockerfile))
        .contains(dir.resolve("ci/app.Dockerfile.dockerignore"));
    assertThat(IgnoreFile.locate(dir, null)).contains(dir.resolve(".dockerignore"));
    // only the root one counts
    Files.delete(dir.resolve(".dockerignore"));
    Files.writeString(dir.resolve("ci/.dockerignore"), "z");
    assertThat(IgnoreFile.locate(dir, dir.resolve("Dockerfile"))).isEmpty();
  }
}
