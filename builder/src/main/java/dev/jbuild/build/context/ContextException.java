package dev.jbuild.build.context;

import dev.jbuild.build.JbuildException;

/**
 * A problem with the build context: a COPY/ADD source that does not exist, a malformed
 * {@code .dockerignore} or {@code --exclude} pattern, a tar context that tries to escape its
 * root, an unreadable file. The message names the path or pattern; the engine adds the
 * Dockerfile position when it renders the error.
 */
public class ContextException extends JbuildException {

  public ContextException(String message) {
    super(message);
  }

  public ContextException(String message, Throwable cause) {
    super(message, cause);
  }
}
