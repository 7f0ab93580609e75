package dev.jbuild.build.context;

/**
 * A malformed wildcard pattern (Go's {@code filepath.ErrBadPattern}, whose text is
 * {@code syntax error in pattern}), or the lone {@code !} exclusion.
 */
public final class BadPatternException extends ContextException {

  /** Go's {@code filepath.ErrBadPattern} text, kept so messages read like BuildKit's. */
  public static final String SYNTAX_ERROR = "syntax error in pattern";

  private final String pattern;

  /** A bad {@code pattern}, described by {@code message}. */
  public BadPatternException(String pattern, String message) {
    super(message);
    this.pattern = pattern;
  }

  /** A syntax error in {@code pattern}. */
  static BadPatternException syntax(String pattern) {
    return new BadPatternException(pattern, SYNTAX_ERROR + " \"" + pattern + "\"");
  }

  /** The offending pattern, as written. */
  public String pattern() {
    return pattern;
  }
}
