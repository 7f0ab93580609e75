package dev.jbuild.dockerfile.lint;

import dev.jbuild.dockerfile.Diagnostic;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * The outcome of the checks.
 *
 * @param diagnostics every warning (or, with {@code error=true}, error) in source order, plus
 *     any error that stopped the checks (a word that does not expand, a bad {@code # check=})
 * @param failure why the build would fail, e.g. {@code lint violation found for rules:
 *     JSONArgsRecommended}; empty when it would not
 */
public record LintReport(List<Diagnostic> diagnostics, Optional<String> failure) {

  public LintReport {
    diagnostics = List.copyOf(diagnostics);
    Objects.requireNonNull(failure, "failure");
  }

  /** Whether the build would fail: {@code error=true} with a warning, or an error. */
  public boolean failed() {
    return failure.isPresent();
  }
}
