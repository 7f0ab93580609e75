package dev.jbuild.build;

import dev.jbuild.dockerfile.ir.GoDuration;
import dev.jbuild.oci.Healthcheck;
import java.time.Duration;
import java.util.List;

/**
 * The few Go {@code fmt} renderings that BuildKit's history {@code created_by} strings use
 * (spec §8): {@code %q} of a string slice, {@code %v} of a string slice and {@code %q} of a
 * {@code *HealthcheckConfig}.
 */
final class GoFormat {

  private GoFormat() {}

  /** {@code fmt.Sprintf("%q", []string{…})}: {@code ["a" "b"]}. */
  static String quotedList(List<String> words) {
    StringBuilder out = new StringBuilder("[");
    for (int i = 0; i < words.size(); i++) {
      if (i > 0) {
        out.append(' ');
      }
      out.append(quote(words.get(i)));
    }
    return out.append(']').toString();
  }

  /** {@code fmt.Sprintf("%v", []string{…})}: {@code [a b]}. */
  static String plainList(List<String> words) {
    return "[" + String.join(" ", words) + "]";
  }

  /**
   * {@code fmt.Sprintf("%q", &HealthcheckConfig{…})}: {@code &{["CMD" "x"] "30s" "5s" "0s"
   * "0s" '\x03'}} — durations through their String method, quoted; Retries, an int, as a
   * quoted rune.
   */
  static String healthcheck(Healthcheck h) {
    return "&{" + quotedList(h.test()) + " " + duration(h.interval()) + " "
        + duration(h.timeout()) + " " + duration(h.startPeriod()) + " "
        + duration(h.startInterval()) + " " + quoteRune(h.retries()) + "}";
  }

  private static String duration(Duration d) {
    return quote(GoDuration.format(d));
  }

  /** Go's {@code strconv.Quote}. */
  static String quote(String s) {
    StringBuilder out = new StringBuilder("\"");
    s.codePoints().forEach(c -> appendEscaped(out, c, '"'));
    return out.append('"').toString();
  }

  /** Go's {@code strconv.QuoteRune}, which {@code %q} applies to integers. */
  static String quoteRune(int r) {
    StringBuilder out = new StringBuilder("'");
    if (r < 0 || r > Character.MAX_CODE_POINT || (r >= 0xD800 && r <= 0xDFFF)) {
      r = 0xFFFD;
    }
    appendEscaped(out, r, '\'');
    return out.append('\'').toString();
  }

  private static void appendEscaped(StringBuilder out, int c, char quote) {
    if (c == quote || c == '\\') {
      out.append('\\').appendCodePoint(c);
      return;
    }
    if (isPrint(c)) {
      out.appendCodePoint(c);
      return;
    }
    switch (c) {
      case 7:
        out.append("\\a");
        return;
      case '\b':
        out.append("\\b");
        return;
      case '\f':
        out.append("\\f");
        return;
      case '\n':
        out.append("\\n");
        return;
      case '\r':
        out.append("\\r");
        return;
      case '\t':
        out.append("\\t");
        return;
      case 11:
        out.append("\\v");
        return;
      default:
        if (c < ' ' || c == 0x7f) {
          out.append(String.format("\\x%02x", c));
        } else if (c < 0x10000) {
          out.append(String.format("\\u%04x", c));
        } else {
          out.append(String.format("\\U%08x", c));
        }
    }
  }

  /** Go's {@code unicode.IsPrint}: graphic characters and the ASCII space. */
  private static boolean isPrint(int c) {
    if (c == ' ') {
      return true;
    }
    if (c < 0x20 || c == 0x7f) {
      return false;
    }
    switch (Character.getType(c)) {
      case Character.UNASSIGNED:
      case Character.CONTROL:
      case Character.FORMAT:
      case Character.PRIVATE_USE:
      case Character.SURROGATE:
      case Character.SPACE_SEPARATOR:
      case Character.LINE_SEPARATOR:
      case Character.PARAGRAPH_SEPARATOR:
        return false;
      default:
        return true;
    }
  }
}
