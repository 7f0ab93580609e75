package dev.jbuild.build;

import java.util.ArrayDeque;
import java.util.Deque;

/** Go's {@code path.Clean} and {@code path.Join} for the slash paths of images. */
final class SlashPaths {

  private SlashPaths() {}

  /** {@code path.Clean}: no double slashes, no {@code .}, {@code ..} resolved lexically. */
  static String clean(String p) {
    if (p.isEmpty()) {
      return ".";
    }
    boolean rooted = p.startsWith("/");
    Deque<String> parts = new ArrayDeque<>();
    for (String seg : p.split("/")) {
      if (seg.isEmpty() || seg.equals(".")) {
        continue;
      }
      if (seg.equals("..")) {
        if (!parts.isEmpty() && !parts.peekLast().equals("..")) {
          parts.removeLast();
        } else if (!rooted) {
          parts.addLast("..");
        }
        continue;
      }
      parts.addLast(seg);
    }
    String joined = String.join("/", parts);
    if (rooted) {
      return "/" + joined;
    }
    return joined.isEmpty() ? "." : joined;
  }

  /** {@code path.Join}: joins the non-empty elements with slashes and cleans the result. */
  static String join(String... elements) {
    StringBuilder out = new StringBuilder();
    for (String e : elements) {
      if (e.isEmpty()) {
        continue;
      }
      if (out.length() > 0) {
        out.append('/');
      }
      out.append(e);
    }
    return out.length() == 0 ? "" : clean(out.toString());
  }

  /**
   * moby's {@code NormalizeWorkdir}: a relative WORKDIR joins the current one (the root when
   * there is none), an absolute one replaces it; the result is clean and absolute.
   */
  static String workdir(String current, String requested) {
    if (requested.startsWith("/")) {
      return clean(requested);
    }
    return join("/", current == null ? "" : current, requested);
  }
}
