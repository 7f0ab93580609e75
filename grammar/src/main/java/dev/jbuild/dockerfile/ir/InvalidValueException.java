package dev.jbuild.dockerfile.ir;

/**
 * A flag or argument value that does not parse (a mount spec, a duration, a port spec). The
 * message is BuildKit's wording; the caller attaches the source position by wrapping it in a
 * {@link dev.jbuild.dockerfile.DockerfileException}.
 */
public class InvalidValueException extends IllegalArgumentException {
  public InvalidValueException(String message) {
    super(message);
  }
}
