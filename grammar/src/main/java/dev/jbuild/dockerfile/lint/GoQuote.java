package dev.jbuild.dockerfile.lint;

/** Go's {@code %q} for the messages BuildKit formats with it. */
final class GoQuote {

  private GoQuote() {}

  static String quote(String s) {
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
                  if (cp < 0x20 || cp == 0x7f) {
                    out.append(String.format("\\x%02x", cp));
                  } else if (!Character.isDefined(cp)
                      || Character.getType(cp) == Character.FORMAT
                      || Character.getType(cp) == Character.CONTROL
                      || (cp != ' ' && Character.isSpaceChar(cp))) {
                    out.append(cp < 0x10000 ? String.format("\\u%04x", cp) : String.format("\\U%08x", cp));
                  } else {
                    out.appendCodePoint(cp);
                  }
              }
            });
    return out.append('"').toString();
  }
}
