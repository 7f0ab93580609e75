package dev.jbuild.build;

import dev.jbuild.dockerfile.SourceSpan;
import java.util.Objects;

/**
 * A step of the build failed for a reason outside the Dockerfile's text: a base image that
 * cannot be pulled, a COPY source that is missing, a file that cannot be read. Carries the span
 * of the instruction, so the edge prints the line with a caret, and the cause's message.
 */
public class BuildStepException extends JbuildException {

  private final SourceSpan span;

  public BuildStepException(SourceSpan span, String message) {
    super(message);
    this.span = Objects.requireNonNull(span, "span");
  }

  public BuildStepException(SourceSpan span, String message, Throwable cause) {
    super(message, cause);
    this.span = Objects.requireNonNull(span, "span");
  }

  /** The instruction that failed. */
  public SourceSpan span() {
    return span;
  }
}
