package dev.jbuild.dockerfile;

import java.util.List;

/**
 * A Dockerfile that cannot be used: carries one or more positioned diagnostics. The only
 * exception the grammar module lets out for bad input.
 */
public class DockerfileException extends RuntimeException {

  private final List<Diagnostic> diagnostics;

  public DockerfileException(List<Diagnostic> diagnostics) {
    super(firstMessage(diagnostics));
    this.diagnostics = List.copyOf(diagnostics);
  }

  public DockerfileException(String message, SourceSpan span) {
    this(List.of(Diagnostic.error(message, span)));
  }

  private static String firstMessage(List<Diagnostic> diagnostics) {
    if (diagnostics.isEmpty()) {
      throw new IllegalArgumentException("a DockerfileException needs a diagnostic");
    }
    Diagnostic d = diagnostics.get(0);
    return d.span() + ": " + d.message();
  }

  public List<Diagnostic> diagnostics() {
    return diagnostics;
  }

  /** The first diagnostic: where the problem is. */
  public Diagnostic primary() {
    return diagnostics.get(0);
  }
}
