package dev.jbuild.dockerfile.ir;

import dev.jbuild.dockerfile.SourceSpan;
import java.util.Objects;

/**
 * {@code ONBUILD <instruction>}: a trigger stored in the image and run in a child build. The
 * trigger is parsed here (so mistakes show at once) and stored as the printer renders it.
 *
 * @param trigger never FROM, MAINTAINER or ONBUILD
 */
public record Onbuild(SourceSpan span, Instruction trigger) implements Instruction {

  public Onbuild {
    Objects.requireNonNull(span, "span");
    Objects.requireNonNull(trigger, "trigger");
    if (trigger instanceof From || trigger instanceof Maintainer || trigger instanceof Onbuild) {
      throw new IllegalArgumentException(trigger.keyword() + " isn't allowed as an ONBUILD trigger");
    }
  }

  @Override
  public String keyword() {
    return "ONBUILD";
  }

  @Override
  public <R> R accept(InstructionVisitor<R> visitor) {
    return visitor.visitOnbuild(this);
  }
}
