package dev.jbuild.dockerfile.ir;

import java.util.Locale;
import java.util.Optional;

/** {@code RUN --security}: {@code sandbox} (the default) or {@code insecure} (privileged). */
public enum SecurityMode {
  SANDBOX,
  INSECURE;

  /** The value as written in a Dockerfile. */
  public String value() {
    return name().toLowerCase(Locale.ROOT);
  }

  /** The mode for an exact (case-sensitive, like BuildKit) value. */
  public static Optional<SecurityMode> of(String value) {
    for (SecurityMode m : values()) {
      if (m.value().equals(value)) {
        return Optional.of(m);
      }
    }
    return Optional.empty();
  }
}
