package dev.jbuild.dockerfile.ir;

import java.util.Locale;
import java.util.Optional;

/** The {@code type=} of a {@code RUN --mount}. {@link #BIND} is the default. */
public enum MountType {
  BIND,
  CACHE,
  TMPFS,
  SECRET,
  SSH;

  /** The value as written in a Dockerfile. */
  public String value() {
    return name().toLowerCase(Locale.ROOT);
  }

  /** The type for a value, ignoring case. */
  public static Optional<MountType> of(String value) {
    String v = value.toLowerCase(Locale.ROOT);
    for (MountType t : values()) {
      if (t.value().equals(v)) {
        return Optional.of(t);
      }
    }
    return Optional.empty();
  }

  /** Whether {@code mode}, {@code uid} and {@code gid} are allowed. */
  public boolean allowsFileInfo() {
    return this == SECRET || this == SSH || this == CACHE;
  }

  /** Read-only unless {@code rw} is given: everything but cache and tmpfs. */
  public boolean readOnlyByDefault() {
    return this != CACHE && this != TMPFS;
  }
}
