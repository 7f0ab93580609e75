package dev.jbuild.dockerfile.lint;

import dev.jbuild.dockerfile.internal.GoStrings;
import dev.jbuild.dockerfile.shell.Platform;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Reads a {@code --platform} value the way containerd's {@code platforms.Parse} does, enough to
 * tell its OS and architecture: {@code os}, {@code arch}, {@code os/arch[/variant]}, with the
 * usual aliases ({@code x86_64} is {@code amd64}, {@code aarch64} is {@code arm64}).
 */
final class PlatformText {

  private static final Set<String> KNOWN_OS =
      Set.of("aix", "android", "darwin", "dragonfly", "freebsd", "hurd", "illumos", "ios", "js", "linux",
          "nacl", "netbsd", "openbsd", "plan9", "solaris", "wasip1", "windows", "zos");
  private static final Set<String> KNOWN_ARCH =
      Set.of("386", "amd64", "amd64p32", "arm", "armbe", "arm64", "arm64be", "ppc64", "ppc64le",
          "loong64", "mips", "mipsle", "mips64", "mips64le", "mips64p32", "mips64p32le", "ppc",
          "riscv", "riscv64", "s390", "s390x", "sparc", "sparc64", "wasm");
  private static final Pattern COMPONENT = Pattern.compile("^[A-Za-z0-9_.-]+$");

  private PlatformText() {}

  /** The platform, or empty when containerd would reject the text. */
  static Optional<Platform> parse(String text, Platform host) {
    return problem(text).isPresent() ? Optional.empty() : parseValid(text, host);
  }

  /**
   * Why containerd's {@code platforms.Parse} rejects {@code text}, in its words, or empty when
   * it accepts it.
   */
  static Optional<String> problem(String text) {
    if (text.contains("*")) {
      return Optional.of(GoStrings.quote(text) + ": wildcards not yet supported: invalid argument");
    }
    String[] parts = text.split("/", -1);
    String osPart = parts[0];
    int paren = osPart.indexOf('(');
    if (paren >= 0 && osPart.endsWith(")")) {
      osPart = osPart.substring(0, paren);
    }
    for (int i = 0; i < parts.length; i++) {
      String c = i == 0 ? osPart : parts[i];
      if (!COMPONENT.matcher(c).matches()) {
        return Optional.of(
            GoStrings.quote(c) + " is an invalid component of " + GoStrings.quote(text)
                + ": platform specifier component must match \"^[A-Za-z0-9_.-]+$\": invalid argument");
      }
    }
    if (parts.length > 3) {
      return Optional.of(GoStrings.quote(text) + ": cannot parse platform specifier: invalid argument");
    }
    if (parts.length == 1
        && !KNOWN_OS.contains(normalizeOs(osPart))
        && !KNOWN_ARCH.contains(normalizeArch(osPart))) {
      return Optional.of(
          GoStrings.quote(text) + ": unknown operating system or architecture: invalid argument");
    }
    return Optional.empty();
  }

  private static Optional<Platform> parseValid(String text, Platform host) {
    if (text.contains("*")) {
      return Optional.empty();
    }
    String[] parts = text.split("/", -1);
    if (parts.length > 3) {
      return Optional.empty();
    }
    String osPart = parts[0];
    int paren = osPart.indexOf('(');
    if (paren >= 0 && osPart.endsWith(")")) {
      osPart = osPart.substring(0, paren);
    }
    for (int i = 1; i < parts.length; i++) {
      if (!COMPONENT.matcher(parts[i]).matches()) {
        return Optional.empty();
      }
    }
    if (!COMPONENT.matcher(osPart).matches()) {
      return Optional.empty();
    }
    if (parts.length == 1) {
      String os = normalizeOs(osPart);
      if (KNOWN_OS.contains(os)) {
        return Optional.of(new Platform(os, host.architecture(), host.variant(), ""));
      }
      String arch = normalizeArch(osPart);
      if (KNOWN_ARCH.contains(arch)) {
        return Optional.of(new Platform(host.os(), arch, "", ""));
      }
      return Optional.empty();
    }
    return Optional.of(
        new Platform(normalizeOs(osPart), normalizeArch(parts[1]), parts.length == 3 ? parts[2] : "", ""));
  }

  private static String normalizeOs(String os) {
    String lower = os.toLowerCase(Locale.ROOT);
    return lower.equals("macos") ? "darwin" : lower;
  }

  private static String normalizeArch(String arch) {
    String lower = arch.toLowerCase(Locale.ROOT);
    switch (lower) {
      case "i386":
        return "386";
      case "x86_64":
      case "x86-64":
      case "amd64":
        return "amd64";
      case "aarch64":
      case "arm64":
        return "arm64";
      case "armhf":
      case "armel":
        return "arm";
      default:
        return lower;
    }
  }
}
