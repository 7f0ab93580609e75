package dev.jbuild.dockerfile;

import java.util.Objects;

/**
 * Where something stands in a Dockerfile: the file name as the user named it, the first line
 * and column (both 1-based) and the last line (inclusive). Rendered only at the edge.
 */
public record SourceSpan(String file, int startLine, int startColumn, int endLine) {

  public SourceSpan {
    Objects.requireNonNull(file, "file");
    if (startLine < 1 || startColumn < 1 || endLine < startLine) {
      throw new IllegalArgumentException(
          "bad span " + file + ":" + startLine + ":" + startColumn + "-" + endLine);
    }
  }

  /** A span covering one position. */
  public static SourceSpan at(String file, int line, int column) {
    return new SourceSpan(file, line, column, line);
  }

  /** The same start, another end line. */
  public SourceSpan toLine(int line) {
    return new SourceSpan(file, startLine, startColumn, Math.max(line, startLine));
  }

  @Override
  public String toString() {
    return file + ":" + startLine + ":" + startColumn;
  }
}
