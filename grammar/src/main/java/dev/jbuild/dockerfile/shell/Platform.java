package dev.jbuild.dockerfile.shell;

import java.util.Objects;

/**
 * An OCI platform as the predefined build args describe it ({@code BUILDPLATFORM}, {@code
 * TARGETOS}, …). Plain strings; empty means absent.
 *
 * @param os e.g. {@code linux}
 * @param architecture e.g. {@code amd64}, {@code arm64}
 * @param variant e.g. {@code v7}, or empty
 * @param osVersion e.g. {@code 10.0.17763.1} on Windows, usually empty
 */
public record Platform(String os, String architecture, String variant, String osVersion) {

  public Platform {
    Objects.requireNonNull(os, "os");
    Objects.requireNonNull(architecture, "architecture");
    Objects.requireNonNull(variant, "variant");
    Objects.requireNonNull(osVersion, "osVersion");
  }

  public static Platform of(String os, String architecture) {
    return new Platform(os, architecture, "", "");
  }

  /**
   * Reads {@code os/arch[/variant]}.
   *
   * @throws IllegalArgumentException when the text is not of that shape
   */
  public static Platform parse(String text) {
    String[] parts = text.split("/", -1);
    if (parts.length < 2 || parts.length > 3) {
      throw new IllegalArgumentException(
          "\"" + text + "\" is not a platform: expected os/arch[/variant], e.g. linux/arm64");
    }
    for (String p : parts) {
      if (p.isEmpty()) {
        throw new IllegalArgumentException(
            "\"" + text + "\" is not a platform: expected os/arch[/variant], e.g. linux/arm64");
      }
    }
    return new Platform(parts[0], parts[1], parts.length == 3 ? parts[2] : "", "");
  }

  /** {@code os/arch[/variant]} (containerd's {@code platforms.Format}). */
  public String format() {
    if (os.isEmpty()) {
      return "unknown";
    }
    return join(os);
  }

  /** Like {@link #format()} with the OS version: {@code windows(10.0.1)/amd64}. */
  public String formatAll() {
    if (os.isEmpty()) {
      return "unknown";
    }
    return join(osVersion.isEmpty() ? os : os + "(" + osVersion + ")");
  }

  private String join(String first) {
    StringBuilder out = new StringBuilder(first);
    if (!architecture.isEmpty()) {
      out.append('/').append(architecture);
    }
    if (!variant.isEmpty()) {
      out.append('/').append(variant);
    }
    return out.toString();
  }

  @Override
  public String toString() {
    return formatAll();
  }
}
