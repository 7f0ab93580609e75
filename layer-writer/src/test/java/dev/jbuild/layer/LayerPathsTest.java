package dev.jbuild.layer;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.Deque;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The path rules scanned in place against their definitions written plainly (split, compare
 * the UTF-8 bytes), on names built from the pieces that make them differ.
 */
class LayerPathsTest {
  private static final String[] PIECES = {
    "a", "b", "a-b", "a.b", "ab", ".", "..", "...", ".wh.", ".wh.a", ".wh..wh..opq", ".wh..wh.x",
    "é", "z", "\uE000", "\uD83D\uDE00", "\uD83D", "\uDE00", "\uFFFF", "A", "~", " ", "a\u0080"
  };

  @Test
  void compareIsTheComponentWiseUtf8ByteOrder() {
    Random r = new Random(7);
    int compared = 0;
    for (int i = 0; i < 400_000; i++) {
      String a = path(r);
      String b = r.nextInt(8) == 0 ? a : r.nextBoolean() ? path(r) : mutate(a, r);
      if (referenceProblem(a) != null || referenceProblem(b) != null) {
        continue; // the order is one of layer paths
      }
      compared++;
      assertThat(Integer.signum(LayerPaths.compare(a, b)))
          .as("%s vs %s", a, b)
          .isEqualTo(Integer.signum(referenceCompare(a, b)));
    }
    assertThat(compared).isGreaterThan(50_000);
    assertThat(LayerPaths.compare("a", "a/b")).isNegative();
    assertThat(LayerPaths.compare("a/b", "a-b")).isNegative();
    assertThat(LayerPaths.compare("d/.wh..wh..opq", "d/.a")).isNegative();
    assertThat(LayerPaths.compare("d/\uE000", "d/\uD83D\uDE00")).isNegative(); // U+E000 < U+1F600
  }

  @Test
  void problemAndCleanFollowTheirDefinitions() {
    Random r = new Random(11);
    String[] odd = {"", "/", "//", "./", "a/", "/a", "a//b", "a/./b", "a/../b", "../a", "a/..",
        ".", "..", "./a/b/", "a/b/..", "a\0b", "a/b//", "a/...", ".../a"};
    for (String p : odd) {
      assertThat(LayerPaths.problem(p)).as(p).isEqualTo(referenceProblem(p));
      assertThat(LayerPaths.clean(p)).as(p).isEqualTo(referenceClean(p));
    }
    for (int i = 0; i < 100_000; i++) {
      String p = rawName(r);
      assertThat(LayerPaths.problem(p)).as(p).isEqualTo(referenceProblem(p));
      assertThat(LayerPaths.clean(p)).as(p).isEqualTo(referenceClean(p));
    }
  }

  @Test
  void whiteoutKindsByName() {
    assertThat(Whiteouts.kindOf("a/b")).isEqualTo(Whiteouts.Kind.NONE);
    assertThat(Whiteouts.kindOf("a/.wh.b")).isEqualTo(Whiteouts.Kind.WHITEOUT);
    assertThat(Whiteouts.kindOf(".wh.b")).isEqualTo(Whiteouts.Kind.WHITEOUT);
    assertThat(Whiteouts.kindOf("a/.wh..wh..opq")).isEqualTo(Whiteouts.Kind.OPAQUE);
    assertThat(Whiteouts.kindOf(".wh..wh..opq")).isEqualTo(Whiteouts.Kind.OPAQUE);
    assertThat(Whiteouts.kindOf("a/.wh..wh..opqx")).isEqualTo(Whiteouts.Kind.METADATA);
    assertThat(Whiteouts.kindOf("a/.wh..wh.plnk")).isEqualTo(Whiteouts.Kind.METADATA);
    assertThat(Whiteouts.kindOf(".wh.x/b")).isEqualTo(Whiteouts.Kind.NONE);
    assertThat(Whiteouts.kindOf("a/x.wh.b")).isEqualTo(Whiteouts.Kind.NONE);
  }

  private static String path(Random r) {
    int n = 1 + r.nextInt(4);
    StringBuilder b = new StringBuilder();
    for (int i = 0; i < n; i++) {
      if (i > 0) {
        b.append('/');
      }
      b.append(PIECES[r.nextInt(PIECES.length)]);
      if (r.nextInt(4) == 0) {
        b.append(PIECES[r.nextInt(PIECES.length)]);
      }
    }
    return b.toString();
  }

  private static String mutate(String a, Random r) {
    int at = r.nextInt(a.length() + 1);
    String piece = r.nextBoolean() ? "/" : PIECES[r.nextInt(PIECES.length)];
    return r.nextBoolean() ? a.substring(0, at) + piece + a.substring(at) : a.substring(0, at);
  }

  private static String rawName(Random r) {
    String p = path(r);
    switch (r.nextInt(6)) {
      case 0:
        return "/" + p;
      case 1:
        return p + "/";
      case 2:
        return "./" + p;
      case 3:
        return p.replaceFirst("/", "//");
      default:
        return p;
    }
  }

  private static int referenceCompare(String a, String b) {
    String[] pa = a.split("/", -1);
    String[] pb = b.split("/", -1);
    for (int i = 0; i < Math.min(pa.length, pb.length); i++) {
      int c;
      if (pa[i].equals(pb[i])) {
        c = 0;
      } else if (pa[i].equals(Whiteouts.OPAQUE)) {
        c = -1;
      } else if (pb[i].equals(Whiteouts.OPAQUE)) {
        c = 1;
      } else {
        c = Arrays.compareUnsigned(
            pa[i].getBytes(StandardCharsets.UTF_8), pb[i].getBytes(StandardCharsets.UTF_8));
      }
      if (c != 0) {
        return c;
      }
    }
    return Integer.compare(pa.length, pb.length);
  }

  private static String referenceProblem(String path) {
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

  private static String referenceClean(String name) {
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
}
