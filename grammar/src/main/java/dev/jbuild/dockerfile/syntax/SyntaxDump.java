package dev.jbuild.dockerfile.syntax;

import dev.jbuild.dockerfile.internal.GoStrings;
import java.util.List;

/**
 * Prints a syntax tree exactly as BuildKit's {@code Node.Dump()} does, so that BuildKit's parser
 * vectors ({@code parser/testfiles/<case>/result}) can be compared byte for byte (spec §6.1).
 */
public final class SyntaxDump {

  private SyntaxDump() {}

  /** One {@code (keyword ...)} line per instruction, each followed by a newline. */
  public static String dump(SyntaxTree tree) {
    StringBuilder out = new StringBuilder();
    for (SyntaxNode n : tree.children()) {
      out.append('(').append(dump(n)).append(")\n");
    }
    return out.toString();
  }

  /** One instruction without the surrounding parentheses: {@code run "echo hi"}. */
  public static String dump(SyntaxNode node) {
    StringBuilder out = new StringBuilder(node.keyword());
    if (!node.flags().isEmpty()) {
      out.append(' ').append(quoteAll(node.flags()));
    }
    for (String arg : node.args()) {
      out.append(' ').append(GoStrings.quote(arg));
    }
    node.nested().ifPresent(n -> out.append(" (").append(dump(n)).append(')'));
    return GoStrings.trimSpace(out.toString());
  }

  /** Go's {@code %q} of a {@code []string}: {@code ["a" "b"]}. */
  private static String quoteAll(List<String> values) {
    StringBuilder out = new StringBuilder("[");
    for (int i = 0; i < values.size(); i++) {
      if (i > 0) {
        out.append(' ');
      }
      out.append(GoStrings.quote(values.get(i)));
    }
    return out.append(']').toString();
  }
}
