package dev.jbuild.dockerfile.syntax;

import dev.jbuild.dockerfile.Diagnostic;
import java.util.List;
import java.util.Objects;

/**
 * A whole Dockerfile as parsed lines: directives, instructions and the parser's own warnings
 * (e.g. {@code NoEmptyContinuation}).
 *
 * @param file the file name used in spans
 * @param lines the physical source lines (BOM removed, no line terminators), for rendering
 */
public record SyntaxTree(
    String file,
    Directives directives,
    List<SyntaxNode> children,
    List<Diagnostic> warnings,
    List<String> lines) {

  public SyntaxTree {
    Objects.requireNonNull(file, "file");
    Objects.requireNonNull(directives, "directives");
    children = List.copyOf(children);
    warnings = List.copyOf(warnings);
    lines = List.copyOf(lines);
  }
}
