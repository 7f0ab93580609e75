package dev.jbuild.dockerfile.ir;

import dev.jbuild.dockerfile.SourceSpan;
import java.util.List;
import java.util.Objects;

/**
 * {@code SHELL ["executable", "param"…]}: JSON form only, at least one element.
 */
public record Shell(SourceSpan span, List<String> shell) implements Instruction {

  public Shell {
    Objects.requireNonNull(span, "span");
    shell = List.copyOf(shell);
    if (shell.isEmpty()) {
      throw new IllegalArgumentException("SHELL needs at least one element");
    }
  }

  @Override
  public String keyword() {
    return "SHELL";
  }

  @Override
  public <R> R accept(InstructionVisitor<R> visitor) {
    return visitor.visitShell(this);
  }
}
