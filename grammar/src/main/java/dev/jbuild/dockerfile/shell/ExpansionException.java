package dev.jbuild.dockerfile.shell;

import java.util.Objects;

/**
 * A word that cannot be expanded: a syntax error ({@code ${}}, an unterminated quote), an
 * unsupported modifier, a bad pattern, or a {@code ${V:?message}} whose variable is unset.
 *
 * <p>The message is BuildKit's, e.g. {@code failed to process "${FOO:?}": FOO: is not allowed
 * to be unset}. It has no position: the caller that knows the instruction turns it into a
 * positioned {@code DockerfileException}.
 */
public final class ExpansionException extends Exception {

  private static final long serialVersionUID = 1L;

  private final String word;
  private final String reason;

  public ExpansionException(String word, String reason) {
    super("failed to process " + goQuote(word) + ": " + reason);
    this.word = Objects.requireNonNull(word, "word");
    this.reason = Objects.requireNonNull(reason, "reason");
  }

  /** The word as written, before expansion. */
  public String word() {
    return word;
  }

  /** What is wrong, without the {@code failed to process} prefix. */
  public String reason() {
    return reason;
  }

  /** Quotes like Go's {@code %q}, which is how BuildKit names the word in its message. */
  static String goQuote(String s) {
    StringBuilder out = new StringBuilder(s.length() + 2).append('"');
    s.codePoints()
        .forEach(
            cp -> {
              switch (cp) {
                case '"':
                  out.append("\\\"");
                  break;
                case '\\':
                  out.append("\\\\");
                  break;
                case '\n':
                  out.append("\\n");
                  break;
                case '\t':
                  out.append("\\t");
                  break;
                case '\r':
                  out.append("\\r");
                  break;
                default:
                  if (cp == ' ' || isPrintable(cp)) {
                    out.appendCodePoint(cp);
                  } else if (cp < 0x80) {
                    out.append(String.format("\\x%02x", cp));
                  } else if (cp < 0x10000) {
                    out.append(String.format("\\u%04x", cp));
                  } else {
                    out.append(String.format("\\U%08x", cp));
                  }
              }
            });
    return out.append('"').toString();
  }

  private static boolean isPrintable(int cp) {
    switch (Character.getType(cp)) {
      case Character.CONTROL:
      case Character.FORMAT:
      case Character.SURROGATE:
      case Character.PRIVATE_USE:
      case Character.UNASSIGNED:
      case Character.LINE_SEPARATOR:
      case Character.PARAGRAPH_SEPARATOR:
      case Character.SPACE_SEPARATOR:
        return false;
      default:
        return true;
    }
  }
}
