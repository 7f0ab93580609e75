package dev.jbuild.dockerfile.shell;

import dev.jbuild.dockerfile.internal.GoStrings;
import java.util.Objects;

/**
 * A word that cannot be expanded: a syntax error ({@code ${}}, an unterminated quote), an
 * unsupported modifier, a bad pattern, or a {@code ${V:?message}} whose variable is unset.
 *
 * <p>The message is BuildKit's, e.g. {@code failed to process "${FOO:?}": FOO: is not allowed
 * to be unset}. It has no position: the caller that knows the instruction turns it into a
 * positioned {@code DockerfileException}.
 */
public final class ExpansionException extends Exception {

  private static final long serialVersionUID = 1L;

  private final String word;
  private final String reason;

  public ExpansionException(String word, String reason) {
    super("failed to process " + GoStrings.quote(word) + ": " + reason);
    this.word = Objects.requireNonNull(word, "word");
    this.reason = Objects.requireNonNull(reason, "reason");
  }

  /** The word as written, before expansion. */
  public String word() {
    return word;
  }

  /** What is wrong, without the {@code failed to process} prefix. */
  public String reason() {
    return reason;
  }
}
