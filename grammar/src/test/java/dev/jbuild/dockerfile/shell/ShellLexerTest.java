package dev.jbuild.dockerfile.shell;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.jbuild.dockerfile.shell.ShellLexer.Option;
import org.junit.jupiter.api.Test;

/** Behaviour beyond the BuildKit vector files: messages, options, the backtick escape. */
class ShellLexerTest {

  private static final ShellLexer LEXER = new ShellLexer('\\');
  private static final Environment ENV = Environment.of("A", "1", "EMPTY", "", "P", "/usr/local/bin");

  private static String error(ShellLexer lexer, String word) {
    try {
      lexer.expand(word, ENV);
    } catch (ExpansionException e) {
      return e.getMessage();
    }
    throw new AssertionError("expected an error for " + word);
  }

  @Test
  void errorMessagesAreBuildKits() {
    assertThat(error(LEXER, "${}")).isEqualTo("failed to process \"${}\": syntax error: bad substitution");
    assertThat(error(LEXER, "${")).isEqualTo("failed to process \"${\": syntax error: missing '}'");
    assertThat(error(LEXER, "${A:-x")).endsWith(": syntax error: missing '}'");
    assertThat(error(LEXER, "${A")).endsWith(": syntax error: missing '}'");
    assertThat(error(LEXER, "${A:YYY}")).endsWith(": unsupported modifier (:Y) in substitution");
    assertThat(error(LEXER, "${A:=v}")).endsWith(": unsupported modifier (:=) in substitution");
    assertThat(error(LEXER, "${A=v}")).endsWith(": unsupported modifier (=) in substitution");
    assertThat(error(LEXER, "${A:#x}")).endsWith(": unsupported modifier (:#) in substitution");
    assertThat(error(LEXER, "${A:%x}")).endsWith(": unsupported modifier (:%) in substitution");
    assertThat(error(LEXER, "${NOPE:?}")).endsWith(": NOPE: is not allowed to be unset");
    assertThat(error(LEXER, "${EMPTY:?}")).endsWith(": EMPTY: is not allowed to be empty");
    assertThat(error(LEXER, "${NOPE?set it}")).endsWith(": NOPE: set it");
    assertThat(error(LEXER, "${A/x")).endsWith(": syntax error: missing '/' in ${}");
    assertThat(error(LEXER, "${A#\\x}"))
        .endsWith(": invalid pattern (\\x) in substitution: invalid escape '\\x'");
    assertThat(error(LEXER, "'abc"))
        .endsWith(": unexpected end of statement while looking for matching single-quote");
    assertThat(error(LEXER, "\"abc"))
        .endsWith(": unexpected end of statement while looking for matching double-quote");
    assertThat(error(LEXER, "a\"b\tc")).startsWith("failed to process \"a\\\"b\\tc\"");
  }

  @Test
  void exceptionCarriesWordAndReason() {
    ExpansionException e =
        org.junit.jupiter.api.Assertions.assertThrows(
            ExpansionException.class, () -> LEXER.expand("x${NOPE:?}", ENV));
    assertThat(e.word()).isEqualTo("x${NOPE:?}");
    assertThat(e.reason()).isEqualTo("NOPE: is not allowed to be unset");
  }

  @Test
  void backtickIsTheEscapeWhenChosen() throws ExpansionException {
    ShellLexer tick = new ShellLexer('`');
    assertThat(tick.expandWord("C:\\path`$A", ENV)).isEqualTo("C:\\path$A");
    assertThat(tick.expandWord("\"a`\"b\"", ENV)).isEqualTo("a\"b");
    assertThat(tick.expandWords("a` b c", ENV)).containsExactly("a b", "c");
    assertThat(tick.expandWord("${P%%/*}x", ENV)).isEqualTo("x");
    assertThatThrownBy(() -> new ShellLexer('x')).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void rawQuotesKeepQuotes() throws ExpansionException {
    ShellLexer raw = LEXER.with(Option.RAW_QUOTES);
    assertThat(raw.expandWord("'$A' \"$A\"", ENV)).isEqualTo("'$A' \"1\"");
    assertThat(raw.expandWords("'a b' c", ENV)).containsExactly("'a b'", "c");
  }

  @Test
  void rawEscapesKeepEscapes() throws ExpansionException {
    ShellLexer raw = LEXER.with(Option.RAW_ESCAPES);
    assertThat(raw.expandWord("a\\$A b\\ c", ENV)).isEqualTo("a\\$A b\\ c");
  }

  @Test
  void skipProcessQuotesIsForHeredocBodies() throws ExpansionException {
    ShellLexer heredoc = LEXER.with(Option.SKIP_PROCESS_QUOTES);
    assertThat(heredoc.expandWord("echo '$A' \"$A\"\n", ENV)).isEqualTo("echo '1' \"1\"\n");
    assertThat(heredoc.expandWord("it's \\$A", ENV)).isEqualTo("it's $A");
  }

  @Test
  void skipUnsetEnvLeavesUnsetReferences() throws ExpansionException {
    ShellLexer skip = LEXER.with(Option.SKIP_UNSET_ENV);
    assertThat(skip.expandWord("$A $NOPE ${NOPE} ${NOPE:-d} ${NOPE/x/y} ${EMPTY:-d}", ENV))
        .isEqualTo("1 $NOPE ${NOPE} ${NOPE:-d} ${NOPE/x/y} d");
  }

  @Test
  void wordsSplitOnlyUnquotedExpandedWhitespace() throws ExpansionException {
    Environment env = Environment.of("S", " a  b ", "T", "x\ty");
    assertThat(LEXER.expandWords("p${S}q", env)).containsExactly("p", "a", "b", "q");
    assertThat(LEXER.expandWords("p\"${S}\"q", env)).containsExactly("p a  b q");
    assertThat(LEXER.expandWords("$T", env)).containsExactly("x", "y");
    assertThat(LEXER.expandWords("'' \"\"", env)).isEmpty();
    // nested defaults keep the text around them (BuildKit's shared buffer loses "a")
    assertThat(LEXER.expandWords("a${X:-b}c", env)).containsExactly("abc");
  }

  @Test
  void usedAndUnsetAreOrderedAndIncludeSpecialParameters() throws ExpansionException {
    Expansion r = LEXER.expand("$B$A$1${@}${A}$B", ENV);
    assertThat(r.used()).containsExactly("A");
    assertThat(r.unset()).containsExactly("B", "1", "@");
  }

  @Test
  void replaceAllFollowsGoSemantics() throws ExpansionException {
    Environment env = Environment.of("V", "baaac", "T", "$0");
    assertThat(LEXER.expandWord("${V//a/X}", env)).isEqualTo("bXXXc");
    assertThat(LEXER.expandWord("${V//a*/X}", env)).isEqualTo("bX");
    assertThat(LEXER.expandWord("${V//*/X}", env)).isEqualTo("X");
    // $0 in the replacement (here from a variable) is the match, as in Go's template
    assertThat(LEXER.expandWord("${V//aa/[$T]}", env)).isEqualTo("b[aa]ac");
    assertThat(LEXER.expandWord("${V/aa/[$T]}", env)).isEqualTo("b[$0]ac");
  }

  @Test
  void unicodeNamesAndValues() throws ExpansionException {
    Environment env = Environment.of("이름", "값", "V", "한국어🚀");
    assertThat(LEXER.expandWord("$이름-${V%🚀}", env)).isEqualTo("값-한국어");
    assertThat(LEXER.expandWord("${V#?}", env)).isEqualTo("국어🚀");
  }
}
