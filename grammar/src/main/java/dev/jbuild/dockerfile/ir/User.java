package dev.jbuild.dockerfile.ir;

import dev.jbuild.dockerfile.SourceSpan;
import java.util.Objects;

/**
 * {@code USER <user>[:<group>]}: the whole rest of the line, as written.
 */
public record User(SourceSpan span, String user) implements Instruction {

  public User {
    Objects.requireNonNull(span, "span");
    Objects.requireNonNull(user, "user");
  }

  @Override
  public String keyword() {
    return "USER";
  }

  @Override
  public <R> R accept(InstructionVisitor<R> visitor) {
    return visitor.visitUser(this);
  }
}
