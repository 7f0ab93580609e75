package dev.jbuild.dockerfile.lint;

import dev.jbuild.dockerfile.internal.GoStrings;
import java.util.Objects;
import java.util.Optional;

/**
 * A build check, as data (spec §5, BuildKit's {@code linter.LinterRule}).
 *
 * @param name the rule name, e.g. {@code UndefinedVar}; what {@code # check=skip=} names
 * @param description one sentence on what the rule wants
 * @param url the rule's documentation page, empty for rules without one
 * @param experimental experimental rules run only when enabled with {@code experimental=}
 * @param messageFormat the message, with {@code %s} for a plain argument and {@code %q} for one
 *     quoted like Go's {@code %q}
 */
public record Rule(
    String name, String description, Optional<String> url, boolean experimental, String messageFormat) {

  public Rule {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(description, "description");
    Objects.requireNonNull(url, "url");
    Objects.requireNonNull(messageFormat, "messageFormat");
  }

  /** The message for these arguments, in order. */
  public String format(String... args) {
    StringBuilder out = new StringBuilder();
    int next = 0;
    for (int i = 0; i < messageFormat.length(); i++) {
      char c = messageFormat.charAt(i);
      if (c == '%' && i + 1 < messageFormat.length()) {
        char verb = messageFormat.charAt(i + 1);
        if (verb == 's' || verb == 'q') {
          if (next >= args.length) {
            throw new IllegalArgumentException(name + " needs more than " + args.length + " arguments");
          }
          String arg = args[next++];
          out.append(verb == 'q' ? GoStrings.quote(arg) : arg);
          i++;
          continue;
        }
        if (verb == '%') {
          out.append('%');
          i++;
          continue;
        }
      }
      out.append(c);
    }
    if (next != args.length) {
      throw new IllegalArgumentException(name + " takes " + next + " arguments, not " + args.length);
    }
    return out.toString();
  }
}
