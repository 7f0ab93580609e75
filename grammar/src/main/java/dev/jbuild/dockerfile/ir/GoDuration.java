package dev.jbuild.dockerfile.ir;

import dev.jbuild.dockerfile.internal.GoStrings;
import java.time.Duration;

/**
 * Go's {@code time.ParseDuration} and {@code Duration.String}, which HEALTHCHECK options and
 * image history use: {@code 300ms}, {@code -1.5h}, {@code 2h45m}; units ns, us (µs, μs), ms, s,
 * m, h.
 */
public final class GoDuration {
  private GoDuration() {}

  private static final long NS = 1;
  private static final long US = 1_000;
  private static final long MS = 1_000_000;
  private static final long S = 1_000_000_000;
  private static final long M = 60 * S;
  private static final long H = 60 * M;

  /**
   * Parses a duration.
   *
   * @throws InvalidValueException with Go's message, e.g. {@code time: invalid duration "x"}
   */
  public static Duration parse(String value) {
    String s = value;
    boolean neg = false;
    if (!s.isEmpty() && (s.charAt(0) == '-' || s.charAt(0) == '+')) {
      neg = s.charAt(0) == '-';
      s = s.substring(1);
    }
    if (s.equals("0")) {
      return Duration.ZERO;
    }
    if (s.isEmpty()) {
      throw invalid(value);
    }
    long total = 0;
    int i = 0;
    int n = s.length();
    while (i < n) {
      char c = s.charAt(i);
      if (!(c == '.' || isDigit(c))) {
        throw invalid(value);
      }
      // integer part
      int start = i;
      long v = 0;
      boolean overflow = false;
      while (i < n && isDigit(s.charAt(i))) {
        if (v > (Long.MAX_VALUE - 9) / 10) {
          overflow = true;
        }
        v = v * 10 + (s.charAt(i) - '0');
        i++;
      }
      if (overflow) {
        throw invalid(value);
      }
      boolean pre = i != start;
      // fraction
      long f = 0;
      double scale = 1;
      boolean post = false;
      if (i < n && s.charAt(i) == '.') {
        i++;
        int fs = i;
        boolean fracOverflow = false;
        while (i < n && isDigit(s.charAt(i))) {
          if (!fracOverflow) {
            if (f > (Long.MAX_VALUE - 9) / 10) {
              fracOverflow = true;
            } else {
              f = f * 10 + (s.charAt(i) - '0');
              scale *= 10;
            }
          }
          i++;
        }
        post = i != fs;
      }
      if (!pre && !post) {
        throw invalid(value);
      }
      int us = i;
      while (i < n && s.charAt(i) != '.' && !isDigit(s.charAt(i))) {
        i++;
      }
      if (us == i) {
        throw new InvalidValueException("time: missing unit in duration " + GoStrings.quote(value));
      }
      String u = s.substring(us, i);
      long unit = unit(u);
      if (unit == 0) {
        throw new InvalidValueException(
            "time: unknown unit " + GoStrings.quote(u) + " in duration " + GoStrings.quote(value));
      }
      if (v > Long.MAX_VALUE / unit) {
        throw invalid(value);
      }
      v *= unit;
      if (f > 0) {
        v += (long) ((double) f * ((double) unit / scale));
        if (v < 0) {
          throw invalid(value);
        }
      }
      total += v;
      if (total < 0) {
        throw invalid(value);
      }
    }
    return Duration.ofNanos(neg ? -total : total);
  }

  private static long unit(String u) {
    switch (u) {
      case "ns":
        return NS;
      case "us":
      case "\u00b5s":
      case "\u03bcs":
        return US;
      case "ms":
        return MS;
      case "s":
        return S;
      case "m":
        return M;
      case "h":
        return H;
      default:
        return 0;
    }
  }

  private static boolean isDigit(char c) {
    return c >= '0' && c <= '9';
  }

  private static InvalidValueException invalid(String value) {
    return new InvalidValueException("time: invalid duration " + GoStrings.quote(value));
  }

  /** Formats like Go's {@code Duration.String}: {@code 1h2m3.5s}, {@code 1.5ms}, {@code 0s}. */
  public static String format(Duration d) {
    long nanos = d.toNanos();
    if (nanos == 0) {
      return "0s";
    }
    boolean neg = nanos < 0;
    long u = Math.abs(nanos);
    StringBuilder out = new StringBuilder();
    if (u < S) {
      String unit;
      int prec;
      if (u < US) {
        unit = "ns";
        prec = 0;
      } else if (u < MS) {
        unit = "\u00b5s";
        prec = 3;
      } else {
        unit = "ms";
        prec = 6;
      }
      out.append(withFraction(u, prec)).append(unit);
    } else {
      long secondsPart = u % M;
      long rest = u / M;
      String seconds = withFraction(secondsPart, 9) + "s";
      if (rest > 0) {
        long minutes = rest % 60;
        long hours = rest / 60;
        out.append(hours > 0 ? hours + "h" : "").append(minutes).append('m');
      }
      out.append(seconds);
    }
    return (neg ? "-" : "") + out;
  }

  /** {@code v / 10^prec} with its fraction, trailing zeros dropped. */
  private static String withFraction(long v, int prec) {
    long pow = 1;
    for (int i = 0; i < prec; i++) {
      pow *= 10;
    }
    long whole = v / pow;
    long frac = v % pow;
    if (frac == 0) {
      return Long.toString(whole);
    }
    String f = String.format("%0" + prec + "d", frac).replaceAll("0+$", "");
    return whole + "." + f;
  }
}
