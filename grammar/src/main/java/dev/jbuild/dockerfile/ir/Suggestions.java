package dev.jbuild.dockerfile.ir;

import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * "Did you mean" hints the way BuildKit's {@code suggest.WrapError} makes them: the option with
 * the smallest Levenshtein distance below 3 wins; an exact match means the error is unrelated to
 * the value, so no hint. Case-insensitive matching returns the option in the case style of the
 * value (all lower, all upper, or as listed).
 */
public final class Suggestions {
  private Suggestions() {}

  /** The closest option, if one is close enough. */
  public static Optional<String> closest(String value, List<String> options, boolean caseSensitive) {
    String val = caseSensitive ? value : value.toLowerCase(Locale.ROOT);
    String match = null;
    int best = 3;
    for (String option : options) {
      String opt = caseSensitive ? option : option.toLowerCase(Locale.ROOT);
      if (val.equals(opt)) {
        return Optional.empty();
      }
      int d = distance(val, opt);
      if (d < best) {
        best = d;
        match = caseSensitive ? opt : matchCase(opt, value);
      }
    }
    return Optional.ofNullable(match);
  }

  /** {@code message} plus {@code " (did you mean X?)"} when an option is close. */
  public static String wrap(String message, String value, List<String> options, boolean caseSensitive) {
    return closest(value, options, caseSensitive)
        .map(m -> message + " (did you mean " + m + "?)")
        .orElse(message);
  }

  private static String matchCase(String option, String original) {
    if (original.equals(original.toLowerCase(Locale.ROOT))) {
      return option.toLowerCase(Locale.ROOT);
    }
    if (original.equals(original.toUpperCase(Locale.ROOT))) {
      return option.toUpperCase(Locale.ROOT);
    }
    return option;
  }

  /** Levenshtein distance, unit costs, over code points. */
  static int distance(String a, String b) {
    int[] x = a.codePoints().toArray();
    int[] y = b.codePoints().toArray();
    int[] prev = new int[y.length + 1];
    int[] cur = new int[y.length + 1];
    for (int j = 0; j <= y.length; j++) {
      prev[j] = j;
    }
    for (int i = 1; i <= x.length; i++) {
      cur[0] = i;
      for (int j = 1; j <= y.length; j++) {
        int cost = x[i - 1] == y[j - 1] ? 0 : 1;
        cur[j] = Math.min(Math.min(cur[j - 1] + 1, prev[j] + 1), prev[j - 1] + cost);
      }
      int[] t = prev;
      prev = cur;
      cur = t;
    }
    return prev[y.length];
  }
}
