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
    for (String c : path.split("/", -1)) {
      if (c.isEmpty()) {
        return "has an empty component ('//')";
      }
      if (c.equals(".") || c.equals("..")) {
        return "has a '" + c + "' component";
      }
    }
    return null;
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
    int ia = 0;
    int ib = 0;
    while (true) {
      if (ia >= a.length() || ib >= b.length()) {
        return Boolean.compare(ia < a.length(), ib < b.length());
      }
      int ea = a.indexOf('/', ia);
      int eb = b.indexOf('/', ib);
      ea = ea < 0 ? a.length() : ea;
      eb = eb < 0 ? b.length() : eb;
      int c = compareName(a.substring(ia, ea), b.substring(ib, eb));
      if (c != 0) {
        return c;
      }
      ia = ea + 1;
      ib = eb + 1;
      if (ea == a.length() || eb == b.length()) {
        return Boolean.compare(ea < a.length(), eb < b.length());
      }
    }
  }

  /** Byte order of the UTF-8 names, with the opaque marker before everything. */
  static int compareName(String a, String b) {
    if (a.equals(b)) {
      return 0;
    }
    if (a.equals(Whiteouts.OPAQUE)) {
      return -1;
    }
    if (b.equals(Whiteouts.OPAQUE)) {
      return 1;
    }
    return java.util.Arrays.compareUnsigned(
        a.getBytes(StandardCharsets.UTF_8), b.getBytes(StandardCharsets.UTF_8));
  }
}
