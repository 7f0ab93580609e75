package dev.jbuild.dockerfile.ir;

import java.util.Objects;
import java.util.Optional;

/**
 * One name declared by ARG: {@code NAME} or {@code NAME=default}.
 *
 * @param name the name, not expanded (BuildKit never expands ARG names at parse time)
 * @param defaultValue the default word as written, unexpanded; empty when there is no {@code =};
 *     present but empty for {@code ARG NAME=}
 * @param description the doc comment: a comment line right before the ARG that starts with
 *     {@code NAME }, without that prefix
 */
public record ArgDeclaration(String name, Optional<String> defaultValue, Optional<String> description) {
  public ArgDeclaration {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(defaultValue, "defaultValue");
    Objects.requireNonNull(description, "description");
    if (name.isEmpty()) {
      throw new IllegalArgumentException("ARG name must not be empty");
    }
  }
}
