package dev.jbuild.dockerfile.shell;

import static org.assertj.core.api.Assertions.assertThat;

import dev.jbuild.dockerfile.shell.ShellLexer.Option;
import java.util.EnumSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Seeded random words made of the characters the lexer treats specially: expansion either
 * succeeds or fails with an {@link ExpansionException}, never with another exception, under
 * every combination of options and both escape characters.
 */
class ShellLexerFuzzTest {

  private static final String ALPHABET = "$${}}:-+?#%/\\`'\" \taZ_1*@.[]😀한";
  private static final Environment ENV =
      Environment.of("a", "x y", "Z", "", "_1", "/p/q*", "한", "値");

  @ParameterizedTest
  @ValueSource(longs = {1, 2, 3, 42, 20261122})
  void randomWordsNeverEscapeAsUnexpectedExceptions(long seed) {
    Random random = new Random(seed);
    List<Set<Option>> optionSets =
        List.of(
            EnumSet.noneOf(Option.class),
            EnumSet.of(Option.RAW_QUOTES, Option.SKIP_UNSET_ENV),
            EnumSet.of(Option.SKIP_PROCESS_QUOTES),
            EnumSet.of(Option.RAW_ESCAPES),
            EnumSet.allOf(Option.class));
    int ok = 0;
    int failed = 0;
    for (int i = 0; i < 4000; i++) {
      StringBuilder word = new StringBuilder();
      int length = random.nextInt(24);
      for (int j = 0; j < length; j++) {
        word.appendCodePoint(ALPHABET.codePointAt(ALPHABET.offsetByCodePoints(0, random.nextInt(ALPHABET.codePointCount(0, ALPHABET.length())))));
      }
      ShellLexer lexer =
          new ShellLexer(random.nextBoolean() ? '\\' : '`', optionSets.get(random.nextInt(optionSets.size())));
      try {
        Expansion e = lexer.expand(word.toString(), ENV);
        assertThat(e.value()).isNotNull();
        ok++;
      } catch (ExpansionException e) {
        assertThat(e.getMessage()).startsWith("failed to process ");
        failed++;
      }
    }
    assertThat(ok).isPositive();
    assertThat(failed).isPositive();
  }

  @ParameterizedTest
  @ValueSource(longs = {7, 8, 9})
  void plainWordsAreUnchangedAndSplitBack(long seed) throws ExpansionException {
    Random random = new Random(seed);
    ShellLexer lexer = new ShellLexer('\\');
    String plain = "abcXYZ019_-./,:=";
    for (int i = 0; i < 500; i++) {
      StringBuilder word = new StringBuilder();
      int words = 1 + random.nextInt(4);
      for (int w = 0; w < words; w++) {
        if (w > 0) {
          word.append(' ');
        }
        int n = 1 + random.nextInt(8);
        for (int j = 0; j < n; j++) {
          word.append(plain.charAt(random.nextInt(plain.length())));
        }
      }
      String s = word.toString();
      assertThat(lexer.expandWord(s, ENV)).isEqualTo(s);
      assertThat(lexer.expandWords(s, ENV)).containsExactly(s.split(" "));
    }
  }
}
