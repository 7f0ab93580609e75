package dev.jbuild.dockerfile.lint;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.fail;

import dev.jbuild.dockerfile.Diagnostic;
import dev.jbuild.dockerfile.DiagnosticRenderer;
import dev.jbuild.dockerfile.DockerfileException;
import dev.jbuild.dockerfile.shell.Environment;
import dev.jbuild.dockerfile.shell.Platform;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/**
 * Golden family {@code testdata/lint/<case>/}: {@code Dockerfile} and {@code expected} (every
 * diagnostic as the CLI renders it, then the failure line if the build would fail), plus
 * optional inputs: {@code .dockerignore}, {@code build-args} ({@code K=V} lines) and {@code
 * images} ({@code ref os/arch [K=V…]} lines: base image configs). {@code
 * -Djbuild.golden.update=true} rewrites the expectations.
 */
class LintGoldenTest {

  private static final boolean UPDATE = Boolean.getBoolean("jbuild.golden.update");
  private static final Platform AMD64 = Platform.of("linux", "amd64");

  private static Path family() {
    String dir = System.getProperty("jbuild.testdata.dir");
    if (dir == null) {
      throw new IllegalStateException("system property jbuild.testdata.dir is not set");
    }
    return Paths.get(dir, "lint");
  }

  @TestFactory
  List<DynamicTest> lint() throws IOException {
    List<DynamicTest> tests = new ArrayList<>();
    try (Stream<Path> s = Files.list(family())) {
      for (Path dir : s.filter(Files::isDirectory).sorted().collect(Collectors.toList())) {
        tests.add(DynamicTest.dynamicTest(dir.getFileName().toString(), () -> check(dir)));
      }
    }
    assertThat(tests).as("lint cases").isNotEmpty();
    return tests;
  }

  /** Every rule has at least one case whose expectation names it. */
  @Test
  void everyRuleHasACase() throws IOException {
    Set<String> covered = new TreeSet<>();
    try (Stream<Path> s = Files.list(family())) {
      for (Path dir : s.filter(Files::isDirectory).collect(Collectors.toList())) {
        Path expected = dir.resolve("expected");
        if (Files.exists(expected)) {
          String text = Files.readString(expected, StandardCharsets.UTF_8);
          for (Rule r : Rules.ALL) {
            if (text.contains("[" + r.name() + "]")) {
              covered.add(r.name());
            }
          }
        }
      }
    }
    assertThat(covered).containsExactlyInAnyOrderElementsOf(
        Rules.ALL.stream().map(Rule::name).collect(Collectors.toList()));
  }

  private static void check(Path dir) throws IOException {
    byte[] content = Files.readAllBytes(dir.resolve("Dockerfile"));
    LintOptions options = LintOptions.defaults(AMD64);
    Path args = dir.resolve("build-args");
    if (Files.exists(args)) {
      Map<String, String> values = new LinkedHashMap<>();
      for (String line : Files.readAllLines(args, StandardCharsets.UTF_8)) {
        if (!line.isBlank()) {
          int eq = line.indexOf('=');
          values.put(line.substring(0, eq), line.substring(eq + 1));
        }
      }
      options = options.withBuildArgs(values);
    }
    Path ignore = dir.resolve(".dockerignore");
    if (Files.exists(ignore)) {
      options = options.withIgnore(new GlobIgnore(Files.readAllLines(ignore, StandardCharsets.UTF_8)));
    }
    Path images = dir.resolve("images");
    if (Files.exists(images)) {
      Map<String, BaseImageConfig> configs = new HashMap<>();
      for (String line : Files.readAllLines(images, StandardCharsets.UTF_8)) {
        if (line.isBlank()) {
          continue;
        }
        String[] f = line.trim().split("\\s+");
        List<String> env = new ArrayList<>(Arrays.asList(f).subList(2, f.length));
        configs.put(f[0], new BaseImageConfig(Environment.fromList(env), List.of(), Platform.parse(f[1])));
      }
      options = options.withBaseImages((ref, platform) -> Optional.ofNullable(configs.get(ref)));
    }
    List<String> lines = lines(content);
    StringBuilder actual = new StringBuilder();
    try {
      LintReport report = Linter.check("Dockerfile", content, options);
      for (Diagnostic d : report.diagnostics()) {
        actual.append(DiagnosticRenderer.render(d, lines));
      }
      report.failure().ifPresent(f -> actual.append("failure: ").append(f).append('\n'));
    } catch (DockerfileException e) {
      actual.append("does not parse:\n").append(DiagnosticRenderer.render(e.primary(), lines));
    }
    compare(dir.resolve("expected"), actual.toString());
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
    return Arrays.stream(s.split("\n", -1)).collect(Collectors.toList());
  }

  /**
   * A small stand-in for the builder's patternmatcher: {@code *} and {@code ?} within a path
   * segment, {@code **} across segments, a match on any parent directory counts, the last
   * matching pattern wins, sources are cleaned of a leading {@code ./}.
   */
  static final class GlobIgnore implements IgnoreMatcher {
    private final List<String> patterns;
    private final List<Pattern> compiled = new ArrayList<>();

    GlobIgnore(List<String> lines) {
      this.patterns = lines.stream().map(String::trim).filter(l -> !l.isEmpty() && !l.startsWith("#"))
          .collect(Collectors.toList());
      for (String p : patterns) {
        String clean = p.replaceAll("^!", "").replaceAll("^/+", "").replaceAll("^\\./", "");
        StringBuilder re = new StringBuilder("^");
        for (int i = 0; i < clean.length(); i++) {
          char c = clean.charAt(i);
          if (c == '*' && i + 1 < clean.length() && clean.charAt(i + 1) == '*') {
            re.append(".*");
            i++;
          } else if (c == '*') {
            re.append("[^/]*");
          } else if (c == '?') {
            re.append("[^/]");
          } else {
            re.append(Pattern.quote(String.valueOf(c)));
          }
        }
        compiled.add(Pattern.compile(re.append('$').toString()));
      }
    }

    @Override
    public List<String> patterns() {
      return patterns;
    }

    @Override
    public boolean mayReincludeBelow(String path) {
      for (String p : patterns) {
        if (!p.startsWith("!")) {
          continue;
        }
        String negated = p.substring(1);
        boolean literal = !negated.matches(".*[*?\\[\\\\].*");
        if (path.equals(".") || !literal || negated.startsWith(path + "/")) {
          return true;
        }
      }
      return false;
    }

    @Override
    public boolean matchesOrParentMatches(String path) {
      String p = path.replaceAll("^/+", "").replaceAll("^(\\./)+", "");
      String[] parts = p.split("/");
      boolean matched = false;
      for (int i = 0; i < compiled.size(); i++) {
        boolean negation = patterns.get(i).startsWith("!");
        for (int n = parts.length; n >= 1; n--) {
          String candidate = String.join("/", Arrays.copyOfRange(parts, 0, n));
          if (compiled.get(i).matcher(candidate).matches()) {
            matched = !negation;
            break;
          }
        }
      }
      return matched;
    }
  }
}
