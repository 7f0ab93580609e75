package dev.jbuild.build;

/**
 * The root of the builder's user-facing errors. Subtypes carry what the user needs to act:
 * the registry and HTTP status, the step and its output, the directory to delete, the sysctl
 * to set. Rendered only at the edge (CLI, Maven goal). Dockerfile problems arrive as the
 * grammar module's {@link dev.jbuild.dockerfile.DockerfileException}, which the edge renders
 * with a caret.
 */
public class JbuildException extends RuntimeException {

  public JbuildException(String message) {
    super(message);
  }

  public JbuildException(String message, Throwable cause) {
    super(message, cause);
  }
}
