package dev.jbuild.build.cli;

import dev.jbuild.build.registry.RegistryOptions;
import dev.jbuild.cache.JbuildRoot;
import dev.jbuild.oci.Platform;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import picocli.CommandLine;
import picocli.CommandLine.Option;

/**
 * Options every image command accepts ({@code jbuild pull --root D x}), with the same names and
 * meaning as {@code jbuild build}'s: where the local state lives and how registries are reached.
 */
public final class GlobalOptions {

  @Option(
      names = "--root",
      paramLabel = "DIR",
      description = "Local state (image store, cache); default $JBUILD_ROOT, else $XDG_CACHE_HOME/jbuild or ~/.cache/jbuild.")
  String root;

  @Option(
      names = "--registry-mirror",
      paramLabel = "REGISTRY=HOST[:PORT]",
      description = "Pull REGISTRY's images from HOST first (repeatable); a bare HOST mirrors docker.io.")
  List<String> mirrors = new ArrayList<>();

  @Option(
      names = "--insecure-registry",
      paramLabel = "HOST[:PORT]",
      description = "Allow plain HTTP and unverified TLS for this registry (repeatable).")
  List<String> insecure = new ArrayList<>();

  @Option(
      names = "--platform",
      paramLabel = "OS/ARCH[/VARIANT]",
      description = "The platform to pull or export from a multi-platform image; default: this machine's.")
  String platform;

  /** The root from {@code --root}, {@code JBUILD_ROOT} or the XDG default. */
  JbuildRoot root() {
    return JbuildRoot.resolve(root, System.getenv(), System.getProperty("user.home"));
  }

  /** The platform asked for, or the host's. */
  Platform platform(CommandLine cli) {
    if (platform == null || platform.isBlank()) {
      return Platform.host();
    }
    try {
      return Platform.parse(platform);
    } catch (IllegalArgumentException e) {
      throw new CommandLine.ParameterException(cli, "--platform: " + e.getMessage());
    }
  }

  /** Registry options from the flags and the user's environment. */
  RegistryOptions registryOptions(CommandLine cli) {
    Map<String, List<String>> byRegistry = new LinkedHashMap<>();
    for (String m : mirrors) {
      Map.Entry<String, String> entry;
      try {
        entry = RegistryOptions.parseMirror(m);
      } catch (IllegalArgumentException e) {
        throw new CommandLine.ParameterException(cli, e.getMessage());
      }
      byRegistry.computeIfAbsent(entry.getKey(), k -> new ArrayList<>()).add(entry.getValue());
    }
    Set<String> hosts = new LinkedHashSet<>();
    for (String h : insecure) {
      String host = h.trim().toLowerCase(java.util.Locale.ROOT);
      if (host.isEmpty() || host.contains("/")) {
        throw new CommandLine.ParameterException(
            cli, "--insecure-registry \"" + h + "\": expected HOST or HOST:PORT");
      }
      hosts.add(host);
    }
    return RegistryOptions.defaults().withMirrors(byRegistry).withInsecure(hosts);
  }
}
