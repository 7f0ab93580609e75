package dev.jbuild.maven;

import java.time.DateTimeException;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.Optional;
import org.apache.maven.plugin.MojoFailureException;

/**
 * Maven's {@code project.build.outputTimestamp} read as the Maven archiver reads it: whole
 * seconds since 1970, or an ISO-8601 date and time with an offset ({@code
 * 2024-01-01T00:00:00Z}); a value of one character (the archetypes' {@code 1}, or {@code a}) turns
 * reproducible timestamps off.
 */
final class OutputTimestamp {

  private OutputTimestamp() {}

  static Optional<Instant> parse(String value) throws MojoFailureException {
    if (value == null) {
      return Optional.empty();
    }
    String v = value.trim();
    if (v.length() < 2) {
      return Optional.empty();
    }
    try {
      if (v.chars().allMatch(Character::isDigit)) {
        return Optional.of(Instant.ofEpochSecond(Long.parseLong(v)));
      }
      return Optional.of(OffsetDateTime.parse(v).toInstant());
    } catch (DateTimeException | NumberFormatException e) {
      throw new MojoFailureException(
          "invalid project.build.outputTimestamp \"" + v + "\": use an ISO-8601 time with an"
              + " offset such as 2024-01-01T00:00:00Z, or whole seconds since 1970");
    }
  }
}
