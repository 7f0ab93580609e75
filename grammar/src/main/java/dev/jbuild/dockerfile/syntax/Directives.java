package dev.jbuild.dockerfile.syntax;

import java.util.Optional;

/**
 * The parser directives at the top of a Dockerfile (spec §1.2).
 *
 * @param syntax {@code # syntax=} (informational for jbuild)
 * @param escape the escape character, {@code \} or {@code `}
 * @param check the raw {@code # check=} value, parsed by the lint package
 */
public record Directives(Optional<String> syntax, char escape, Optional<String> check) {

  public static final Directives DEFAULT = new Directives(Optional.empty(), '\\', Optional.empty());

  public Directives {
    if (escape != '\\' && escape != '`') {
      throw new IllegalArgumentException("escape must be \\ or `");
    }
  }
}
