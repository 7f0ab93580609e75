package dev.jbuild.build.registry;

import dev.jbuild.build.JbuildException;

/**
 * A registry refused or failed a request. The message names the registry, the repository, the
 * HTTP status when there was one, and what to do about it; {@link #status()} is 0 when the
 * failure happened before an HTTP answer (connection refused, TLS).
 */
public class RegistryException extends JbuildException {

  private final String registry;
  private final String repository;
  private final int status;

  public RegistryException(String registry, String repository, int status, String message) {
    super(message);
    this.registry = registry;
    this.repository = repository;
    this.status = status;
  }

  public RegistryException(
      String registry, String repository, int status, String message, Throwable cause) {
    super(message, cause);
    this.registry = registry;
    this.repository = repository;
    this.status = status;
  }

  /** The registry host (and port) as the user named it. */
  public String registry() {
    return registry;
  }

  public String repository() {
    return repository;
  }

  /** The HTTP status, or 0 when no HTTP answer came. */
  public int status() {
    return status;
  }
}
