package dev.jbuild.dockerfile.ir;

import java.util.Locale;
import java.util.Optional;

/** {@code RUN --network}: {@code default}, {@code none} (loopback only) or {@code host}. */
public enum NetworkMode {
  DEFAULT,
  NONE,
  HOST;

  /** The value as written in a Dockerfile. */
  public String value() {
    return name().toLowerCase(Locale.ROOT);
  }

  /** The mode for an exact (case-sensitive, like BuildKit) value. */
  public static Optional<NetworkMode> of(String value) {
    for (NetworkMode m : values()) {
      if (m.value().equals(value)) {
        return Optional.of(m);
      }
    }
    return Optional.empty();
  }
}
