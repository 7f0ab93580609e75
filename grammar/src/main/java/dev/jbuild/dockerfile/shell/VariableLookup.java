package dev.jbuild.dockerfile.shell;

import java.util.Optional;

/**
 * Where the lexer looks variables up. Names are case-sensitive (Unix semantics, as BuildKit on
 * Linux). An empty value is <em>set</em>: {@code ${V-x}} keeps it, {@code ${V:-x}} does not.
 *
 * <p>{@link Environment} is the usual implementation; a lambda does for tests.
 */
@FunctionalInterface
public interface VariableLookup {

  /** The value of {@code name}, or empty when the variable is unset. */
  Optional<String> lookup(String name);

  /** A lookup in which every variable is unset. */
  static VariableLookup empty() {
    return name -> Optional.empty();
  }
}
