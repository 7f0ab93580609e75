package dev.jbuild.dockerfile.internal;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Finds the heredoc openers of a RUN/COPY/ADD line: BuildKit's {@code heredocsFromLine}. */
final class HeredocStarts {

  /** One {@code <<NAME} found on the line; the body is read afterwards. */
  record Start(String name, boolean expand, boolean chomp, int fileDescriptor) {}

  /** {@code ^(\d*)<<(-?)\s*([^<]*)$} with Go's ASCII \d and \s. */
  private static final Pattern HEREDOC = Pattern.compile("([0-9]*)<<(-?)[\\t\\n\\f\\r ]*([^<]*)");

  private HeredocStarts() {}

  static List<Start> fromLine(String line) throws LineSyntaxException {
    List<String> words;
    try {
      words = ShellWords.split(line, true, true);
    } catch (LineSyntaxException e) {
      return List.of(); // BuildKit ignores a line it cannot split
    }
    List<Start> out = new ArrayList<>();
    for (String word : words) {
      Start s = parse(word);
      if (s != null) {
        out.add(s);
      }
    }
    return out;
  }

  /** BuildKit's {@code ParseHeredoc}: null when the word is no heredoc opener. */
  static Start parse(String word) throws LineSyntaxException {
    if (word.indexOf("<<") < 0) {
      return null;
    }
    Matcher m = HEREDOC.matcher(word);
    if (!m.matches()) {
      return null;
    }
    String rest = m.group(3);
    if (rest.isEmpty()) {
      return null;
    }
    // lex the delimiter with and without quote removal: quotes that did their job mean the
    // body is taken literally
    List<String> words = ShellWords.split(rest, false, false);
    if (words.size() != 1) {
      return null;
    }
    List<String> raw = ShellWords.split(rest, true, false);
    if (raw.size() != words.size()) {
      throw new LineSyntaxException(
          "internal lexing of heredoc produced inconsistent results: " + rest);
    }
    String name = words.get(0);
    boolean expand = quoteCount(name) == quoteCount(raw.get(0));
    return new Start(name, expand, m.group(2).equals("-"), fileDescriptor(m.group(1)));
  }

  private static int quoteCount(String s) {
    int n = 0;
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c == '\'' || c == '"') {
        n++;
      }
    }
    return n;
  }

  private static int fileDescriptor(String digits) {
    if (digits.isEmpty()) {
      return 0;
    }
    try {
      return Integer.parseInt(digits);
    } catch (NumberFormatException e) {
      return Integer.MAX_VALUE; // Go's ParseUint saturates on overflow
    }
  }
}
