package dev.jbuild.layer;

import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.Deque;

/** Layer-relative paths: validation, cleaning of tar names, and the canonical entry order. */
final class LayerPaths {
  private LayerPaths() {}

  /** Why {@code path} is not a canonical layer path, or null when it is one. */
  static String problem(String path) {
    if (path.isEmpty()) {
      return "empty path (the layer root has no entry)";
    }
    if (path.indexOf('\0') >= 0) {
      return "contains a NUL character";
    }
    if (path.startsWith("/")) {
      return "must be relative (no leading '/')";
    }
    if (path.endsWith("/")) {
      return "must not end with '/'";
    }
    // checked on every entry made, copies included: components scanned in place, not split
    for (int start = 0; start <= path.length(); ) {
      int end = path.indexOf('/', start);
      end = end < 0 ? path.length() : end;
      if (end == start) {
        return "has an empty component ('//')";
      }
      if (isDots(path, start, end)) {
        return "has a '" + path.substring(start, end) + "' component";
      }
      start = end + 1;
    }
    return null;
  }

  /** Whether {@code s[start, end)} is "." or "..". */
  private static boolean isDots(String s, int start, int end) {
    int n = end - start;
    return (n == 1 || n == 2) && s.charAt(start) == '.' && s.charAt(end - 1) == '.';
  }

  /**
   * The canonical form of a tar entry name: leading '/' and "./" dropped, "." and empty
   * components removed, ".." resolved lexically. Null when the name climbs above the root or
   * holds a NUL; "" for the root itself.
   */
  static String clean(String name) {
    if (name.indexOf('\0') >= 0) {
      return null;
    }
    String clean = alreadyClean(name);
    if (clean != null) {
      return clean;
    }
    Deque<String> parts = new ArrayDeque<>();
    for (String c : name.split("/")) {
      if (c.isEmpty() || c.equals(".")) {
        continue;
      }
      if (c.equals("..")) {
        if (parts.isEmpty()) {
          return null;
        }
        parts.removeLast();
      } else {
        parts.addLast(c);
      }
    }
    return String.join("/", parts);
  }

  /**
   * The name as it is (less one trailing '/') when cleaning would not change it, as for every
   * name jbuild writes: found by one scan, where splitting and joining showed in profiles of
   * layers with tens of thousands of entries. Null when the name needs the general rule.
   */
  private static String alreadyClean(String name) {
    int end = name.length();
    if (end > 0 && name.charAt(end - 1) == '/') {
      end--;
    }
    if (end == 0) {
      return null;
    }
    for (int start = 0; start <= end; ) {
      int slash = name.indexOf('/', start);
      slash = slash < 0 || slash > end ? end : slash;
      if (slash == start || isDots(name, start, slash)) {
        return null;
      }
      start = slash + 1;
    }
    return end == name.length() ? name : name.substring(0, end);
  }

  static String join(String dir, String name) {
    return dir.isEmpty() ? name : dir + "/" + name;
  }

  /** The parent of a canonical path; "" for a top-level name. */
  static String parent(String path) {
    int slash = path.lastIndexOf('/');
    return slash < 0 ? "" : path.substring(0, slash);
  }

  static String name(String path) {
    return path.substring(path.lastIndexOf('/') + 1);
  }

  static String whiteoutOf(String path) {
    String problem = problem(path);
    if (problem != null) {
      throw new IllegalArgumentException("cannot white out \"" + path + "\": " + problem);
    }
    return join(parent(path), Whiteouts.PREFIX + name(path));
  }

  /**
   * Component-wise byte order: a directory sorts directly before its contents ("a", "a/b",
   * "a-b"), so parents always precede children. Within a directory the opaque marker comes
   * first, so that a naive applier never empties entries of the same layer.
   */
  static int compare(String a, String b) {
    int la = a.length();
    int lb = b.length();
    int ia = 0;
    int ib = 0;
    while (true) {
      if (ia >= la || ib >= lb) {
        return Boolean.compare(ia < la, ib < lb);
      }
      int ea = a.indexOf('/', ia);
      int eb = b.indexOf('/', ib);
      ea = ea < 0 ? la : ea;
      eb = eb < 0 ? lb : eb;
      int c = compareName(a, ia, ea, b, ib, eb);
      if (c != 0) {
        return c;
      }
      ia = ea + 1;
      ib = eb + 1;
      if (ea == la || eb == lb) {
        return Boolean.compare(ea < la, eb < lb);
      }
    }
  }

  /** Byte order of the UTF-8 names, with the opaque marker before everything. */
  static int compareName(String a, String b) {
    return compareName(a, 0, a.length(), b, 0, b.length());
  }

  /**
   * {@link #compareName(String, String)} of {@code a[ia, ea)} and {@code b[ib, eb)}, in place: a
   * sort of tens of thousands of paths made two substrings and two byte arrays per comparison.
   * Below the surrogates, UTF-16 order is code point order, which is UTF-8 byte order; names
   * that differ at a surrogate (or share a prefix ending in one) are compared as bytes.
   */
  private static int compareName(String a, int ia, int ea, String b, int ib, int eb) {
    int na = ea - ia;
    int nb = eb - ib;
    if (na == nb && a.regionMatches(ia, b, ib, na)) {
      return 0;
    }
    if (isOpaque(a, ia, ea)) {
      return -1;
    }
    if (isOpaque(b, ib, eb)) {
      return 1;
    }
    int n = Math.min(na, nb);
    for (int i = 0; i < n; i++) {
      char ca = a.charAt(ia + i);
      char cb = b.charAt(ib + i);
      if (ca != cb) {
        if (Character.isSurrogate(ca) || Character.isSurrogate(cb)) {
          return compareBytes(a.substring(ia, ea), b.substring(ib, eb));
        }
        return ca - cb;
      }
    }
    if (n > 0 && Character.isHighSurrogate(a.charAt(ia + n - 1))) {
      return compareBytes(a.substring(ia, ea), b.substring(ib, eb));
    }
    return na - nb;
  }

  private static boolean isOpaque(String s, int start, int end) {
    return end - start == Whiteouts.OPAQUE.length() && s.startsWith(Whiteouts.OPAQUE, start);
  }

  private static int compareBytes(String a, String b) {
    return java.util.Arrays.compareUnsigned(
        a.getBytes(StandardCharsets.UTF_8), b.getBytes(StandardCharsets.UTF_8));
  }
}
