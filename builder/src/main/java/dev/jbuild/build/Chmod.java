package dev.jbuild.build;

import java.util.ArrayList;
import java.util.List;

/**
 * A {@code --chmod} value: octal {@code 0}–{@code 07777}, or a symbolic chmod(1) expression
 * ({@code +x}, {@code u=rwX,go=rX}, {@code g=u}) applied to each entry's own mode, as BuildKit
 * does with {@code dchapes-mode}.
 */
final class Chmod {

  private final int octal;
  private final List<String> clauses;

  private Chmod(int octal, List<String> clauses) {
    this.octal = octal;
    this.clauses = clauses;
  }

  /**
   * Parses a value.
   *
   * @throws IllegalArgumentException with BuildKit's message
   */
  static Chmod parse(String text) {
    if (!text.isEmpty() && text.chars().allMatch(c -> c >= '0' && c <= '7')) {
      if (text.length() <= 5) {
        int v = Integer.parseInt(text, 8);
        if (v <= 07777) {
          return new Chmod(v, null);
        }
      }
      throw invalid(text);
    }
    List<String> clauses = new ArrayList<>();
    for (String clause : text.split(",", -1)) {
      if (!clause.matches("[ugoa]*([-+=]([rwxXst]*|[ugo]))+")) {
        throw invalid(text);
      }
      clauses.add(clause);
    }
    return new Chmod(-1, clauses);
  }

  private static IllegalArgumentException invalid(String text) {
    return new IllegalArgumentException(
        "invalid chmod parameter: '" + text + "'. it should be octal string and between 0 and"
            + " 07777");
  }

  /** The mode for an entry whose own mode is {@code mode}. */
  int apply(int mode, boolean directory) {
    if (clauses == null) {
      return octal;
    }
    int m = mode & 07777;
    for (String clause : clauses) {
      int i = 0;
      int who = 0;
      while (i < clause.length() && "ugoa".indexOf(clause.charAt(i)) >= 0) {
        switch (clause.charAt(i++)) {
          case 'u':
            who |= 04700;
            break;
          case 'g':
            who |= 02070;
            break;
          case 'o':
            who |= 01007;
            break;
          default:
            who |= 07777;
        }
      }
      boolean all = who == 0;
      if (all) {
        // no who: like a, limited by the umask in chmod(1); BuildKit applies no umask
        who = 07777;
      }
      while (i < clause.length()) {
        char op = clause.charAt(i++);
        int bits = 0;
        int start = i;
        while (i < clause.length() && "rwxXstugo".indexOf(clause.charAt(i)) >= 0) {
          i++;
        }
        String perms = clause.substring(start, i);
        for (char c : perms.toCharArray()) {
          switch (c) {
            case 'r':
              bits |= 0444;
              break;
            case 'w':
              bits |= 0222;
              break;
            case 'x':
              bits |= 0111;
              break;
            case 'X':
              if (directory || (m & 0111) != 0) {
                bits |= 0111;
              }
              break;
            case 's':
              bits |= 06000;
              break;
            case 't':
              bits |= 01000;
              break;
            case 'u':
              bits |= copy((m >> 6) & 7);
              break;
            case 'g':
              bits |= copy((m >> 3) & 7);
              break;
            default:
              bits |= copy(m & 7);
          }
        }
        bits &= who;
        switch (op) {
          case '+':
            m |= bits;
            break;
          case '-':
            m &= ~bits;
            break;
          default:
            m = (m & ~(who & 07777 & ~(all ? 0 : 0))) | bits;
        }
      }
    }
    return m;
  }

  /** rwx bits repeated for user, group and other. */
  private static int copy(int rwx) {
    return (rwx << 6) | (rwx << 3) | rwx;
  }
}
