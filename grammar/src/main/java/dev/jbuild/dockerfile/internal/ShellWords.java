package dev.jbuild.dockerfile.internal;

import java.util.ArrayList;
import java.util.List;

/**
 * The word splitting of BuildKit's {@code shell.Lex.ProcessWords} with an empty environment and
 * {@code SkipUnsetEnv}, as the line parser uses it to find heredocs (spec §1.6). Variable
 * references come back as written. Expansion proper lives in {@code dev.jbuild.dockerfile.shell}.
 */
final class ShellWords {

  private static final int EOF = -1;

  private final boolean rawQuotes;
  private boolean rawEscapes;
  private final int[] cps;
  private int pos;

  private ShellWords(String text, boolean rawQuotes, boolean rawEscapes) {
    this.cps = text.codePoints().toArray();
    this.rawQuotes = rawQuotes;
    this.rawEscapes = rawEscapes;
  }

  /** The words of {@code text}; escape char is always the backslash here, as in BuildKit. */
  static List<String> split(String text, boolean rawQuotes, boolean rawEscapes)
      throws LineSyntaxException {
    ShellWords sw = new ShellWords(text, rawQuotes, rawEscapes);
    try {
      return sw.processStopOn(EOF, rawEscapes).words.words();
    } catch (LineSyntaxException e) {
      throw new LineSyntaxException(
          "failed to process " + GoStrings.quote(text) + ": " + e.getMessage());
    } catch (StackOverflowError e) {
      // ${...} nesting recurses; Go's growable stack takes any depth, a Java thread does not
      throw new LineSyntaxException("failed to process " + GoStrings.quote(abbreviate(text))
          + ": variable substitutions nested too deeply");
    }
  }

  private static String abbreviate(String s) {
    return s.length() <= 80 ? s : s.substring(0, 80) + "...";
  }

  private int peek() {
    return pos < cps.length ? cps[pos] : EOF;
  }

  private int next() {
    return pos < cps.length ? cps[pos++] : EOF;
  }

  private static final class Result {
    final String text;
    final Words words;

    Result(String text, Words words) {
      this.text = text;
      this.words = words;
    }
  }

  /** BuildKit's wordsStruct. */
  private static final class Words {
    private final StringBuilder word = new StringBuilder();
    private final List<String> words = new ArrayList<>();
    private boolean inWord;

    void addChar(int ch) {
      if (GoStrings.isSpace(ch) && inWord) {
        if (word.length() != 0) {
          words.add(word.toString());
          word.setLength(0);
          inWord = false;
        }
      } else if (!GoStrings.isSpace(ch)) {
        addRawChar(ch);
      }
    }

    void addRawChar(int ch) {
      word.appendCodePoint(ch);
      inWord = true;
    }

    void addString(String s) {
      s.codePoints().forEach(this::addChar);
    }

    void addRawString(String s) {
      word.append(s);
      inWord = true;
    }

    List<String> words() {
      if (word.length() > 0) {
        words.add(word.toString());
        word.setLength(0);
        inWord = false;
      }
      return words;
    }
  }

  private Result processStopOn(int stopChar, boolean raw) throws LineSyntaxException {
    boolean saved = rawEscapes;
    rawEscapes = raw;
    try {
      StringBuilder result = new StringBuilder();
      Words words = new Words();
      while (peek() != EOF) {
        int ch = peek();
        if (stopChar != EOF && ch == stopChar) {
          next();
          return new Result(result.toString(), words);
        }
        if (ch == '$') {
          String tmp = processDollar();
          result.append(tmp);
          words.addString(tmp);
        } else if (ch == '\'' || ch == '"' || ch == '<') {
          String tmp = ch == '\'' ? processSingleQuote()
              : ch == '"' ? processDoubleQuote() : processPossibleHeredoc();
          result.append(tmp);
          words.addRawString(tmp);
        } else {
          ch = next();
          if (ch == '\\') {
            if (rawEscapes) {
              words.addRawChar(ch);
              result.appendCodePoint(ch);
            }
            ch = next();
            if (ch == EOF) {
              break;
            }
            words.addRawChar(ch);
          } else {
            words.addChar(ch);
          }
          result.appendCodePoint(ch);
        }
      }
      if (stopChar != EOF) {
        throw new LineSyntaxException("unexpected end of statement while looking for matching "
            + new String(Character.toChars(stopChar)));
      }
      return new Result(result.toString(), words);
    } finally {
      rawEscapes = saved;
    }
  }

  private String processSingleQuote() throws LineSyntaxException {
    StringBuilder result = new StringBuilder();
    int ch = next();
    if (rawQuotes) {
      result.appendCodePoint(ch);
    }
    while (true) {
      ch = next();
      if (ch == EOF) {
        throw new LineSyntaxException(
            "unexpected end of statement while looking for matching single-quote");
      }
      if (ch == '\'') {
        if (rawQuotes) {
          result.appendCodePoint(ch);
        }
        return result.toString();
      }
      result.appendCodePoint(ch);
    }
  }

  private String processDoubleQuote() throws LineSyntaxException {
    StringBuilder result = new StringBuilder();
    int ch = next();
    if (rawQuotes) {
      result.appendCodePoint(ch);
    }
    while (true) {
      int p = peek();
      if (p == EOF) {
        throw new LineSyntaxException(
            "unexpected end of statement while looking for matching double-quote");
      } else if (p == '"') {
        ch = next();
        if (rawQuotes) {
          result.appendCodePoint(ch);
        }
        return result.toString();
      } else if (p == '$') {
        result.append(processDollar());
      } else {
        ch = next();
        if (ch == '\\') {
          if (rawEscapes) {
            result.appendCodePoint(ch);
          }
          int q = peek();
          if (q == EOF) {
            continue;
          }
          if (q == '"' || q == '$' || q == '\\') {
            ch = next();
          }
        }
        result.appendCodePoint(ch);
      }
    }
  }

  /** With no variable set and SkipUnsetEnv, every reference comes back as written. */
  private String processDollar() throws LineSyntaxException {
    next();
    if (peek() != '{') {
      String name = processName();
      return name.isEmpty() ? "$" : "$" + name;
    }
    next();
    int p = peek();
    if (p == EOF) {
      throw new LineSyntaxException("syntax error: missing '}'");
    }
    if (p == '{' || p == '}' || p == ':') {
      throw new LineSyntaxException("syntax error: bad substitution");
    }
    String name = processName();
    int ch = next();
    StringBuilder chs = new StringBuilder();
    appendRune(chs, ch);
    switch (ch) {
      case '}':
        return "${" + name + "}";
      case ':':
        ch = next();
        appendRune(chs, ch);
        // fall through: BuildKit treats any char after ':' like the modifiers below
      case '+':
      case '-':
      case '?':
      case '#':
      case '%': {
        Result word;
        try {
          word = processStopOn('}', ch == '#' || ch == '%');
        } catch (LineSyntaxException e) {
          if (peek() == EOF) {
            throw new LineSyntaxException("syntax error: missing '}'");
          }
          throw e;
        }
        return "${" + name + chs + word.text + "}";
      }
      case '/': {
        if (peek() == '/') {
          next();
        }
        Result pattern;
        try {
          pattern = processStopOn('/', true);
        } catch (LineSyntaxException e) {
          if (peek() == EOF) {
            throw new LineSyntaxException("syntax error: missing '/' in ${}");
          }
          throw e;
        }
        Result replacement;
        try {
          replacement = processStopOn('}', true);
        } catch (LineSyntaxException e) {
          if (peek() == EOF) {
            throw new LineSyntaxException("syntax error: missing '}'");
          }
          throw e;
        }
        return "${" + name + "/" + pattern.text + "/" + replacement.text + "}";
      }
      default:
        throw new LineSyntaxException("unsupported modifier (" + chs + ") in substitution");
    }
  }

  private static void appendRune(StringBuilder sb, int ch) {
    sb.appendCodePoint(ch == EOF ? 0xFFFD : ch);
  }

  private String processName() {
    StringBuilder name = new StringBuilder();
    while (peek() != EOF) {
      int ch = peek();
      if (name.length() == 0 && Character.isDigit(ch)) {
        while (peek() != EOF && Character.isDigit(peek())) {
          name.appendCodePoint(next());
        }
        return name.toString();
      }
      if (name.length() == 0 && isSpecialParam(ch)) {
        return new String(Character.toChars(next()));
      }
      if (!Character.isLetter(ch) && !Character.isDigit(ch) && ch != '_') {
        break;
      }
      name.appendCodePoint(next());
    }
    return name.toString();
  }

  private static boolean isSpecialParam(int ch) {
    switch (ch) {
      case '@': case '*': case '#': case '?': case '-': case '$': case '!': case '0':
        return true;
      default:
        return false;
    }
  }

  /** {@code <<} swallows the blanks after it, so {@code << EOF} stays one word. */
  private String processPossibleHeredoc() {
    next();
    if (peek() != '<') {
      return "<";
    }
    next();
    StringBuilder space = new StringBuilder("<<");
    while (peek() == ' ' || peek() == '\t') {
      space.appendCodePoint(next());
    }
    return space.toString();
  }
}
