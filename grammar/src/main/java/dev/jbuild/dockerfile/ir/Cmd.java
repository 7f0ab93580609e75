package dev.jbuild.dockerfile.ir;

import dev.jbuild.dockerfile.SourceSpan;
import java.util.Objects;

/**
 * {@code CMD <command>}: the default command; shell form is stored wrapped in the SHELL by the builder.
 */
public record Cmd(SourceSpan span, CommandLine command) implements Instruction {

  public Cmd {
    Objects.requireNonNull(span, "span");
    Objects.requireNonNull(command, "command");
  }

  @Override
  public String keyword() {
    return "CMD";
  }

  @Override
  public <R> R accept(InstructionVisitor<R> visitor) {
    return visitor.visitCmd(this);
  }
}
