package dev.jbuild.dockerfile;

import java.util.List;

/**
 * Renders diagnostics the way compilers do:
 *
 * <pre>
 * Dockerfile:12:5: error: unknown instruction "RUNN" (did you mean "RUN"?)
 *   RUNN echo hi
 *   ^
 * </pre>
 *
 * Used by the CLI and the Maven goal, so both print the same thing.
 */
public final class DiagnosticRenderer {

  private DiagnosticRenderer() {}

  /**
   * @param sourceLines the file's lines (after BOM removal), or an empty list when the source
   *     is not at hand; then only the header line is printed
   */
  public static String render(Diagnostic d, List<String> sourceLines) {
    SourceSpan s = d.span();
    StringBuilder out = new StringBuilder();
    out.append(s.file()).append(':').append(s.startLine()).append(':').append(s.startColumn());
    out.append(": ").append(d.severity().label()).append(": ").append(d.message());
    d.rule().ifPresent(r -> out.append(" [").append(r).append(']'));
    out.append('\n');
    if (s.startLine() <= sourceLines.size()) {
      String line = sourceLines.get(s.startLine() - 1);
      if (line.length() > 200) {
        line = line.substring(0, 200) + "…";
      }
      line = line.replace('\t', ' ').replace("\r", "");
      out.append("  ").append(line).append('\n');
      int caret = Math.min(Math.max(s.startColumn(), 1), line.length() + 1);
      out.append("  ").append(" ".repeat(caret - 1)).append("^\n");
    }
    d.url().ifPresent(u -> out.append("  see ").append(u).append('\n'));
    return out.toString();
  }
}
