package dev.jbuild.dockerfile.ir;

import dev.jbuild.dockerfile.SourceSpan;
import java.util.Objects;

/**
 * {@code ENTRYPOINT <command>}; {@code ENTRYPOINT []} clears the entrypoint.
 */
public record Entrypoint(SourceSpan span, CommandLine command) implements Instruction {

  public Entrypoint {
    Objects.requireNonNull(span, "span");
    Objects.requireNonNull(command, "command");
  }

  @Override
  public String keyword() {
    return "ENTRYPOINT";
  }

  @Override
  public <R> R accept(InstructionVisitor<R> visitor) {
    return visitor.visitEntrypoint(this);
  }
}
