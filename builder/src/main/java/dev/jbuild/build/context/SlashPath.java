package dev.jbuild.build.context;

import java.util.ArrayList;
import java.util.List;

/**
 * Lexical operations on slash-separated paths with Go's {@code path} semantics, which
 * BuildKit and patternmatcher apply to every pattern and source path.
 */
final class SlashPath {

  private SlashPath() {}

  /**
   * Go's {@code path.Clean}: collapse repeated slashes, drop {@code .} elements, resolve
   * {@code ..} lexically (clamped at a leading {@code /}), drop a trailing slash; {@code ""}
   * becomes {@code "."}.
   */
  static String clean(String path) {
    if (path.isEmpty()) {
      return ".";
    }
    boolean rooted = path.charAt(0) == '/';
    int n = path.length();
    StringBuilder out = new StringBuilder(n);
    int r = 0;
    int dotdot = 0; // out.length() below which ".." cannot backtrack
    if (rooted) {
      out.append('/');
      r = 1;
      dotdot = 1;
    }
    while (r < n) {
      char c = path.charAt(r);
      if (c == '/') {
        r++;
      } else if (c == '.' && (r + 1 == n || path.charAt(r + 1) == '/')) {
        r++;
      } else if (c == '.'
          && path.charAt(r + 1) == '.'
          && (r + 2 == n || path.charAt(r + 2) == '/')) {
        r += 2;
        if (out.length() > dotdot) {
          int w = out.length() - 1;
          while (w > dotdot && out.charAt(w) != '/') {
            w--;
          }
          out.setLength(w);
        } else if (!rooted) {
          if (out.length() > 0) {
            out.append('/');
          }
          out.append("..");
          dotdot = out.length();
        }
      } else {
        if ((rooted && out.length() != 1) || (!rooted && out.length() != 0)) {
          out.append('/');
        }
        while (r < n && path.charAt(r) != '/') {
          out.append(path.charAt(r));
          r++;
        }
      }
    }
    return out.length() == 0 ? "." : out.toString();
  }

  /** Go's {@code path.Dir}: everything before the last slash, cleaned. */
  static String dir(String path) {
    int slash = path.lastIndexOf('/');
    return clean(path.substring(0, slash + 1));
  }

  /** Go's {@code strings.Split(s, "/")}: keeps empty elements, {@code ""} gives {@code [""]}. */
  static List<String> split(String path) {
    List<String> parts = new ArrayList<>();
    int start = 0;
    for (int i = 0; i < path.length(); i++) {
      if (path.charAt(i) == '/') {
        parts.add(path.substring(start, i));
        start = i + 1;
      }
    }
    parts.add(path.substring(start));
    return parts;
  }

  /**
   * Normalises a COPY/ADD source the way BuildKit's {@code NormalizePath("/", src, false)}
   * does, then makes it relative to the root: a leading {@code /} and {@code ../} clamp to the
   * root, a trailing {@code /} or {@code /.} vanishes; the root itself is {@code ""}.
   */
  static String normalizeSource(String source) {
    String cleaned = clean("/" + source);
    return cleaned.substring(1);
  }

  /** {@code parent/name}, where the root is {@code ""}. */
  static String child(String parent, String name) {
    return parent.isEmpty() ? name : parent + "/" + name;
  }

  /** The last element of a relative path ({@code ""} for the root). */
  static String baseName(String path) {
    return path.substring(path.lastIndexOf('/') + 1);
  }

  /** Compares paths in the byte order of their UTF-8 encodings (Go's string order). */
  static int compare(String a, String b) {
    // UTF-16 order is code point order except where a surrogate meets a char above it: compare
    // chars up to the first difference, and code points only from there when one is a surrogate
    int n = Math.min(a.length(), b.length());
    for (int k = 0; k < n; k++) {
      char ca = a.charAt(k);
      char cb = b.charAt(k);
      if (ca != cb) {
        if (ca < Character.MIN_SURROGATE && cb < Character.MIN_SURROGATE) {
          return Integer.compare(ca, cb);
        }
        // start at the pair a differing low surrogate belongs to
        int from = k > 0 && Character.isHighSurrogate(a.charAt(k - 1)) ? k - 1 : k;
        return compareCodePoints(a, b, from);
      }
    }
    return Integer.compare(a.length(), b.length());
  }

  private static int compareCodePoints(String a, String b, int from) {
    int i = from;
    int j = from;
    while (i < a.length() && j < b.length()) {
      int ca = a.codePointAt(i);
      int cb = b.codePointAt(j);
      if (ca != cb) {
        return Integer.compare(ca, cb);
      }
      i += Character.charCount(ca);
      j += Character.charCount(cb);
    }
    return Integer.compare(a.length() - i, b.length() - j);
  }
}
