package dev.jbuild.oci;

import java.time.Instant;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;

/**
 * Timestamps as Go's {@code time.Time} marshals them: RFC 3339 with trimmed nanoseconds.
 *
 * <p>Written digit by digit, not with a {@link DateTimeFormatter} and {@code String.format}:
 * the first image config a build writes (its last step, on the critical path) paid 10-20 ms to
 * build the formatter and 30-40 ms to initialise {@link java.util.Formatter} and the locale's
 * number symbols for nine digits of nanoseconds. Years outside 0-9999 keep the formatter, which
 * signs them.
 */
final class GoTime {

  private GoTime() {}

  /** The formatter of the years that four digits do not hold, made when first needed. */
  private static final class Wide {
    static final DateTimeFormatter SECONDS =
        DateTimeFormatter.ofPattern("uuuu-MM-dd'T'HH:mm:ss").withZone(ZoneOffset.UTC);
  }

  static String format(Instant t) {
    StringBuilder s = new StringBuilder(32);
    LocalDateTime d = LocalDateTime.ofEpochSecond(t.getEpochSecond(), 0, ZoneOffset.UTC);
    if (d.getYear() < 0 || d.getYear() > 9999) {
      s.append(Wide.SECONDS.format(t));
    } else {
      digits(s, d.getYear(), 4).append('-');
      digits(s, d.getMonthValue(), 2).append('-');
      digits(s, d.getDayOfMonth(), 2).append('T');
      digits(s, d.getHour(), 2).append(':');
      digits(s, d.getMinute(), 2).append(':');
      digits(s, d.getSecond(), 2);
    }
    int nanos = t.getNano();
    if (nanos != 0) {
      int digits = 9;
      while (nanos % 10 == 0) {
        nanos /= 10;
        digits--;
      }
      digits(s.append('.'), nanos, digits);
    }
    return s.append('Z').toString();
  }

  /** {@code value} (not negative) in {@code width} digits, zeros in front. */
  private static StringBuilder digits(StringBuilder s, int value, int width) {
    String v = Integer.toString(value);
    for (int i = v.length(); i < width; i++) {
      s.append('0');
    }
    return s.append(v);
  }

  static Instant parse(String text, String where) {
    try {
      return OffsetDateTime.parse(text).toInstant();
    } catch (DateTimeParseException e) {
      throw new InvalidDocumentException(where + ": \"" + text + "\" is not an RFC 3339 time");
    }
  }
}
