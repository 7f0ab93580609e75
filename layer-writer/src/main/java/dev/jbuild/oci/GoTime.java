package dev.jbuild.oci;

import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;

/** Timestamps as Go's {@code time.Time} marshals them: RFC 3339 with trimmed nanoseconds. */
final class GoTime {
  private static final DateTimeFormatter SECONDS =
      DateTimeFormatter.ofPattern("uuuu-MM-dd'T'HH:mm:ss").withZone(ZoneOffset.UTC);

  private GoTime() {}

  static String format(Instant t) {
    StringBuilder s = new StringBuilder(SECONDS.format(t));
    int nanos = t.getNano();
    if (nanos != 0) {
      String frac = String.format("%09d", nanos);
      int end = frac.length();
      while (frac.charAt(end - 1) == '0') {
        end--;
      }
      s.append('.').append(frac, 0, end);
    }
    return s.append('Z').toString();
  }

  static Instant parse(String text, String where) {
    try {
      return OffsetDateTime.parse(text).toInstant();
    } catch (DateTimeParseException e) {
      throw new InvalidDocumentException(where + ": \"" + text + "\" is not an RFC 3339 time");
    }
  }
}
