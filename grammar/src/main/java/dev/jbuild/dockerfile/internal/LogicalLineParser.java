package dev.jbuild.dockerfile.internal;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicReference;
import org.antlr.v4.runtime.BailErrorStrategy;
import org.antlr.v4.runtime.CharStreams;
import org.antlr.v4.runtime.CommonTokenStream;
import org.antlr.v4.runtime.Token;
import org.antlr.v4.runtime.atn.PredictionMode;
import org.antlr.v4.runtime.misc.ParseCancellationException;
import org.antlr.v4.runtime.tree.ParseTree;
import org.antlr.v4.runtime.tree.TerminalNode;

/**
 * Splits one logical line into keyword, flags and arguments the way BuildKit's
 * {@code newNodeFromLine} does (spec §1.4, §1.5), with the ANTLR lexer modes and parser rules of
 * {@code ArgumentLexer}/{@code ArgumentParser}. One instance per parse; not thread-safe.
 */
final class LogicalLineParser {

  static final String NOT_STRING_ARRAY =
      "when using JSON array syntax, arrays must be comprised of strings only";

  /** encoding/json's maxNestingDepth: deeper input is a syntax error there. */
  private static final int MAX_JSON_DEPTH = 10_000;

  /**
   * Longest ONBUILD ONBUILD … chain kept. BuildKit parses any depth (each level's Original shares
   * the line's memory in Go; here it would be a quadratic copy) and then rejects the chain in the
   * instruction layer, so a deeper one fails here with that layer's message.
   */
  static final int MAX_ONBUILD_CHAIN = 64;

  /** Past this depth the recursive-descent JSON rule runs on a thread with a large stack. */
  private static final int DEEP_JSON = 200;

  private final char escape;
  private final ArgumentLexer lexer;
  private final ArgumentParser parser;

  LogicalLineParser(char escape) {
    this.escape = escape;
    this.lexer = new ArgumentLexer(CharStreams.fromString(""));
    lexer.removeErrorListeners();
    this.parser = new ArgumentParser(new CommonTokenStream(lexer));
    parser.removeErrorListeners();
    parser.setErrorHandler(new BailErrorStrategy());
    parser.getInterpreter().setPredictionMode(PredictionMode.SLL);
  }

  /** BuildKit's {@code newNodeFromLine}. */
  LineNode parse(String line) throws LineSyntaxException {
    // ONBUILD nests by recursion in BuildKit; a chain of them is unrolled here so that no input
    // can exhaust the Java stack
    List<LineNode> onbuilds = new ArrayList<>();
    String text = line;
    while (true) {
      LineNode node = parseOne(text);
      if (node.nested() == null || !node.lowerKeyword().equals("onbuild")) {
        LineNode inner = node;
        for (int i = onbuilds.size() - 1; i >= 0; i--) {
          LineNode o = onbuilds.get(i);
          inner = new LineNode(o.keyword(), o.lower(), o.original(), o.flags(), o.args(), false,
              inner);
        }
        return inner;
      }
      onbuilds.add(node);
      if (onbuilds.size() > MAX_ONBUILD_CHAIN) {
        throw new LineSyntaxException("Chaining ONBUILD via `ONBUILD ONBUILD` isn't allowed");
      }
      text = node.nested().original();
    }
  }

  /** One level of newNodeFromLine; for ONBUILD, {@code nested} only holds the raw rest. */
  private LineNode parseOne(String line) throws LineSyntaxException {
    // splitCommand: keyword up to the first [\t\v\f\r ] run of the trimmed line
    String trimmed = GoStrings.trimSpace(line);
    int cut = 0;
    while (cut < trimmed.length() && !isAsciiBlank(trimmed.charAt(cut))) {
      cut++;
    }
    String keyword = trimmed.substring(0, cut);
    List<String> flags = List.of();
    String rest = "";
    if (cut < trimmed.length()) {
      int from = cut;
      while (from < trimmed.length() && isAsciiBlank(trimmed.charAt(from))) {
        from++;
      }
      List<String> collected = new ArrayList<>();
      rest = GoStrings.trimSpace(extractFlags(trimmed.substring(from), collected));
      flags = collected;
    }
    String lower = keyword.toLowerCase(Locale.ROOT);
    switch (lower) {
      case "add":
      case "copy":
      case "volume":
        return maybeJsonToList(keyword, lower, line, flags, rest);
      case "run":
      case "cmd":
      case "entrypoint":
      case "shell":
        return maybeJson(keyword, lower, line, flags, rest, List.of());
      case "from":
      case "expose":
        return new LineNode(keyword, lower, line, flags, whitespaceDelimited(rest), false, null);
      case "user":
      case "workdir":
      case "stopsignal":
      case "maintainer":
        return new LineNode(keyword, lower, line, flags, rest.isEmpty() ? List.of() : List.of(rest),
            false, null);
      case "env":
        return new LineNode(keyword, lower, line, flags, nameVal(rest, "ENV"), false, null);
      case "label":
        return new LineNode(keyword, lower, line, flags, nameVal(rest, "LABEL"), false, null);
      case "arg":
        return new LineNode(keyword, lower, line, flags, words(rest), false, null);
      case "healthcheck":
        return healthcheck(keyword, lower, line, flags, rest);
      case "onbuild":
        // placeholder carrying the text to parse next; parse() replaces it
        return new LineNode(keyword, lower, line, flags, List.of(), false,
            rest.isEmpty() ? null : new LineNode("", "", rest, List.of(), List.of(), false, null));
      default:
        // parseIgnore: BuildKit keeps one empty argument node
        return new LineNode(keyword, lower, line, flags, List.of(""), false, null);
    }
  }

  /** The regexp class {@code [\t\v\f\r ]} BuildKit splits on. */
  static boolean isAsciiBlank(char c) {
    return c == ' ' || c == '\t' || c == 0x0B || c == '\f' || c == '\r';
  }

  // ---- extractBuilderFlags -----------------------------------------------------------------

  /** Collects the leading flags; returns the remaining text (untrimmed). */
  private String extractFlags(String text, List<String> flags) {
    // fast path: BuildKit stops at the first word that does not start with "--"
    int i = 0;
    while (i < text.length() && text.charAt(i) < 0x80 && GoStrings.isSpace(text.charAt(i))) {
      i++;
    }
    if (!text.startsWith("--", i)) {
      return text.substring(i);
    }
    // the grammar's escape is the backslash; with the backtick directive the two swap roles
    boolean backtick = escape == '`';
    boolean ascii = GoStrings.isAscii(text);
    String bytes = ascii ? text : GoStrings.toByteView(text);
    lexer.setInputStream(CharStreams.fromString(backtick ? swapEscape(bytes) : bytes));
    StringBuilder word = new StringBuilder();
    Token t = lexer.nextToken();
    while (true) {
      switch (t.getType()) {
        case Token.EOF:
          return "";
        case ArgumentLexer.FLAG_SPACE:
          t = lexer.nextToken();
          continue;
        case ArgumentLexer.FLAG_START:
          word.setLength(0);
          word.append("--");
          t = lexer.nextToken();
          while (t.getType() != Token.EOF && t.getType() != ArgumentLexer.FLAG_SPACE) {
            appendFlagPart(word, t);
            t = lexer.nextToken();
          }
          if (word.length() == 2) {
            // a bare "--" ends the flags and is dropped
            return t.getType() == Token.EOF ? "" : rest(bytes, t.getStartIndex(), ascii);
          }
          // Go appends each byte as a rune: the byte view is exactly what BuildKit keeps
          String flag = word.toString();
          flags.add(backtick ? swapEscape(flag) : flag);
          continue;
        default:
          return rest(bytes, t.getStartIndex(), ascii);
      }
    }
  }

  private static String rest(String bytes, int from, boolean ascii) {
    return ascii ? bytes.substring(from) : GoStrings.fromByteView(bytes.substring(from));
  }

  private static void appendFlagPart(StringBuilder word, Token t) {
    String s = t.getText();
    switch (t.getType()) {
      case ArgumentLexer.F_PLAIN:
      case ArgumentLexer.FDQ_TEXT:
      case ArgumentLexer.FSQ_TEXT:
        word.append(s);
        break;
      case ArgumentLexer.F_ESC:
      case ArgumentLexer.FDQ_ESC:
      case ArgumentLexer.FSQ_ESC:
        word.append(s.charAt(1));
        break;
      default:
        // quotes and a lone trailing escape are removed
        break;
    }
  }

  // ---- parseWords and friends ---------------------------------------------------------------

  /** parseWords: quote-aware words, quotes and escapes kept. */
  List<String> words(String rest) {
    if (rest.isEmpty()) {
      return List.of();
    }
    boolean backtick = escape == '`';
    String input = backtick ? swapEscape(rest) : rest;
    lexer.setInputStream(CharStreams.fromString(input));
    lexer.mode(ArgumentLexer.WORDS);
    parser.setTokenStream(new CommonTokenStream(lexer));
    ArgumentParser.WordsContext ctx;
    try {
      ctx = parser.words();
    } catch (ParseCancellationException e) {
      throw new IllegalStateException("word grammar rejected " + GoStrings.quote(rest), e);
    }
    List<String> out = new ArrayList<>(ctx.word().size());
    StringBuilder sb = new StringBuilder();
    for (ArgumentParser.WordContext w : ctx.word()) {
      sb.setLength(0);
      appendKept(sb, w);
      if (sb.length() > 0) {
        String value = sb.toString();
        out.add(backtick ? swapEscape(value) : value);
      }
    }
    return out;
  }

  /** Every terminal's text except a lone trailing escape. */
  private static void appendKept(StringBuilder sb, ParseTree tree) {
    if (tree instanceof TerminalNode) {
      int type = ((TerminalNode) tree).getSymbol().getType();
      if (type != ArgumentLexer.W_LONE_ESC && type != ArgumentLexer.WDQ_LONE_ESC) {
        sb.append(tree.getText());
      }
      return;
    }
    for (int i = 0; i < tree.getChildCount(); i++) {
      appendKept(sb, tree.getChild(i));
    }
  }

  /** Swaps \ and `, so the grammar can always treat the backslash as the escape. */
  private static String swapEscape(String s) {
    if (s.indexOf('\\') < 0 && s.indexOf('`') < 0) {
      return s;
    }
    char[] c = s.toCharArray();
    for (int i = 0; i < c.length; i++) {
      if (c[i] == '\\') {
        c[i] = '`';
      } else if (c[i] == '`') {
        c[i] = '\\';
      }
    }
    return new String(c);
  }

  /** parseNameVal (ENV, LABEL): key, value, separator triples. */
  private List<String> nameVal(String rest, String key) throws LineSyntaxException {
    List<String> words = words(rest);
    if (words.isEmpty()) {
      return List.of();
    }
    List<String> out = new ArrayList<>();
    if (words.get(0).indexOf('=') < 0) {
      // legacy form: the key, then the raw rest of the line
      String[] parts = splitAsciiBlank(rest, 2);
      if (parts.length < 2) {
        throw new LineSyntaxException(key + " must have two arguments");
      }
      out.add(parts[0]);
      out.add(parts[1]);
      out.add("");
      return out;
    }
    for (String word : words) {
      int eq = word.indexOf('=');
      if (eq < 0) {
        throw new LineSyntaxException("Syntax error - can't find = in " + GoStrings.quote(word)
            + ". Must be of the form: name=value");
      }
      out.add(word.substring(0, eq));
      out.add(word.substring(eq + 1));
      out.add("=");
    }
    return out;
  }

  /** parseStringsWhitespaceDelimited. */
  private static List<String> whitespaceDelimited(String rest) {
    if (rest.isEmpty()) {
      return List.of();
    }
    return List.of(splitAsciiBlank(rest, -1));
  }

  /** Go's {@code regexp.MustCompile(`[\t\v\f\r ]+`).Split(s, n)}. */
  static String[] splitAsciiBlank(String s, int n) {
    List<String> parts = new ArrayList<>();
    int start = 0;
    int i = 0;
    while (i < s.length()) {
      if (isAsciiBlank(s.charAt(i)) && (n < 0 || parts.size() < n - 1)) {
        int end = i;
        while (i < s.length() && isAsciiBlank(s.charAt(i))) {
          i++;
        }
        parts.add(s.substring(start, end));
        start = i;
      } else {
        i++;
      }
    }
    parts.add(s.substring(start));
    return parts.toArray(new String[0]);
  }

  /** parseHealthConfig: the type word, then the command like RUN. */
  private LineNode healthcheck(String keyword, String lower, String line, List<String> flags, String rest)
      throws LineSyntaxException {
    // BuildKit finds the first word by testing single bytes with unicode.IsSpace
    String bytes = GoStrings.toByteView(rest);
    int sep = 0;
    while (sep < bytes.length() && !GoStrings.isSpace(bytes.charAt(sep))) {
      sep++;
    }
    int next = sep;
    while (next < bytes.length() && GoStrings.isSpace(bytes.charAt(next))) {
      next++;
    }
    if (sep == 0) {
      return new LineNode(keyword, lower, line, flags, List.of(), false, null);
    }
    String type = GoStrings.fromByteView(bytes.substring(0, sep));
    return maybeJson(keyword, lower, line, flags, GoStrings.fromByteView(bytes.substring(next)),
        List.of(type));
  }

  // ---- JSON --------------------------------------------------------------------------------

  /** parseMaybeJSON: exec form, or the whole rest as one shell-form string. */
  private LineNode maybeJson(
      String keyword, String lower, String line, List<String> flags, String rest, List<String> before)
      throws LineSyntaxException {
    List<String> args = new ArrayList<>(before);
    if (rest.isEmpty()) {
      return new LineNode(keyword, lower, line, flags, args, false, null);
    }
    List<String> json = json(rest);
    if (json != null) {
      args.addAll(json);
      return new LineNode(keyword, lower, line, flags, args, true, null);
    }
    args.add(rest);
    return new LineNode(keyword, lower, line, flags, args, false, null);
  }

  /** parseMaybeJSONToList: exec form, or a whitespace split. */
  private LineNode maybeJsonToList(String keyword, String lower, String line, List<String> flags, String rest)
      throws LineSyntaxException {
    List<String> json = json(rest);
    if (json != null) {
      return new LineNode(keyword, lower, line, flags, json, true, null);
    }
    return new LineNode(keyword, lower, line, flags, whitespaceDelimited(rest), false, null);
  }

  /**
   * parseJSON: the strings of a JSON array of strings; null when the text is not a JSON array
   * (shell form follows); an error when it is one but holds something else than strings.
   */
  List<String> json(String rest) throws LineSyntaxException {
    String text = GoStrings.trimLeftSpace(rest);
    if (!text.startsWith("[")) {
      return null;
    }
    int depth = jsonDepth(text);
    if (depth > MAX_JSON_DEPTH) {
      return null;
    }
    lexer.setInputStream(CharStreams.fromString(text));
    lexer.mode(ArgumentLexer.JSON);
    parser.setTokenStream(new CommonTokenStream(lexer));
    ArgumentParser.JsonArrayContext array =
        depth > DEEP_JSON ? jsonArrayOnLargeStack() : jsonArray();
    if (array == null) {
      return null;
    }
    List<String> out = new ArrayList<>(array.jsonValue().size());
    for (ArgumentParser.JsonValueContext v : array.jsonValue()) {
      TerminalNode s = v.J_STRING();
      if (s == null) {
        throw new LineSyntaxException(NOT_STRING_ARRAY);
      }
      out.add(JsonStrings.unquote(s.getText()));
    }
    return out;
  }

  private ArgumentParser.JsonArrayContext jsonArray() {
    try {
      return parser.jsonDocument().jsonArray();
    } catch (ParseCancellationException e) {
      return null;
    }
  }

  private ArgumentParser.JsonArrayContext jsonArrayOnLargeStack() {
    AtomicReference<ArgumentParser.JsonArrayContext> result = new AtomicReference<>();
    AtomicReference<Throwable> failure = new AtomicReference<>();
    Thread t = new Thread(null, () -> {
      try {
        result.set(jsonArray());
      } catch (Throwable e) {
        failure.set(e);
      }
    }, "jbuild-deep-json", 64L << 20);
    t.start();
    try {
      t.join();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while parsing a deeply nested JSON array", e);
    }
    if (failure.get() != null) {
      throw new IllegalStateException("JSON array parse failed", failure.get());
    }
    return result.get();
  }

  /**
   * Maximum bracket depth of the first JSON value in {@code text} (strings skipped); anything
   * after that value makes the text invalid anyway.
   */
  private static int jsonDepth(String text) {
    int depth = 0;
    int max = 0;
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      if (c == '"') {
        for (i++; i < text.length() && text.charAt(i) != '"'; i++) {
          if (text.charAt(i) == '\\') {
            i++;
          }
        }
      } else if (c == '[' || c == '{') {
        max = Math.max(max, ++depth);
      } else if (c == ']' || c == '}') {
        if (--depth <= 0) {
          break;
        }
      }
    }
    return max;
  }
}
