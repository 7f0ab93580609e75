package dev.jbuild.oci;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.Set;

/**
 * The {@code Healthcheck} of an image config, as HEALTHCHECK sets it. {@code test} is
 * {@code ["NONE"]}, {@code ["CMD", args…]} or {@code ["CMD-SHELL", command]}; durations are
 * written as Go {@code time.Duration}, integer nanoseconds; zero means "inherit the default".
 */
public record Healthcheck(
    List<String> test,
    Duration interval,
    Duration timeout,
    Duration startPeriod,
    Duration startInterval,
    int retries,
    UnknownFields unknown) {

  private static final Set<String> KNOWN =
      Set.of("Test", "Interval", "Timeout", "StartPeriod", "StartInterval", "Retries");

  public Healthcheck {
    test = Json.copy(test);
    interval = interval == null ? Duration.ZERO : interval;
    timeout = timeout == null ? Duration.ZERO : timeout;
    startPeriod = startPeriod == null ? Duration.ZERO : startPeriod;
    startInterval = startInterval == null ? Duration.ZERO : startInterval;
    unknown = unknown == null ? UnknownFields.none() : unknown;
  }

  static Healthcheck fromJson(JsonNode n, String where) {
    String w = where + " Healthcheck";
    long retries = Json.longValue(n, "Retries", w, 0);
    if (retries < Integer.MIN_VALUE || retries > Integer.MAX_VALUE) {
      throw new InvalidDocumentException(w + ": \"Retries\" is out of range");
    }
    return new Healthcheck(
        Json.stringList(n, "Test", w),
        Duration.ofNanos(Json.longValue(n, "Interval", w, 0)),
        Duration.ofNanos(Json.longValue(n, "Timeout", w, 0)),
        Duration.ofNanos(Json.longValue(n, "StartPeriod", w, 0)),
        Duration.ofNanos(Json.longValue(n, "StartInterval", w, 0)),
        (int) retries,
        UnknownFields.from(n, KNOWN));
  }

  void write(Json.Out out) throws IOException {
    out.startObject();
    out.stringListOmitEmpty("Test", test);
    out.numberOmitEmpty("Interval", interval.toNanos());
    out.numberOmitEmpty("Timeout", timeout.toNanos());
    out.numberOmitEmpty("StartPeriod", startPeriod.toNanos());
    out.numberOmitEmpty("StartInterval", startInterval.toNanos());
    out.numberOmitEmpty("Retries", retries);
    out.unknown(unknown);
    out.endObject();
  }
}
