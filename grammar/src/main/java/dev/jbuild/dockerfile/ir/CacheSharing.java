package dev.jbuild.dockerfile.ir;

import java.util.Locale;
import java.util.Optional;

/** {@code sharing=} of a cache mount: {@code shared} (default), {@code private}, {@code locked}. */
public enum CacheSharing {
  SHARED,
  PRIVATE,
  LOCKED;

  /** The value as written in a Dockerfile. */
  public String value() {
    return name().toLowerCase(Locale.ROOT);
  }

  /** The mode for a value, ignoring case. */
  public static Optional<CacheSharing> of(String value) {
    String v = value.toLowerCase(Locale.ROOT);
    for (CacheSharing s : values()) {
      if (s.value().equals(v)) {
        return Optional.of(s);
      }
    }
    return Optional.empty();
  }
}
