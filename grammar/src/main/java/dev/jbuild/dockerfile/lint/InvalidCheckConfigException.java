package dev.jbuild.dockerfile.lint;

/**
 * A {@code # check=} directive (or {@code BUILDKIT_DOCKERFILE_CHECK} build-arg) that cannot be
 * read. The message is BuildKit's, e.g. {@code invalid check option "skipp"}.
 */
public final class InvalidCheckConfigException extends Exception {

  private static final long serialVersionUID = 1L;

  public InvalidCheckConfigException(String message) {
    super(message);
  }
}
