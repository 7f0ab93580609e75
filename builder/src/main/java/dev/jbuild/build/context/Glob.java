package dev.jbuild.build.context;

/**
 * Go's {@code filepath.Match} on Unix, the wildcard language of COPY/ADD sources and the
 * syntax check of {@code .dockerignore} patterns: {@code *} (any run of non-slash
 * characters), {@code ?} (one non-slash character), {@code [...]} classes with ranges and
 * {@code ^} negation, {@code \} escaping the next character. Works on code points, as Go
 * decodes runes for {@code ?} and classes.
 */
public final class Glob {

  private static final int[] EMPTY = new int[0];

  private Glob() {}

  /**
   * Whether {@code name} matches {@code pattern} in full.
   *
   * @throws BadPatternException when the pattern is malformed (Go reports that even when the
   *     match fails early, and so do we)
   */
  public static boolean matches(String pattern, String name) {
    int[] p = pattern.codePoints().toArray();
    int[] s = name.codePoints().toArray();
    int pi = 0;
    int si = 0;
    chunks:
    while (pi < p.length) {
      boolean star = false;
      while (pi < p.length && p[pi] == '*') {
        pi++;
        star = true;
      }
      int chunkStart = pi;
      int chunkEnd = chunkEnd(p, pi);
      pi = chunkEnd;
      if (star && chunkStart == chunkEnd) {
        // A trailing star matches the rest of the name unless it crosses a separator.
        for (int k = si; k < s.length; k++) {
          if (s[k] == '/') {
            return false;
          }
        }
        return true;
      }
      int t = matchChunk(p, chunkStart, chunkEnd, pattern, s, si);
      // The last chunk must consume the whole name, else a star may still find a match.
      if (t >= 0 && (t == s.length || pi < p.length)) {
        si = t;
        continue;
      }
      if (star) {
        for (int k = si; k < s.length && s[k] != '/'; k++) {
          int t2 = matchChunk(p, chunkStart, chunkEnd, pattern, s, k + 1);
          if (t2 >= 0) {
            if (pi == p.length && t2 < s.length) {
              continue;
            }
            si = t2;
            continue chunks;
          }
        }
      }
      // A failed match still reports a malformed remainder of the pattern.
      while (pi < p.length) {
        while (pi < p.length && p[pi] == '*') {
          pi++;
        }
        int start = pi;
        pi = chunkEnd(p, pi);
        matchChunk(p, start, pi, pattern, EMPTY, 0);
      }
      return false;
    }
    return si == s.length;
  }

  /** Throws {@link BadPatternException} if {@code pattern} is malformed. */
  public static void validate(String pattern) {
    matches(pattern, ".");
  }

  /**
   * Whether a path segment holds an unescaped {@code *}, {@code ?} or {@code [} (fsutil's
   * {@code containsWildcards}); a segment without one is used literally, escapes included.
   */
  public static boolean hasWildcards(String segment) {
    for (int i = 0; i < segment.length(); i++) {
      char c = segment.charAt(i);
      if (c == '\\') {
        i++;
      } else if (c == '*' || c == '?' || c == '[') {
        return true;
      }
    }
    return false;
  }

  /** End of the chunk starting at {@code from}: the next star outside a class. */
  private static int chunkEnd(int[] p, int from) {
    boolean inRange = false;
    int i = from;
    for (; i < p.length; i++) {
      int c = p[i];
      if (c == '\\') {
        if (i + 1 < p.length) {
          i++;
        }
      } else if (c == '[') {
        inRange = true;
      } else if (c == ']') {
        inRange = false;
      } else if (c == '*' && !inRange) {
        break;
      }
    }
    return i;
  }

  /**
   * Matches one star-free chunk at the start of {@code s[si..]}. Returns the index after the
   * matched part, or -1. Keeps parsing after a mismatch so that a malformed chunk is always
   * reported.
   */
  private static int matchChunk(int[] p, int cs, int ce, String pattern, int[] s, int si) {
    boolean failed = false;
    int ci = cs;
    while (ci < ce) {
      if (!failed && si >= s.length) {
        failed = true;
      }
      int c = p[ci];
      if (c == '[') {
        int r = 0;
        if (!failed) {
          r = s[si++];
        }
        ci++;
        boolean negated = false;
        if (ci < ce && p[ci] == '^') {
          negated = true;
          ci++;
        }
        boolean match = false;
        int ranges = 0;
        while (true) {
          if (ci < ce && p[ci] == ']' && ranges > 0) {
            ci++;
            break;
          }
          long lo = escaped(p, ci, ce, pattern);
          ci = (int) (lo >>> 32);
          int hiCp = (int) lo;
          int loCp = hiCp;
          if (p[ci] == '-') {
            long hi = escaped(p, ci + 1, ce, pattern);
            ci = (int) (hi >>> 32);
            hiCp = (int) hi;
          }
          if (loCp <= r && r <= hiCp) {
            match = true;
          }
          ranges++;
        }
        if (match == negated) {
          failed = true;
        }
      } else if (c == '?') {
        if (!failed) {
          if (s[si] == '/') {
            failed = true;
          }
          si++;
        }
        ci++;
      } else {
        if (c == '\\') {
          ci++;
          if (ci >= ce) {
            throw BadPatternException.syntax(pattern);
          }
          c = p[ci];
        }
        if (!failed) {
          if (c != s[si]) {
            failed = true;
          }
          si++;
        }
        ci++;
      }
    }
    return failed ? -1 : si;
  }

  /**
   * One possibly escaped class character at {@code ci}: Go's {@code getEsc}. Returns the
   * next index in the high 32 bits and the code point in the low 32 bits.
   */
  private static long escaped(int[] p, int ci, int ce, String pattern) {
    if (ci >= ce || p[ci] == '-' || p[ci] == ']') {
      throw BadPatternException.syntax(pattern);
    }
    if (p[ci] == '\\') {
      ci++;
      if (ci >= ce) {
        throw BadPatternException.syntax(pattern);
      }
    }
    int r = p[ci];
    ci++;
    if (ci >= ce) {
      // a class must be closed within its chunk
      throw BadPatternException.syntax(pattern);
    }
    return ((long) ci << 32) | (r & 0xffffffffL);
  }
}
