package dev.jbuild.dockerfile.syntax;

import static org.assertj.core.api.Assertions.assertThat;

import dev.jbuild.dockerfile.Dockerfiles;
import dev.jbuild.dockerfile.internal.GoStrings;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** Go's strconv.Quote and fmt %q, as Node.Dump() prints them. */
class SyntaxDumpTest {

  @Test
  void controlCharactersUseGoEscapes() {
    assertThat(GoStrings.quote("\u0000\u0001\u007f")).isEqualTo("\"\\x00\\x01\\x7f\"");
    assertThat(GoStrings.quote("\u0007\b\f\n\r\t\u000b")).isEqualTo("\"\\a\\b\\f\\n\\r\\t\\v\"");
    assertThat(GoStrings.quote("a\"b\\c")).isEqualTo("\"a\\\"b\\\\c\"");
  }

  @Test
  void printableUnicodeStaysAndTheRestIsEscaped() {
    assertThat(GoStrings.quote("é♥☃ 日本 😀")).isEqualTo("\"é♥☃ 日本 😀\"");
    // spaces other than U+0020, format characters and the soft hyphen are not printable
    assertThat(GoStrings.quote("\u00a0\u0085\u00ad\u200b\u2028\u3000"))
        .isEqualTo("\"\\u00a0\\u0085\\u00ad\\u200b\\u2028\\u3000\"");
    assertThat(GoStrings.quote("\udb40\udc01")).isEqualTo("\"\\U000e0001\"");
    assertThat(GoStrings.quote("\ud800")).isEqualTo("\"\\ufffd\"");
  }

  @Test
  void flagsPrintAsAGoStringSlice() {
    SyntaxTree t = Dockerfiles.parseSyntax("D",
        "COPY --a=\"x\ty\" --b a b\nCMD [\"\\u0000\", \"é\"]\n".getBytes(StandardCharsets.UTF_8));
    assertThat(SyntaxDump.dump(t))
        .isEqualTo("(copy [\"--a=x\\ty\" \"--b\"] \"a\" \"b\")\n(cmd \"\\x00\" \"é\")\n");
  }
}
