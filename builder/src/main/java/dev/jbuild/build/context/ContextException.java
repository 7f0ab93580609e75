package dev.jbuild.build.context;

import dev.jbuild.build.JbuildException;

/**
 * A problem with the build context: a COPY/ADD source that does not exist, a malformed
 * {@code .dockerignore} or {@code --exclude} pattern, a tar context that tries to escape its
 * root, an unreadable file. The message names the path or pattern; the engine adds the
 * Dockerfile position when it renders the error.
 */
public class ContextException extends JbuildException {

  /** An error with a message naming the path or pattern. */
  public ContextException(String message) {
    super(message);
  }

  /** An error caused by an I/O failure. */
  public ContextException(String message, Throwable cause) {
    super(message, cause);
  }
}
