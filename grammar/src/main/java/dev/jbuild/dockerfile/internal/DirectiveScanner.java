package dev.jbuild.dockerfile.internal;

import java.util.HashSet;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** BuildKit's {@code DirectiveParser} plus the escape handling of the line parser (spec §1.2). */
final class DirectiveScanner {

  /** {@code ^#\s*([a-zA-Z][a-zA-Z0-9]*)\s*=\s*(.+?)\s*$}, with Go's ASCII \s and dot-all. */
  private static final Pattern DIRECTIVE = Pattern.compile(
      "#[\\t\\n\\f\\r ]*([a-zA-Z][a-zA-Z0-9]*)[\\t\\n\\f\\r ]*=[\\t\\n\\f\\r ]*(.+?)[\\t\\n\\f\\r ]*",
      Pattern.DOTALL);

  private boolean done;
  private final Set<String> seen = new HashSet<>();
  private char escape = '\\';
  private String syntax;
  private String check;

  /** Looks at one line (trimmed as BuildKit's processLine does); throws on a bad directive. */
  void accept(String line) throws LineSyntaxException {
    if (done) {
      return;
    }
    if (line.isEmpty() || line.charAt(0) != '#') {
      done = true;
      return;
    }
    Matcher m = DIRECTIVE.matcher(line);
    if (!m.matches()) {
      done = true;
      return;
    }
    String key = m.group(1).toLowerCase(Locale.ROOT);
    if (!key.equals("syntax") && !key.equals("escape") && !key.equals("check")) {
      done = true;
      return;
    }
    if (!seen.add(key)) {
      throw new LineSyntaxException("only one " + key + " parser directive can be used");
    }
    String value = m.group(2);
    switch (key) {
      case "escape":
        if (!value.equals("`") && !value.equals("\\")) {
          throw new LineSyntaxException(
              "invalid escape token '" + value + "' does not match ` or \\");
        }
        escape = value.charAt(0);
        break;
      case "syntax":
        syntax = value;
        break;
      default:
        check = value;
    }
  }

  char escape() {
    return escape;
  }

  Optional<String> syntax() {
    return Optional.ofNullable(syntax);
  }

  Optional<String> check() {
    return Optional.ofNullable(check);
  }
}
