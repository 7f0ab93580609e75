package dev.jbuild.oci;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * An image platform: os, architecture and the optional variant, os.version and os.features.
 * Instances made by {@link #of} and {@link #parse} are normalised as containerd does
 * ({@code x86_64} → {@code amd64}, {@code aarch64} → {@code arm64} with variant {@code v8},
 * {@code arm} → variant {@code v7}); instances read from a document keep what it says and are
 * compared through their normalised form.
 */
public record Platform(
    String os,
    String architecture,
    String variant,
    String osVersion,
    List<String> osFeatures,
    UnknownFields unknown) {

  private static final Set<String> KNOWN =
      Set.of("os", "architecture", "variant", "os.version", "os.features");

  public Platform {
    if (os == null || os.isEmpty()) {
      throw new IllegalArgumentException("platform os is required");
    }
    if (architecture == null || architecture.isEmpty()) {
      throw new IllegalArgumentException("platform architecture is required");
    }
    // not Json's helpers: a build makes its first Platform (the host's) on the main thread
    // while the warm-up thread initialises Json (its ObjectMapper, 40-50 ms), and waiting for
    // that here held up the store, the context and the Dockerfile behind it
    variant = variant == null || variant.isEmpty() ? null : variant;
    osVersion = osVersion == null || osVersion.isEmpty() ? null : osVersion;
    osFeatures = osFeatures == null ? List.of() : List.copyOf(osFeatures);
    unknown = unknown == null ? UnknownFields.none() : unknown;
  }

  /** A normalised platform. */
  public static Platform of(String os, String architecture, String variant) {
    return new Platform(os, architecture, variant, null, List.of(), UnknownFields.none())
        .normalized();
  }

  /**
   * Parses {@code os/arch[/variant]} ({@code linux/arm64/v8}, {@code linux/amd64}); a bare
   * architecture means linux. Throws IllegalArgumentException naming the text and the form.
   */
  public static Platform parse(String text) {
    String t = text == null ? "" : text.trim();
    String[] parts = t.split("/", -1);
    for (String p : parts) {
      if (p.isEmpty() || !p.matches("[A-Za-z0-9_.-]+")) {
        throw new IllegalArgumentException(
            "invalid platform \"" + text + "\": expected os/arch[/variant], e.g. linux/arm64/v8");
      }
    }
    switch (parts.length) {
      case 1:
        // "arm64" alone: containerd treats a known OS as the OS, anything else as an arch
        if (isKnownOs(parts[0])) {
          return of(parts[0], hostArchitecture(), null);
        }
        return of("linux", parts[0], null);
      case 2:
        return of(parts[0], parts[1], null);
      case 3:
        return of(parts[0], parts[1], parts[2]);
      default:
        throw new IllegalArgumentException(
            "invalid platform \"" + text + "\": expected os/arch[/variant], e.g. linux/arm64/v8");
    }
  }

  /** The platform of the running JVM (linux/amd64, linux/arm64/v8 …). */
  public static Platform host() {
    String os = System.getProperty("os.name", "linux").toLowerCase(Locale.ROOT);
    String goOs = os.startsWith("mac") || os.startsWith("darwin") ? "darwin"
        : os.startsWith("windows") ? "windows" : "linux";
    return of(goOs, hostArchitecture(), null);
  }

  private static String hostArchitecture() {
    return normalizeArch(System.getProperty("os.arch", "amd64"), null)[0];
  }

  private static boolean isKnownOs(String s) {
    return Set.of("linux", "windows", "darwin", "freebsd", "netbsd", "openbsd", "solaris",
            "illumos", "aix", "android", "ios", "plan9", "js", "wasip1", "dragonfly")
        .contains(s.toLowerCase(Locale.ROOT));
  }

  /** This platform with os and architecture normalised as containerd's platforms.Normalize. */
  public Platform normalized() {
    String[] av = normalizeArch(architecture, variant);
    return new Platform(os.toLowerCase(Locale.ROOT), av[0], av[1], osVersion, osFeatures, unknown);
  }

  private static String[] normalizeArch(String arch, String variant) {
    String a = arch.toLowerCase(Locale.ROOT);
    String v = variant == null ? null : variant.toLowerCase(Locale.ROOT);
    switch (a) {
      case "i386":
      case "i486":
      case "i586":
      case "i686":
      case "x86":
        return new String[] {"386", null};
      case "x86_64":
      case "x86-64":
      case "amd64":
        return new String[] {"amd64", "v1".equals(v) ? null : v};
      case "aarch64":
      case "arm64":
        // v8 is the only arm64 baseline; "8", "v8.0" and none all mean it
        if (v == null || v.equals("8") || v.equals("v8") || v.equals("v8.0")) {
          v = "v8";
        }
        return new String[] {"arm64", v};
      case "armhf":
        return new String[] {"arm", "v7"};
      case "armel":
        return new String[] {"arm", "v6"};
      case "arm":
        if (v == null || v.equals("7")) {
          v = "v7";
        } else if (v.equals("5") || v.equals("6") || v.equals("8")) {
          v = "v" + v;
        }
        return new String[] {"arm", v};
      default:
        return new String[] {a, v};
    }
  }

  /**
   * Whether an image for {@code candidate} runs on this platform, as containerd's
   * {@code platforms.Only}: same os and architecture, and the candidate's variant equal to or
   * older than ours (arm/v7 runs arm/v6 and arm/v5; amd64/v3 runs amd64/v2 and plain amd64).
   * os.version is not compared (it matters only on Windows).
   */
  public boolean matches(Platform candidate) {
    return rank(candidate) >= 0;
  }

  /**
   * How well {@code candidate} fits: -1 no match; otherwise higher is better (an exact variant
   * beats an older compatible one).
   */
  public int rank(Platform candidate) {
    Platform me = normalized();
    Platform c = candidate.normalized();
    if (!me.os.equals(c.os) || !me.architecture.equals(c.architecture)) {
      return -1;
    }
    String mine = me.variant;
    String theirs = c.variant;
    if (java.util.Objects.equals(mine, theirs)) {
      return 1000;
    }
    int myLevel = variantLevel(me.architecture, mine);
    int theirLevel = variantLevel(c.architecture, theirs);
    if (myLevel < 0 || theirLevel < 0 || theirLevel > myLevel) {
      return -1;
    }
    return theirLevel;
  }

  /** Orders variants of one architecture; -1 for ones that cannot be compared. */
  private static int variantLevel(String arch, String variant) {
    if (arch.equals("amd64")) {
      if (variant == null) {
        return 1;
      }
      return variant.matches("v[1-4]") ? variant.charAt(1) - '0' : -1;
    }
    if (arch.equals("arm")) {
      return variant != null && variant.matches("v[5-8]") ? variant.charAt(1) - '0' : -1;
    }
    if (arch.equals("arm64")) {
      // v8, v8.1 … v9.x: the minor versions only add instructions
      if (variant == null) {
        return 80;
      }
      java.util.regex.Matcher m = java.util.regex.Pattern.compile("v([89])(?:\\.(\\d))?")
          .matcher(variant);
      return m.matches() ? Integer.parseInt(m.group(1)) * 10
          + (m.group(2) == null ? 0 : Integer.parseInt(m.group(2))) : -1;
    }
    return -1;
  }

  /** {@code os/arch[/variant]}, the form {@code --platform} takes. */
  @Override
  public String toString() {
    return os + "/" + architecture + (variant == null ? "" : "/" + variant);
  }

  static Platform fromJson(JsonNode n, String where) {
    String w = where + " platform";
    return new Platform(
        Json.requiredString(n, "os", w),
        Json.requiredString(n, "architecture", w),
        Json.string(n, "variant", w),
        Json.string(n, "os.version", w),
        Json.stringList(n, "os.features", w),
        UnknownFields.from(n, KNOWN));
  }

  void write(Json.Out out) throws IOException {
    // specs-go field order: architecture, os, os.version, os.features, variant
    out.startObject();
    out.string("architecture", architecture);
    out.string("os", os);
    out.stringOmitEmpty("os.version", osVersion);
    out.stringListOmitEmpty("os.features", osFeatures);
    out.stringOmitEmpty("variant", variant);
    out.unknown(unknown);
    out.endObject();
  }
}
