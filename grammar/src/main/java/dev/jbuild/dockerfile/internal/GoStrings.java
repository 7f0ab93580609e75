package dev.jbuild.dockerfile.internal;

/**
 * The few Go standard-library string functions BuildKit's parser leans on, reproduced exactly:
 * {@code unicode.IsSpace}, {@code strings.TrimSpace}, {@code strconv.Quote}.
 */
public final class GoStrings {

  private static final char[] LOWER_HEX = "0123456789abcdef".toCharArray();

  private GoStrings() {}

  /** Go's {@code unicode.IsSpace}: Latin-1 spaces plus the Unicode White_Space set. */
  public static boolean isSpace(int cp) {
    if (cp <= 0xFF) {
      return cp == ' ' || (cp >= '\t' && cp <= '\r') || cp == 0x85 || cp == 0xA0;
    }
    return cp == 0x1680
        || (cp >= 0x2000 && cp <= 0x200A)
        || cp == 0x2028
        || cp == 0x2029
        || cp == 0x202F
        || cp == 0x205F
        || cp == 0x3000;
  }

  /** Go's {@code strings.TrimSpace}. */
  public static String trimSpace(String s) {
    int start = 0;
    int end = s.length();
    while (start < end) {
      int cp = s.codePointAt(start);
      if (!isSpace(cp)) {
        break;
      }
      start += Character.charCount(cp);
    }
    while (end > start) {
      int cp = s.codePointBefore(end);
      if (!isSpace(cp)) {
        break;
      }
      end -= Character.charCount(cp);
    }
    return s.substring(start, end);
  }

  /** Go's {@code strings.TrimLeftFunc(s, unicode.IsSpace)}. */
  public static String trimLeftSpace(String s) {
    int start = 0;
    while (start < s.length()) {
      int cp = s.codePointAt(start);
      if (!isSpace(cp)) {
        break;
      }
      start += Character.charCount(cp);
    }
    return start == 0 ? s : s.substring(start);
  }

  /** Go's {@code strconv.Quote} (also what {@code %q} prints for a string). */
  public static String quote(String s) {
    StringBuilder out = new StringBuilder(s.length() + 2);
    out.append('"');
    for (int i = 0; i < s.length(); ) {
      int cp = s.codePointAt(i);
      i += Character.charCount(cp);
      if (cp == '"' || cp == '\\') {
        out.append('\\').appendCodePoint(cp);
      } else if (isPrint(cp)) {
        out.appendCodePoint(cp);
      } else {
        switch (cp) {
          case 0x07: out.append("\\a"); break;
          case '\b': out.append("\\b"); break;
          case '\f': out.append("\\f"); break;
          case '\n': out.append("\\n"); break;
          case '\r': out.append("\\r"); break;
          case '\t': out.append("\\t"); break;
          case 0x0B: out.append("\\v"); break;
          default:
            if (cp < ' ' || cp == 0x7F) {
              out.append("\\x").append(LOWER_HEX[cp >> 4]).append(LOWER_HEX[cp & 0xF]);
            } else {
              if (Character.isSurrogate((char) cp)) {
                cp = 0xFFFD; // a lone surrogate is not a valid rune
              }
              if (cp < 0x10000) {
                out.append("\\u");
                hex(out, cp, 4);
              } else {
                out.append("\\U");
                hex(out, cp, 8);
              }
            }
        }
      }
    }
    return out.append('"').toString();
  }

  private static void hex(StringBuilder out, int value, int digits) {
    for (int shift = (digits - 1) * 4; shift >= 0; shift -= 4) {
      out.append(LOWER_HEX[(value >> shift) & 0xF]);
    }
  }

  /** Go's {@code strconv.IsPrint}: letters, marks, numbers, punctuation, symbols, ASCII space. */
  static boolean isPrint(int cp) {
    if (cp <= 0xFF) {
      if (cp >= 0x20 && cp <= 0x7E) {
        return true;
      }
      return cp >= 0xA1 && cp != 0xAD;
    }
    switch (Character.getType(cp)) {
      case Character.UPPERCASE_LETTER:
      case Character.LOWERCASE_LETTER:
      case Character.TITLECASE_LETTER:
      case Character.MODIFIER_LETTER:
      case Character.OTHER_LETTER:
      case Character.NON_SPACING_MARK:
      case Character.ENCLOSING_MARK:
      case Character.COMBINING_SPACING_MARK:
      case Character.DECIMAL_DIGIT_NUMBER:
      case Character.LETTER_NUMBER:
      case Character.OTHER_NUMBER:
      case Character.CONNECTOR_PUNCTUATION:
      case Character.DASH_PUNCTUATION:
      case Character.START_PUNCTUATION:
      case Character.END_PUNCTUATION:
      case Character.INITIAL_QUOTE_PUNCTUATION:
      case Character.FINAL_QUOTE_PUNCTUATION:
      case Character.OTHER_PUNCTUATION:
      case Character.MATH_SYMBOL:
      case Character.CURRENCY_SYMBOL:
      case Character.MODIFIER_SYMBOL:
      case Character.OTHER_SYMBOL:
        return true;
      default:
        return false;
    }
  }

  /** True when every char is ASCII: the byte view and the char view of the text agree. */
  static boolean isAscii(String s) {
    for (int i = 0; i < s.length(); i++) {
      if (s.charAt(i) >= 0x80) {
        return false;
      }
    }
    return true;
  }

  /** The UTF-8 bytes of {@code s} as a string of chars 0-255, for byte-walking BuildKit code. */
  static String toByteView(String s) {
    if (isAscii(s)) {
      return s;
    }
    return new String(s.getBytes(java.nio.charset.StandardCharsets.UTF_8),
        java.nio.charset.StandardCharsets.ISO_8859_1);
  }

  /** Inverse of {@link #toByteView}: decodes a byte-view slice back to text. */
  static String fromByteView(String bytes) {
    if (isAscii(bytes)) {
      return bytes;
    }
    return new String(bytes.getBytes(java.nio.charset.StandardCharsets.ISO_8859_1),
        java.nio.charset.StandardCharsets.UTF_8);
  }
}
