package dev.jbuild.cache;

import java.nio.file.Path;

/**
 * A problem with jbuild's local state: a corrupted or missing blob, an unreadable index, a
 * directory that cannot be written. The message names the path and says what to do; {@link
 * #path()} is that path (may be null when none applies).
 */
public class CacheException extends RuntimeException {

  private final transient Path path;

  public CacheException(String message, Path path) {
    super(message);
    this.path = path;
  }

  public CacheException(String message, Path path, Throwable cause) {
    super(message, cause);
    this.path = path;
  }

  /** The file or directory the problem is about, or null. */
  public Path path() {
    return path;
  }
}
