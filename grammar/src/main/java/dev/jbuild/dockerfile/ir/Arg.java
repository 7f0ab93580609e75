package dev.jbuild.dockerfile.ir;

import dev.jbuild.dockerfile.SourceSpan;
import java.util.List;
import java.util.Objects;

/**
 * {@code ARG name[=default] …}: one or more declarations. Flags on ARG are ignored, as in BuildKit.
 */
public record Arg(SourceSpan span, List<ArgDeclaration> declarations) implements Instruction {

  public Arg {
    Objects.requireNonNull(span, "span");
    declarations = List.copyOf(declarations);
    if (declarations.isEmpty()) {
      throw new IllegalArgumentException("ARG needs a name");
    }
  }

  @Override
  public String keyword() {
    return "ARG";
  }

  @Override
  public <R> R accept(InstructionVisitor<R> visitor) {
    return visitor.visitArg(this);
  }
}
