package dev.jbuild.dockerfile.internal;

/** A logical line BuildKit's parser rejects; the caller adds the position. */
final class LineSyntaxException extends Exception {
  private static final long serialVersionUID = 1L;

  LineSyntaxException(String message) {
    super(message, null, false, false);
  }
}
