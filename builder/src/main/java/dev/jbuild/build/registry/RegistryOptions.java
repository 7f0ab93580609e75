package dev.jbuild.build.registry;

import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * How registries are reached.
 *
 * @param mirrors registry (as in references, e.g. {@code docker.io}) to mirror hosts tried first
 *     for pulls; the registry itself is the fallback
 * @param insecure registries that may be reached over plain HTTP or unverified TLS: {@code host}
 *     (any port) or {@code host:port}; {@code *} means every registry (the Maven plugin's {@code
 *     allowInsecureRegistries}, as Jib has it)
 * @param credentials where credentials are looked up
 * @param retry the retry policy for transient failures
 * @param parallelism how many blobs move at once
 */
public record RegistryOptions(
    Map<String, List<String>> mirrors,
    Set<String> insecure,
    Credentials credentials,
    RetryPolicy retry,
    int parallelism) {

  /** In {@link #insecure()}: every registry. */
  public static final String ANY = "*";

  public RegistryOptions {
    mirrors = Map.copyOf(mirrors);
    insecure = Set.copyOf(insecure);
    if (parallelism < 1) {
      throw new IllegalArgumentException("parallelism must be at least 1");
    }
  }

  /** No mirrors, no insecure registries, the user's credential files, default retries. */
  public static RegistryOptions defaults() {
    return new RegistryOptions(
        Map.of(),
        Set.of(),
        Credentials.fromEnvironment(System.getenv(), Path.of(System.getProperty("user.home"))),
        RetryPolicy.DEFAULT,
        4);
  }

  public RegistryOptions withMirrors(Map<String, List<String>> newMirrors) {
    return new RegistryOptions(newMirrors, insecure, credentials, retry, parallelism);
  }

  public RegistryOptions withInsecure(Set<String> newInsecure) {
    return new RegistryOptions(mirrors, newInsecure, credentials, retry, parallelism);
  }

  public RegistryOptions withCredentials(Credentials newCredentials) {
    return new RegistryOptions(mirrors, insecure, newCredentials, retry, parallelism);
  }

  public RegistryOptions withRetry(RetryPolicy newRetry) {
    return new RegistryOptions(mirrors, insecure, credentials, newRetry, parallelism);
  }

  /** True when the user allowed plain HTTP and unverified TLS for this registry. */
  public boolean isInsecure(String registry) {
    String lower = registry.toLowerCase(Locale.ROOT);
    return insecure.contains(ANY) || insecure.contains(lower) || insecure.contains(hostOf(lower));
  }

  /**
   * True for registries Docker lets use plain HTTP without being told: localhost and the
   * loopback addresses, any port. TLS is still verified when they speak it.
   */
  public static boolean isLoopback(String registry) {
    String host = hostOf(registry.toLowerCase(Locale.ROOT));
    return host.equals("localhost") || host.equals("127.0.0.1") || host.equals("[::1]");
  }

  /**
   * Parses {@code --registry-mirror REGISTRY=HOST[:PORT]}; a bare {@code HOST} mirrors Docker
   * Hub, as docker's {@code registry-mirrors} does.
   */
  public static Map.Entry<String, String> parseMirror(String text) {
    int eq = text.indexOf('=');
    String registry = eq < 0 ? ImageReference.DOCKER_HUB : text.substring(0, eq).trim();
    String mirror = (eq < 0 ? text : text.substring(eq + 1)).trim();
    mirror = stripScheme(mirror);
    if (registry.isEmpty() || mirror.isEmpty() || mirror.contains("/")) {
      throw new IllegalArgumentException(
          "--registry-mirror \"" + text + "\": expected REGISTRY=HOST[:PORT], e.g."
              + " docker.io=mirror.example:5000");
    }
    if (registry.equals("index.docker.io") || registry.equals("registry-1.docker.io")) {
      registry = ImageReference.DOCKER_HUB;
    }
    return Map.entry(registry, mirror);
  }

  private static String stripScheme(String host) {
    String h = host;
    if (h.startsWith("https://")) {
      h = h.substring(8);
    } else if (h.startsWith("http://")) {
      h = h.substring(7);
    }
    return h.endsWith("/") ? h.substring(0, h.length() - 1) : h;
  }

  static String hostOf(String registry) {
    if (registry.startsWith("[")) {
      int close = registry.indexOf(']');
      return close < 0 ? registry : registry.substring(0, close + 1);
    }
    int colon = registry.lastIndexOf(':');
    return colon < 0 ? registry : registry.substring(0, colon);
  }
}
