package dev.jbuild.dockerfile.shell;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The glob patterns of {@code ${v#p}}, {@code ${v%p}} and {@code ${v/p/r}}: {@code *} (greedy or
 * shortest, as the operator asks) and {@code ?}; no bracket classes. {@code \*}, {@code \?} and
 * {@code \\} are literals, {@code \}} and {@code \/} escape the delimiter, any other escape is an
 * error. Behaves like BuildKit's {@code convertShellPatternToRegex}, Go's RE2 leftmost-first
 * matching and Go's {@code ReplaceAllString}.
 */
final class ShellPattern {

  /** A pattern that cannot be compiled; the message is BuildKit's. */
  static final class InvalidPattern extends Exception {
    private static final long serialVersionUID = 1L;

    InvalidPattern(String message) {
      super(message);
    }
  }

  private ShellPattern() {}

  static Pattern compile(String pattern, boolean greedy, boolean anchored) throws InvalidPattern {
    int[] cps = pattern.codePoints().toArray();
    StringBuilder out = new StringBuilder(pattern.length() + 4);
    if (anchored) {
      out.append('^');
    }
    for (int i = 0; i < cps.length; i++) {
      int cp = cps[i];
      if (cp == '*') {
        out.append(greedy ? ".*" : ".*?");
      } else if (cp == '?') {
        out.append('.');
      } else if (cp == '\\') {
        int next = i + 1 < cps.length ? cps[i + 1] : -1;
        if (next == '}' || next == '/') {
          // The escape only kept the delimiter from ending ${}; it is not part of the pattern.
          continue;
        }
        if (next != '*' && next != '?' && next != '\\') {
          String shown = next < 0 ? "" : new String(Character.toChars(next));
          throw new InvalidPattern("invalid escape '\\" + shown + "'");
        }
        i++;
        appendLiteral(out, next);
      } else {
        appendLiteral(out, cp);
      }
    }
    // UNIX_LINES: like Go, '.' matches everything but '\n'.
    return Pattern.compile(out.toString(), Pattern.UNIX_LINES);
  }

  private static void appendLiteral(StringBuilder out, int cp) {
    if (cp < 0x80 && !Character.isLetterOrDigit(cp)) {
      out.append('\\');
    }
    out.appendCodePoint(cp);
  }

  /** {@code ${v#p}} / {@code ${v##p}}: removes the shortest or longest matching prefix. */
  static String trimPrefix(String pattern, String value, boolean greedy) throws InvalidPattern {
    Matcher m = compile(pattern, greedy, true).matcher(value);
    return m.find() ? value.substring(m.end()) : value;
  }

  /**
   * {@code ${v%p}} / {@code ${v%%p}}: removes the shortest or longest matching suffix. Regular
   * expressions find leftmost matches only, so both the value and the pattern are reversed.
   */
  static String trimSuffix(String pattern, String value, boolean greedy) throws InvalidPattern {
    String reversed = trimPrefix(reversePattern(pattern), reverse(value), greedy);
    return reverse(reversed);
  }

  /** Reverses a pattern but keeps each escape before the character it escapes. */
  static String reversePattern(String pattern) {
    int[] in = pattern.codePoints().toArray();
    int[] out = new int[in.length];
    int last = in.length - 1;
    for (int i = 0; i <= last; ) {
      int outIdx = last - i;
      if (in[i] == '\\' && i != last) {
        out[outIdx - 1] = '\\';
        out[outIdx] = in[i + 1];
        i += 2;
      } else {
        out[outIdx] = in[i];
        i++;
      }
    }
    return new String(out, 0, out.length);
  }

  static String reverse(String s) {
    int[] cps = s.codePoints().toArray();
    int[] out = new int[cps.length];
    for (int i = 0; i < cps.length; i++) {
      out[cps.length - 1 - i] = cps[i];
    }
    return new String(out, 0, out.length);
  }

  /** {@code ${v/p/r}} (first match, literal replacement) or {@code ${v//p/r}} (every match). */
  static String replace(String pattern, String value, String replacement, boolean all)
      throws InvalidPattern {
    Pattern re = compile(pattern, true, false);
    Matcher m = re.matcher(value);
    if (!all) {
      return m.find() ? value.substring(0, m.start()) + replacement + value.substring(m.end()) : value;
    }
    // Go's ReplaceAllString: an empty match right after a match is not replaced, the search
    // always advances by at least one character, and the replacement is a template ($0, $$).
    StringBuilder out = new StringBuilder();
    int lastMatchEnd = 0;
    int searchPos = 0;
    while (searchPos <= value.length()) {
      if (!m.find(searchPos)) {
        break;
      }
      int start = m.start();
      int end = m.end();
      out.append(value, lastMatchEnd, start);
      if (end > lastMatchEnd || start == 0) {
        expandTemplate(out, replacement, value.substring(start, end));
      }
      lastMatchEnd = end;
      int width =
          searchPos < value.length() ? Character.charCount(value.codePointAt(searchPos)) : 1;
      if (searchPos + width > end) {
        searchPos += width;
      } else if (searchPos + 1 > end) {
        searchPos++;
      } else {
        searchPos = end;
      }
    }
    out.append(value, Math.min(lastMatchEnd, value.length()), value.length());
    return out.toString();
  }

  /**
   * Go's {@code Regexp.Expand} for a regex with no capture groups: {@code $$} is {@code $}, {@code
   * $0} / {@code ${0}} is the match, any other well-formed name is empty, a malformed one is
   * literal.
   */
  private static void expandTemplate(StringBuilder out, String template, String match) {
    int i = 0;
    int n = template.length();
    while (i < n) {
      int dollar = template.indexOf('$', i);
      if (dollar < 0) {
        break;
      }
      out.append(template, i, dollar);
      i = dollar + 1;
      if (i < n && template.charAt(i) == '$') {
        out.append('$');
        i++;
        continue;
      }
      boolean brace = i < n && template.charAt(i) == '{';
      int nameStart = brace ? i + 1 : i;
      int j = nameStart;
      while (j < n) {
        int cp = template.codePointAt(j);
        if (!Character.isLetter(cp) && !Character.isDigit(cp) && cp != '_') {
          break;
        }
        j += Character.charCount(cp);
      }
      if (j == nameStart || (brace && (j >= n || template.charAt(j) != '}'))) {
        out.append('$');
        continue;
      }
      String name = template.substring(nameStart, j);
      i = brace ? j + 1 : j;
      if (name.equals("0")) {
        out.append(match);
      }
    }
    if (i < n) {
      out.append(template, i, n);
    }
  }
}
