package dev.jbuild.dockerfile.internal;

import dev.jbuild.dockerfile.Diagnostic;
import dev.jbuild.dockerfile.DockerfileException;
import dev.jbuild.dockerfile.SourceSpan;
import dev.jbuild.dockerfile.syntax.Directives;
import dev.jbuild.dockerfile.syntax.Heredoc;
import dev.jbuild.dockerfile.syntax.SyntaxNode;
import dev.jbuild.dockerfile.syntax.SyntaxTree;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * BuildKit's {@code parser.Parse}: physical lines, directives, comments, continuation lines and
 * heredoc bodies (spec §1.1–§1.3, §1.6). The inside of each logical line goes to
 * {@link LogicalLineParser}.
 */
public final class SyntaxParser {

  static final String NO_EMPTY_CONTINUATION = "NoEmptyContinuation";
  static final String NO_EMPTY_CONTINUATION_URL =
      "https://docs.docker.com/go/dockerfile/rule/no-empty-continuation/";

  private final String file;
  private final PhysicalLines scanner;
  private final DirectiveScanner directives = new DirectiveScanner();
  private final List<SyntaxNode> children = new ArrayList<>();
  private final List<Diagnostic> warnings = new ArrayList<>();
  private LogicalLineParser lineParser;

  private SyntaxParser(String file, byte[] content) {
    this.file = file;
    this.scanner = new PhysicalLines(content);
  }

  /** Parses a whole Dockerfile; throws {@link DockerfileException} where BuildKit fails. */
  public static SyntaxTree parse(String file, byte[] content) {
    return new SyntaxParser(file, content).run();
  }

  private SyntaxTree run() {
    List<String> comments = new ArrayList<>();
    int currentLine = 0;
    while (scanner.scan()) {
      String raw = scanner.text();
      if (isComment(raw)) {
        String comment = scanner.commentText();
        if (comment.isEmpty()) {
          comments.clear();
        } else {
          comments.add(comment);
        }
      }
      String first = processLine(raw, true, scanner.number());
      currentLine = scanner.number();
      int startLine = currentLine;
      int column = keywordColumn(raw);
      String piece = trimContinuation(first);
      boolean endOfLine = piece == null;
      if (endOfLine && first.isEmpty()) {
        continue;
      }
      StringBuilder line = new StringBuilder(endOfLine ? first : piece);
      boolean emptyContinuation = false;
      while (!endOfLine && scanner.scan()) {
        String next = scanner.text();
        String processed = processLine(next, false, scanner.number());
        currentLine = scanner.number();
        if (isComment(next)) {
          continue;
        }
        if (GoStrings.trimLeftSpace(trimNewline(processed)).isEmpty()) {
          emptyContinuation = true;
          continue;
        }
        piece = trimContinuation(processed);
        endOfLine = piece == null;
        line.append(endOfLine ? processed : piece);
      }
      String logical = line.toString();
      if (emptyContinuation) {
        warnings.add(new Diagnostic(Diagnostic.Severity.WARNING,
            "Empty continuation line found in: " + logical,
            SourceSpan.at(file, currentLine, 1), Optional.of(NO_EMPTY_CONTINUATION),
            Optional.of(NO_EMPTY_CONTINUATION_URL)));
      }
      LineNode node;
      try {
        node = lineParser().parse(logical);
      } catch (LineSyntaxException e) {
        throw error(e.getMessage(), startLine, column, currentLine);
      }
      List<Heredoc> heredocs = List.of();
      if (canContainHeredoc(node) && logical.contains("<<")) {
        List<HeredocStarts.Start> starts;
        try {
          starts = HeredocStarts.fromLine(logical);
        } catch (LineSyntaxException e) {
          throw error(e.getMessage(), startLine, column, currentLine);
        }
        heredocs = new ArrayList<>(starts.size());
        for (HeredocStarts.Start start : starts) {
          StringBuilder body = new StringBuilder();
          boolean terminated = false;
          while (scanner.scan()) {
            currentLine = scanner.number();
            String candidate = trimNewline(scanner.text());
            if (start.chomp()) {
              candidate = trimLeadingTabs(candidate);
            }
            if (candidate.equals(start.name())) {
              terminated = true;
              break;
            }
            body.append(scanner.textWithNewline());
          }
          if (!terminated) {
            throw error("unterminated heredoc", startLine, column, currentLine);
          }
          String text = start.chomp() ? chomp(body.toString()) : body.toString();
          heredocs.add(new Heredoc(start.name(), text, start.expand(), start.chomp(),
              start.fileDescriptor()));
        }
      }
      SourceSpan span = new SourceSpan(file, startLine, column, currentLine);
      children.add(toSyntaxNode(node, heredocs, List.copyOf(comments), span));
      comments.clear();
    }
    if (children.isEmpty()) {
      throw error("file with no instructions", Math.max(1, currentLine), 1,
          Math.max(1, currentLine));
    }
    if (scanner.stoppedAtLongLine()) {
      int line = currentLine + 1;
      throw error("dockerfile line greater than max allowed size of " + PhysicalLines.MAX_LINE,
          line, 1, line);
    }
    return new SyntaxTree(file,
        new Directives(directives.syntax(), directives.escape(), directives.check()),
        children, warnings, scanner.scanned());
  }

  private LogicalLineParser lineParser() {
    // the escape directive can only change before the first instruction
    if (lineParser == null) {
      lineParser = new LogicalLineParser(directives.escape());
    }
    return lineParser;
  }

  private DockerfileException error(String message, int startLine, int column, int endLine) {
    return new DockerfileException(
        message, new SourceSpan(file, startLine, Math.max(1, column), Math.max(startLine, endLine)));
  }

  /** processLine: trims the newline (and left whitespace), feeds directives, drops comments. */
  private String processLine(String text, boolean stripLeft, int number) {
    String token = trimNewline(text);
    if (stripLeft) {
      token = GoStrings.trimLeftSpace(token);
    }
    try {
      directives.accept(token);
    } catch (LineSyntaxException e) {
      throw error(e.getMessage(), number, 1, number);
    }
    return isComment(token) ? "" : token;
  }

  /**
   * The continuation rule {@code ([^E])E[ \t]*$|^E[ \t]*$}: the line without its trailing escape
   * (and the blanks after it), or null when the line does not continue.
   */
  private String trimContinuation(String line) {
    char escape = directives.escape();
    int end = line.length();
    while (end > 0 && (line.charAt(end - 1) == ' ' || line.charAt(end - 1) == '\t')) {
      end--;
    }
    if (end == 0 || line.charAt(end - 1) != escape) {
      return null;
    }
    if (end == 1) {
      return "";
    }
    // an escaped escape does not continue the line
    return line.charAt(end - 2) == escape ? null : line.substring(0, end - 1);
  }

  private static boolean isComment(String line) {
    String t = GoStrings.trimLeftSpace(line);
    return !t.isEmpty() && t.charAt(0) == '#';
  }

  /** {@code bytes.TrimRight(s, "\r\n")}. */
  private static String trimNewline(String s) {
    int end = s.length();
    while (end > 0 && (s.charAt(end - 1) == '\r' || s.charAt(end - 1) == '\n')) {
      end--;
    }
    return end == s.length() ? s : s.substring(0, end);
  }

  private static String trimLeadingTabs(String s) {
    int i = 0;
    while (i < s.length() && s.charAt(i) == '\t') {
      i++;
    }
    return s.substring(i);
  }

  /** ChompHeredocContent: {@code (?m)^\t+} removed. */
  static String chomp(String body) {
    StringBuilder out = new StringBuilder(body.length());
    boolean lineStart = true;
    for (int i = 0; i < body.length(); i++) {
      char c = body.charAt(i);
      if (lineStart && c == '\t') {
        continue;
      }
      lineStart = c == '\n';
      out.append(c);
    }
    return out.toString();
  }

  /** Column of the first non-blank char of the instruction's first physical line. */
  private static int keywordColumn(String raw) {
    int i = 0;
    while (i < raw.length() && GoStrings.isSpace(raw.charAt(i))) {
      i++;
    }
    return i + 1;
  }

  /** Heredocs are read for RUN, COPY and ADD (also under ONBUILD), never in JSON form. */
  private static boolean canContainHeredoc(LineNode node) {
    LineNode n = node;
    if (n.lowerKeyword().equals("onbuild") && n.nested() != null) {
      n = n.nested();
    }
    String k = n.lowerKeyword();
    return (k.equals("run") || k.equals("copy") || k.equals("add")) && !n.json();
  }

  private static SyntaxNode toSyntaxNode(
      LineNode n, List<Heredoc> heredocs, List<String> comments, SourceSpan span) {
    // built from the innermost ONBUILD operand outwards: no recursion on deep chains
    List<LineNode> chain = new ArrayList<>();
    for (LineNode c = n; c != null; c = c.nested()) {
      chain.add(c);
    }
    SyntaxNode inner = null;
    for (int i = chain.size() - 1; i >= 0; i--) {
      LineNode c = chain.get(i);
      inner = new SyntaxNode(c.lowerKeyword(), c.keyword(), c.original(), c.flags(), c.args(),
          c.json(), Optional.ofNullable(inner), heredocs, i == 0 ? comments : List.of(), span);
    }
    return inner;
  }
}
