package dev.jbuild.dockerfile.ir;

import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * One build stage: its FROM header and the instructions up to the next FROM.
 *
 * @param index 0-based position in the file ({@code COPY --from=0})
 * @param docComment the comment before FROM that starts with the stage name, without it
 */
public record Stage(From from, List<Instruction> instructions, int index, Optional<String> docComment) {

  public Stage {
    Objects.requireNonNull(from, "from");
    instructions = List.copyOf(instructions);
    Objects.requireNonNull(docComment, "docComment");
    if (index < 0) {
      throw new IllegalArgumentException("negative stage index");
    }
    for (Instruction i : instructions) {
      if (i instanceof From) {
        throw new IllegalArgumentException("a FROM starts a new stage");
      }
    }
  }

  /** The stage name from {@code AS}, lowercased. */
  public Optional<String> name() {
    return from.name();
  }
}
