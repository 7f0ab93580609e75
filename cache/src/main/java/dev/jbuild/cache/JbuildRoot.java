package dev.jbuild.cache;

import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.Map;
import java.util.Objects;

/**
 * Where jbuild keeps its local state and how that directory is laid out (DESIGN.md "Local
 * state"). The root is an OCI image layout: {@code oci-layout}, {@code index.json} (the local
 * image store), {@code blobs/sha256/…}; beside it {@code cache/} (build-cache index),
 * {@code layers/} (extracted layers), {@code tmp/} (partial writes, same filesystem as the
 * blobs so renames are atomic) and {@code locks/}.
 */
public record JbuildRoot(Path dir) {

  /** The environment variable that overrides the root. */
  public static final String ENV = "JBUILD_ROOT";

  public JbuildRoot {
    Objects.requireNonNull(dir, "dir");
    dir = dir.toAbsolutePath().normalize();
  }

  /**
   * Resolves the root: {@code --root DIR} if given, else {@code $JBUILD_ROOT}, else
   * {@code $XDG_CACHE_HOME/jbuild}, else {@code ~/.cache/jbuild}. Relative values are taken
   * against the working directory, except a relative {@code XDG_CACHE_HOME}, which the XDG
   * spec says to ignore.
   *
   * @param rootOption the value of {@code --root}, or null
   * @param env the process environment
   * @param userHome the user's home directory ({@code user.home})
   */
  public static JbuildRoot resolve(String rootOption, Map<String, String> env, String userHome) {
    if (rootOption != null && !rootOption.isBlank()) {
      return new JbuildRoot(path(rootOption, "--root"));
    }
    String fromEnv = env.get(ENV);
    if (fromEnv != null && !fromEnv.isBlank()) {
      return new JbuildRoot(path(fromEnv, ENV));
    }
    String xdg = env.get("XDG_CACHE_HOME");
    if (xdg != null && !xdg.isBlank() && Path.of(xdg).isAbsolute()) {
      return new JbuildRoot(Path.of(xdg).resolve("jbuild"));
    }
    if (userHome == null || userHome.isBlank()) {
      throw new CacheException("cannot find a home directory for jbuild's local state: set "
          + ENV + " or pass --root DIR", null);
    }
    return new JbuildRoot(Path.of(userHome, ".cache", "jbuild"));
  }

  /** The root for this process: no {@code --root}, the real environment and home. */
  public static JbuildRoot fromEnvironment() {
    return resolve(null, System.getenv(), System.getProperty("user.home"));
  }

  private static Path path(String text, String source) {
    try {
      return Path.of(text);
    } catch (InvalidPathException e) {
      throw new CacheException(source + " \"" + text + "\" is not a valid path: "
          + e.getReason(), null, e);
    }
  }

  public Path blobs() {
    return dir.resolve("blobs");
  }

  public Path indexJson() {
    return dir.resolve("index.json");
  }

  public Path ociLayoutFile() {
    return dir.resolve("oci-layout");
  }

  public Path tmp() {
    return dir.resolve("tmp");
  }

  public Path locks() {
    return dir.resolve("locks");
  }

  /** The build-cache index directory. */
  public Path buildCache() {
    return dir.resolve("cache");
  }

  /**
   * The header index of each layer blob ({@code sha256/<blob hex>}): its entries and their data
   * offsets, so that a stage's file tree is known without decompressing its layers again.
   */
  public Path layerHeaders() {
    return dir.resolve("layer-headers");
  }

  /** Extracted layers for RUN, one directory per diffID. */
  public Path layers() {
    return dir.resolve("layers");
  }
}
