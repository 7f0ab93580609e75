package dev.jbuild.dockerfile.ir;

import dev.jbuild.dockerfile.SourceSpan;
import java.util.Objects;

/**
 * {@code MAINTAINER <name>} (deprecated): sets the image author.
 */
public record Maintainer(SourceSpan span, String name) implements Instruction {

  public Maintainer {
    Objects.requireNonNull(span, "span");
    Objects.requireNonNull(name, "name");
  }

  @Override
  public String keyword() {
    return "MAINTAINER";
  }

  @Override
  public <R> R accept(InstructionVisitor<R> visitor) {
    return visitor.visitMaintainer(this);
  }
}
