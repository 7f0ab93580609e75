package dev.jbuild.dockerfile.internal;

/** Decodes a JSON string literal the way Go's encoding/json does (lone surrogates → U+FFFD). */
final class JsonStrings {

  private JsonStrings() {}

  /** @param literal a J_STRING token: quotes included, escapes valid */
  static String unquote(String literal) {
    int end = literal.length() - 1;
    if (literal.indexOf('\\') < 0) {
      return literal.substring(1, end);
    }
    StringBuilder out = new StringBuilder(end);
    for (int i = 1; i < end; ) {
      char c = literal.charAt(i);
      if (c != '\\') {
        out.append(c);
        i++;
        continue;
      }
      char e = literal.charAt(i + 1);
      i += 2;
      switch (e) {
        case 'b': out.append('\b'); break;
        case 'f': out.append('\f'); break;
        case 'n': out.append('\n'); break;
        case 'r': out.append('\r'); break;
        case 't': out.append('\t'); break;
        case 'u': {
          int r = Integer.parseInt(literal.substring(i, i + 4), 16);
          i += 4;
          if (Character.isSurrogate((char) r)) {
            // a high surrogate followed by an escaped low one makes a pair; anything else is
            // the replacement character, and the following escape is read on its own
            if (Character.isHighSurrogate((char) r) && i + 6 <= end
                && literal.charAt(i) == '\\' && literal.charAt(i + 1) == 'u') {
              int low = Integer.parseInt(literal.substring(i + 2, i + 6), 16);
              if (Character.isLowSurrogate((char) low)) {
                out.appendCodePoint(Character.toCodePoint((char) r, (char) low));
                i += 6;
                break;
              }
            }
            out.append('\uFFFD');
          } else {
            out.append((char) r);
          }
          break;
        }
        default: out.append(e); // " \ /
      }
    }
    return out.toString();
  }
}
