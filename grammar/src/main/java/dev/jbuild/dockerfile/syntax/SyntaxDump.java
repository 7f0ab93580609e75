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
    // ONBUILD operands print as "(...)" after the arguments; iterative for deep chains
    StringBuilder out = new StringBuilder();
    int depth = 0;
    for (SyntaxNode n = node; ; depth++) {
      if (depth > 0) {
        out.append(" (");
      }
      out.append(n.keyword());
      if (!n.flags().isEmpty()) {
        out.append(' ').append(quoteAll(n.flags()));
      }
      for (String arg : n.args()) {
        out.append(' ').append(GoStrings.quote(arg));
      }
      if (n.nested().isEmpty()) {
        break;
      }
      n = n.nested().get();
    }
    out.append(")".repeat(depth));
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
