package dev.jbuild.dockerfile.shell;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The cases of BuildKit's {@code TestProcessWithMatches} (spec §6.4), reconstructed as data:
 * every operator with set, empty and unset variables, the pattern operators with escapes inside
 * patterns, and which names end up used or unset.
 */
class ProcessWithMatchesTest {

  private static final ShellLexer LEXER = new ShellLexer('\\');
  private static final String ERROR = null;

  private static Arguments ok(String input, Environment env, String expected, Set<String> used, Set<String> unset) {
    return Arguments.of(input, env, expected, used, unset);
  }

  private static Arguments error(String input, Environment env, Set<String> unset) {
    return Arguments.of(input, env, ERROR, Set.of(), unset);
  }

  private static final Environment FOO_BAR = Environment.of("FOO", "xxx", "BAR", "");

  static Stream<Arguments> cases() {
    return Stream.of(
        ok("x", Environment.of("DUMMY", "dummy"), "x", Set.of(), Set.of()),
        ok("x ${UNUSED}", Environment.of("DUMMY", "dummy"), "x ", Set.of(), Set.of("UNUSED")),
        ok("x ${FOO}", Environment.of("FOO", "y"), "x y", Set.of("FOO"), Set.of()),
        // - and :- differ on an empty value
        ok("${FOO-aaa} ${BAR-bbb} ${BAZ-ccc}", FOO_BAR, "xxx  ccc", Set.of("FOO", "BAR"), Set.of("BAZ")),
        ok("${FOO:-aaa} ${BAR:-bbb} ${BAZ:-ccc}", FOO_BAR, "xxx bbb ccc", Set.of("FOO", "BAR"), Set.of("BAZ")),
        ok("${FOO:-}", FOO_BAR, "xxx", Set.of("FOO"), Set.of()),
        ok("${FOO:-}", Environment.empty(), "", Set.of(), Set.of("FOO")),
        // + and :+
        ok("${FOO+aaa} ${BAR+bbb} ${BAZ+ccc}", FOO_BAR, "aaa bbb ", Set.of("FOO", "BAR"), Set.of("BAZ")),
        ok("${FOO:+aaa} ${BAR:+bbb} ${BAZ:+ccc}", FOO_BAR, "aaa  ", Set.of("FOO", "BAR"), Set.of("BAZ")),
        // ? and :?
        ok("${FOO?aaa}", FOO_BAR, "xxx", Set.of("FOO"), Set.of()),
        ok("${BAR?bbb}", FOO_BAR, "", Set.of("BAR"), Set.of()),
        error("${BAZ?ccc}", FOO_BAR, Set.of("BAZ")),
        ok("${FOO:?aaa}", FOO_BAR, "xxx", Set.of("FOO"), Set.of()),
        error("${BAR:?bbb}", FOO_BAR, Set.of()),
        error("${BAZ:?ccc}", FOO_BAR, Set.of("BAZ")),
        error("${BAZ:?}", FOO_BAR, Set.of("BAZ")),
        // assignment operators are not supported
        error("${FOO=aaa}", FOO_BAR, Set.of()),
        error("${FOO=:aaa}", FOO_BAR, Set.of()),
        error("${FOO=}", Environment.empty(), Set.of()),
        // regex metacharacters are literal in patterns; } must be escaped
        ok("${FOO#()[]{\\}^$.\\*\\?|\\\\}", Environment.of("FOO", "()[]{}^$.*?|\\x"), "x", Set.of("FOO"), Set.of()),
        ok("${FOO%%\\**}", Environment.of("FOO", "xx**"), "xx", Set.of("FOO"), Set.of()),
        ok("${FOO#*x*y}", Environment.of("FOO", "xxyy"), "y", Set.of("FOO"), Set.of()),
        ok("${FOO#*}", Environment.of("FOO", "xxyy"), "xxyy", Set.of("FOO"), Set.of()),
        ok("${FOO#$BAR}", Environment.of("FOO", "xxyy", "BAR", "x"), "xyy", Set.of("FOO", "BAR"), Set.of()),
        ok("${FOO#$BAR}", Environment.of("FOO", "xxyy", "BAR", ""), "xxyy", Set.of("FOO", "BAR"), Set.of()),
        ok("${FOO#}", Environment.of("FOO", "xxyy"), "xxyy", Set.of("FOO"), Set.of()),
        ok("${FOO##*x}", Environment.of("FOO", "xxyy"), "yy", Set.of("FOO"), Set.of()),
        ok("${FOO##}", Environment.of("FOO", "xxyy"), "xxyy", Set.of("FOO"), Set.of()),
        ok("${FOO#?\\?}", Environment.of("FOO", "???y"), "?y", Set.of("FOO"), Set.of()),
        ok("${ABC:-.}${FOO%x}${ABC:-.}", Environment.of("FOO", "xxyy"), ".xxyy.", Set.of("FOO"), Set.of("ABC")),
        ok("${FOO%%\\**\\*}", Environment.of("FOO", "a***yy*"), "a", Set.of("FOO"), Set.of()),
        ok("${FOO%}", Environment.of("FOO", "xxyy"), "xxyy", Set.of("FOO"), Set.of()),
        ok("${FOO%%$BAR}", Environment.of("FOO", "xxyy", "BAR", ""), "xxyy", Set.of("FOO", "BAR"), Set.of()),
        // replacement: wildcards, / in patterns coming from variables, escaped separators
        ok("${FOO/$NEEDLE/.} - ${FOO//$NEEDLE/.}", Environment.of("FOO", "/foo*/*/*.txt", "NEEDLE", "\\*/"),
            "/foo.*/*.txt - /foo..*.txt", Set.of("FOO", "NEEDLE"), Set.of()),
        ok("${FOO/$NEEDLE/} - ${FOO//$NEEDLE/}", Environment.of("FOO", "/tmp/tmp/bar.txt", "NEEDLE", "/tmp"),
            "/tmp/bar.txt - /bar.txt", Set.of("FOO", "NEEDLE"), Set.of()),
        ok("${FOO/$NEEDLE/$REPLACEMENT} - ${FOO//$NEEDLE/$REPLACEMENT}",
            Environment.of("FOO", "/a/foo/b/c.txt", "NEEDLE", "/?/", "REPLACEMENT", "/"),
            "/foo/b/c.txt - /foo/c.txt", Set.of("FOO", "NEEDLE", "REPLACEMENT"), Set.of()),
        ok("${FOO/$NEEDLE/$REPLACEMENT}",
            Environment.of("FOO", "http://google.de", "NEEDLE", "http://", "REPLACEMENT", "https://"),
            "https://google.de", Set.of("FOO", "NEEDLE", "REPLACEMENT"), Set.of()),
        ok("${FOO//\\//\\/}", Environment.of("FOO", "/tmp/foo.txt"), "\\/tmp\\/foo.txt", Set.of("FOO"), Set.of()),
        // partial input: not guaranteed behaviour upstream, but must not crash
        ok("${FOO/$BAR/ww}", Environment.of("FOO", "xxyy", "BAR", ""), "wwxxyy", Set.of("FOO", "BAR"), Set.of()),
        error("${FOO//ww}", Environment.of("FOO", "xxyy"), Set.of()),
        error("${FOO//}", Environment.of("FOO", "xxyy"), Set.of()),
        ok("${FOO///}", Environment.of("FOO", "xxyy"), "xxyy", Set.of("FOO"), Set.of()),
        ok("${FOO///}", Environment.empty(), "", Set.of(), Set.of("FOO")));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void expandsAndReportsNames(
      String input, Environment env, String expected, Set<String> used, Set<String> unset)
      throws ExpansionException {
    if (expected == ERROR) {
      assertThatThrownBy(() -> LEXER.expand(input, env)).isInstanceOf(ExpansionException.class);
      return;
    }
    Expansion r = LEXER.expand(input, env);
    assertThat(r.value()).isEqualTo(expected);
    assertThat(r.used()).containsExactlyInAnyOrderElementsOf(used);
    assertThat(r.unset()).containsExactlyInAnyOrderElementsOf(unset);
  }

  @Test
  void platformReleaseName() throws ExpansionException {
    String release =
        "something-${VERSION}.${TARGETOS}-${TARGETARCH}${TARGETVARIANT:+-${TARGETVARIANT}}.tar.gz";
    assertThat(LEXER.expandWord(release, Environment.of(
            "VERSION", "v1.2.3", "TARGETOS", "linux", "TARGETARCH", "arm", "TARGETVARIANT", "v7")))
        .isEqualTo("something-v1.2.3.linux-arm-v7.tar.gz");
    assertThat(LEXER.expandWord(release, Environment.of(
            "VERSION", "v1.2.3", "TARGETOS", "linux", "TARGETARCH", "arm64", "TARGETVARIANT", "")))
        .isEqualTo("something-v1.2.3.linux-arm64.tar.gz");
    assertThat(LEXER.expandWord(release, Environment.of(
            "VERSION", "v1.2.3", "TARGETOS", "linux", "TARGETARCH", "arm64")))
        .isEqualTo("something-v1.2.3.linux-arm64.tar.gz");
  }

  @Test
  void mandatoryVariablesUseTheExpandedMessage() throws ExpansionException {
    String noEmpty = "${VAR:?message here$ARG}";
    String noUnset = "${VAR?message here$ARG}";
    Environment set = Environment.of("VAR", "plain", "ARG", "x");
    Environment empty = Environment.of("VAR", "", "ARG", "x");
    Environment unset = Environment.of("ARG", "x");

    assertThat(LEXER.expandWord(noEmpty, set)).isEqualTo("plain");
    assertThatThrownBy(() -> LEXER.expandWord(noEmpty, empty)).hasMessageContaining("message herex");
    assertThatThrownBy(() -> LEXER.expandWord(noEmpty, unset)).hasMessageContaining("message herex");

    assertThat(LEXER.expandWord(noUnset, set)).isEqualTo("plain");
    assertThat(LEXER.expandWord(noUnset, empty)).isEmpty();
    assertThatThrownBy(() -> LEXER.expandWord(noUnset, unset)).hasMessageContaining("message herex");
  }

  @Test
  void patternHelpers() {
    assertThat(ShellPattern.reversePattern("a\\*c")).isEqualTo("c\\*a");
    assertThat(ShellPattern.reversePattern("\\\\\\ab")).isEqualTo("b\\a\\\\");
    assertThat(ShellPattern.reversePattern("ab\\")).isEqualTo("\\ba");
    assertThat(ShellPattern.reversePattern("👽\\🚀🖖")).isEqualTo("🖖\\🚀👽");
    assertThat(ShellPattern.reversePattern("\\\\b")).isEqualTo("b\\\\");
    assertThat(ShellPattern.reverse("🖖🚀👽")).isEqualTo("👽🚀🖖");
    for (String bad : new String[] {"\\", "\\x", "\\\\\\"}) {
      assertThatThrownBy(() -> ShellPattern.compile(bad, true, true))
          .isInstanceOf(ShellPattern.InvalidPattern.class);
    }
  }
}
