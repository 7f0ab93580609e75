package dev.jbuild.dockerfile.shell;

import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * Expands Dockerfile words the way BuildKit's {@code shell.Lex} does (spec §3): {@code $V} and
 * {@code ${V}} references with the operators {@code :- - :+ + :? ? # ## % %% / //}, positional
 * and special parameters (always unset), single and double quotes, and the escape character
 * ({@code \} or the backtick chosen by the {@code # escape=} directive).
 *
 * <pre>{@code
 * ShellLexer lexer = new ShellLexer('\\');
 * Expansion r = lexer.expand("${HOME:-/root}/bin", Environment.of("HOME", "/home/me"));
 * r.value();  // "/home/me/bin"
 * r.used();   // [HOME]
 * }</pre>
 *
 * <p>A lexer is immutable and safe to share between threads. Expansion never consults the
 * process environment: variables come only from the {@link VariableLookup} given.
 *
 * <p>One deliberate difference from BuildKit: its word splitter shares one buffer between a
 * word and the nested words of {@code ${V:-…}}, so {@code ProcessWords("a${X:-b}c")} loses the
 * {@code a}; this lexer returns {@code abc}, which is what BuildKit means to do.
 */
public final class ShellLexer {

  /** Switches matching the fields of BuildKit's {@code Lex}. */
  public enum Option {
    /** Keep the quote characters in the result (quotes still group and protect). */
    RAW_QUOTES,
    /** Keep the escape characters in the result. */
    RAW_ESCAPES,
    /** Treat quotes as ordinary characters: used for here-document bodies. */
    SKIP_PROCESS_QUOTES,
    /** Leave references to unset variables as written ({@code $V}, {@code ${V:-x}}). */
    SKIP_UNSET_ENV
  }

  private final int escape;
  private final Set<Option> options;

  /**
   * @param escapeChar {@code \} (the default) or {@code `} (from {@code # escape=`})
   */
  public ShellLexer(char escapeChar) {
    this(escapeChar, EnumSet.noneOf(Option.class));
  }

  public ShellLexer(char escapeChar, Set<Option> options) {
    if (escapeChar != '\\' && escapeChar != '`') {
      throw new IllegalArgumentException("escape character must be \\ or `, not " + escapeChar);
    }
    this.escape = escapeChar;
    this.options =
        Collections.unmodifiableSet(
            options.isEmpty() ? EnumSet.noneOf(Option.class) : EnumSet.copyOf(options));
  }

  /** This lexer with the given options added. */
  public ShellLexer with(Option... more) {
    EnumSet<Option> all = options.isEmpty() ? EnumSet.noneOf(Option.class) : EnumSet.copyOf(options);
    Collections.addAll(all, more);
    return new ShellLexer((char) escape, all);
  }

  public char escapeChar() {
    return (char) escape;
  }

  public Set<Option> options() {
    return options;
  }

  /**
   * Expands one word: the value without splitting, the same value split into words, and the
   * variable names referenced.
   *
   * @throws ExpansionException on a syntax error, an unsupported modifier, a bad pattern or a
   *     failed {@code ${V?msg}} check
   */
  public Expansion expand(String word, VariableLookup env) throws ExpansionException {
    Objects.requireNonNull(word, "word");
    Objects.requireNonNull(env, "env");
    Scan scan = new Scan(word, env);
    try {
      Segment s = scan.processStopOn(Scan.EOF, options.contains(Option.RAW_ESCAPES));
      return new Expansion(s.value, s.words, scan.used, scan.unset);
    } catch (LexError e) {
      throw new ExpansionException(word, e.getMessage());
    }
  }

  /** BuildKit's {@code ProcessWord}: one word, no splitting. */
  public String expandWord(String word, VariableLookup env) throws ExpansionException {
    return expand(word, env).value();
  }

  /** BuildKit's {@code ProcessWords}: split on unquoted whitespace after expansion. */
  public List<String> expandWords(String word, VariableLookup env) throws ExpansionException {
    return expand(word, env).words();
  }

  /** An error inside one expansion; becomes an {@link ExpansionException} at the top. */
  private static final class LexError extends RuntimeException {
    private static final long serialVersionUID = 1L;

    LexError(String message) {
      super(message, null, false, false);
    }
  }

  private record Segment(String value, List<String> words) {}

  /** Go's {@code unicode.IsSpace}: Latin-1 spaces plus the White_Space property. */
  static boolean isSpace(int cp) {
    return (cp >= '\t' && cp <= '\r') || cp == ' ' || cp == 0x85 || cp == 0xA0
        || (cp > 0xFF && Character.isSpaceChar(cp));
  }

  private static String str(int cp) {
    return cp < 0 ? "\uFFFD" : new String(Character.toChars(cp));
  }

  /** Splits into words as characters arrive; quoted and escaped text never splits. */
  private static final class Words {
    private final StringBuilder buf = new StringBuilder();
    private final List<String> words = new ArrayList<>();
    private boolean inWord;

    void addChar(int cp) {
      if (isSpace(cp)) {
        if (inWord && buf.length() != 0) {
          words.add(buf.toString());
          buf.setLength(0);
          inWord = false;
        }
      } else {
        addRawChar(cp);
      }
    }

    void addRawChar(int cp) {
      buf.appendCodePoint(cp);
      inWord = true;
    }

    void addString(String s) {
      s.codePoints().forEach(this::addChar);
    }

    void addRawString(String s) {
      buf.append(s);
      inWord = true;
    }

    List<String> finish() {
      if (buf.length() > 0) {
        words.add(buf.toString());
        buf.setLength(0);
        inWord = false;
      }
      return words;
    }
  }

  /** The state of one expansion: a cursor over the word's code points. */
  private final class Scan {
    static final int EOF = -1;

    private final int[] cps;
    private final VariableLookup env;
    private final boolean rawQuotes = options.contains(Option.RAW_QUOTES);
    private final boolean skipQuotes = options.contains(Option.SKIP_PROCESS_QUOTES);
    private final boolean skipUnset = options.contains(Option.SKIP_UNSET_ENV);
    private final Set<String> used = new LinkedHashSet<>();
    private final Set<String> unset = new LinkedHashSet<>();
    private int pos;
    private boolean rawEscapes;

    Scan(String word, VariableLookup env) {
      this.cps = word.codePoints().toArray();
      this.env = env;
    }

    int peek() {
      return pos < cps.length ? cps[pos] : EOF;
    }

    int next() {
      return pos < cps.length ? cps[pos++] : EOF;
    }

    /** Reads up to {@code stop} (consumed) or the end of the word when stop is EOF. */
    Segment processStopOn(int stop, boolean raw) {
      boolean saved = rawEscapes;
      rawEscapes = raw;
      try {
        StringBuilder result = new StringBuilder();
        Words words = new Words();
        while (peek() != EOF) {
          int ch = peek();
          if (stop != EOF && ch == stop) {
            next();
            return new Segment(result.toString(), words.finish());
          }
          if (ch == '$') {
            String value = processDollar();
            result.append(value);
            words.addString(value); // expanded text splits
          } else if (ch == '\'' && !skipQuotes) {
            String quoted = processSingleQuote();
            result.append(quoted);
            words.addRawString(quoted);
          } else if (ch == '"' && !skipQuotes) {
            String quoted = processDoubleQuote();
            result.append(quoted);
            words.addRawString(quoted);
          } else {
            ch = next();
            if (ch == escape) {
              if (rawEscapes) {
                words.addRawChar(ch);
                result.appendCodePoint(ch);
              }
              ch = next();
              if (ch == EOF) {
                break; // a lone trailing escape is dropped
              }
              words.addRawChar(ch);
            } else {
              words.addChar(ch);
            }
            result.appendCodePoint(ch);
          }
        }
        if (stop != EOF) {
          throw new LexError(
              "unexpected end of statement while looking for matching " + str(stop));
        }
        return new Segment(result.toString(), words.finish());
      } finally {
        rawEscapes = saved;
      }
    }

    String processSingleQuote() {
      // Everything up to the next ' is literal; there is no escape inside.
      StringBuilder result = new StringBuilder();
      int ch = next();
      if (rawQuotes) {
        result.appendCodePoint(ch);
      }
      while (true) {
        ch = next();
        if (ch == EOF) {
          throw new LexError(
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

    String processDoubleQuote() {
      // $ expands; the escape character escapes only ", $ and itself, else it stays.
      StringBuilder result = new StringBuilder();
      int ch = next();
      if (rawQuotes) {
        result.appendCodePoint(ch);
      }
      while (true) {
        int p = peek();
        if (p == EOF) {
          throw new LexError(
              "unexpected end of statement while looking for matching double-quote");
        }
        if (p == '"') {
          ch = next();
          if (rawQuotes) {
            result.appendCodePoint(ch);
          }
          return result.toString();
        }
        if (p == '$') {
          result.append(processDollar());
          continue;
        }
        ch = next();
        if (ch == escape) {
          if (rawEscapes) {
            result.appendCodePoint(ch);
          }
          int q = peek();
          if (q == EOF) {
            continue; // the loop then reports the missing quote
          }
          if (q == '"' || q == '$' || q == escape) {
            ch = next();
          }
        }
        result.appendCodePoint(ch);
      }
    }

    String processDollar() {
      next(); // $
      if (peek() != '{') {
        String name = processName();
        if (name.isEmpty()) {
          return "$"; // $ before a non-name character is literal
        }
        Optional<String> value = getEnv(name);
        if (value.isEmpty() && skipUnset) {
          return "$" + name;
        }
        return value.orElse("");
      }
      next(); // {
      int first = peek();
      if (first == EOF) {
        throw new LexError("syntax error: missing '}'");
      }
      if (first == '{' || first == '}' || first == ':') {
        throw new LexError("syntax error: bad substitution");
      }
      String name = processName();
      int ch = next();
      if (ch == EOF) {
        // BuildKit says "unsupported modifier (\uFFFD)" here; this is what it means.
        throw new LexError("syntax error: missing '}'");
      }
      String chs = str(ch);
      boolean nullIsUnset = false;
      switch (ch) {
        case '}':
          {
            Optional<String> value = getEnv(name);
            if (value.isEmpty() && skipUnset) {
              return "${" + name + "}";
            }
            return value.orElse("");
          }
        case '/':
          return processReplace(name);
        case ':':
          nullIsUnset = true;
          ch = next();
          chs += str(ch);
          break;
        case '+':
        case '-':
        case '?':
        case '#':
        case '%':
          break;
        default:
          throw new LexError("unsupported modifier (" + chs + ") in substitution");
      }
      boolean patternOp = ch == '#' || ch == '%';
      if (nullIsUnset && patternOp) {
        throw new LexError("unsupported modifier (" + chs + ") in substitution");
      }
      String word = stopOnOrMissing('}', patternOp, "syntax error: missing '}'");
      Optional<String> found = getEnv(name);
      if (found.isEmpty() && skipUnset) {
        return "${" + name + chs + word + "}";
      }
      boolean set = found.isPresent();
      String value = found.orElse("");
      boolean empty = !set || (nullIsUnset && value.isEmpty());
      switch (ch) {
        case '-':
          return empty ? word : value;
        case '+':
          return empty ? "" : word;
        case '?':
          if (!set) {
            throw new LexError(name + ": " + (word.isEmpty() ? "is not allowed to be unset" : word));
          }
          if (empty) {
            throw new LexError(name + ": " + (word.isEmpty() ? "is not allowed to be empty" : word));
          }
          return value;
        case '#':
        case '%':
          {
            // One operator character means shortest match, two mean longest.
            boolean greedy = !word.isEmpty() && word.codePointAt(0) == ch;
            String pattern = greedy ? word.substring(1) : word;
            try {
              return ch == '%'
                  ? ShellPattern.trimSuffix(pattern, value, greedy)
                  : ShellPattern.trimPrefix(pattern, value, greedy);
            } catch (ShellPattern.InvalidPattern e) {
              throw new LexError(
                  "invalid pattern (" + pattern + ") in substitution: " + e.getMessage());
            }
          }
        default:
          throw new LexError("unsupported modifier (" + chs + ") in substitution");
      }
    }

    /** {@code ${name/pattern/replacement}} and {@code ${name//pattern/replacement}}. */
    private String processReplace(String name) {
      boolean all = peek() == '/';
      if (all) {
        next();
      }
      String pattern = stopOnOrMissing('/', true, "syntax error: missing '/' in ${}");
      String replacement = stopOnOrMissing('}', true, "syntax error: missing '}'");
      Optional<String> found = getEnv(name);
      if (found.isEmpty() && skipUnset) {
        return "${" + name + "/" + pattern + "/" + replacement + "}";
      }
      try {
        return ShellPattern.replace(pattern, found.orElse(""), replacement, all);
      } catch (ShellPattern.InvalidPattern e) {
        throw new LexError("invalid pattern (" + pattern + ") in substitution: " + e.getMessage());
      }
    }

    private String stopOnOrMissing(int stop, boolean raw, String missing) {
      try {
        return processStopOn(stop, raw).value;
      } catch (LexError e) {
        if (peek() == EOF) {
          throw new LexError(missing);
        }
        throw e;
      }
    }

    /** A name: letters, digits and _, or a run of digits (positional), or one special char. */
    String processName() {
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
          next();
          return str(ch);
        }
        if (!Character.isLetter(ch) && !Character.isDigit(ch) && ch != '_') {
          break;
        }
        name.appendCodePoint(next());
      }
      return name.toString();
    }

    private boolean isSpecialParam(int ch) {
      switch (ch) {
        case '@':
        case '*':
        case '#':
        case '?':
        case '-':
        case '$':
        case '!':
        case '0':
          return true;
        default:
          return false;
      }
    }

    Optional<String> getEnv(String name) {
      Optional<String> value = env.lookup(name);
      if (value.isPresent()) {
        used.add(name);
      } else {
        unset.add(name);
      }
      return value;
    }
  }
}
