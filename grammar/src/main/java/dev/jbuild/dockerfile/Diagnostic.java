package dev.jbuild.dockerfile;

import java.util.Objects;
import java.util.Optional;

/**
 * One message about a Dockerfile, positioned. {@code rule} is the build-check rule name
 * (e.g. {@code UndefinedVar}) when the message comes from a check, empty for parse errors.
 */
public record Diagnostic(
    Severity severity, String message, SourceSpan span, Optional<String> rule, Optional<String> url) {

  /** How bad it is. */
  public enum Severity {
    ERROR,
    WARNING;

    public String label() {
      return this == ERROR ? "error" : "warning";
    }
  }

  public Diagnostic {
    Objects.requireNonNull(severity, "severity");
    Objects.requireNonNull(message, "message");
    Objects.requireNonNull(span, "span");
    Objects.requireNonNull(rule, "rule");
    Objects.requireNonNull(url, "url");
  }

  public static Diagnostic error(String message, SourceSpan span) {
    return new Diagnostic(Severity.ERROR, message, span, Optional.empty(), Optional.empty());
  }

  public static Diagnostic warning(String message, SourceSpan span) {
    return new Diagnostic(Severity.WARNING, message, span, Optional.empty(), Optional.empty());
  }

  public boolean isError() {
    return severity == Severity.ERROR;
  }
}
