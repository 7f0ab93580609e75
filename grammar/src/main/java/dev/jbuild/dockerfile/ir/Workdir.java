package dev.jbuild.dockerfile.ir;

import dev.jbuild.dockerfile.SourceSpan;
import java.util.Objects;

/**
 * {@code WORKDIR <path>}: the whole rest of the line, as written; relative paths join the previous WORKDIR.
 */
public record Workdir(SourceSpan span, String path) implements Instruction {

  public Workdir {
    Objects.requireNonNull(span, "span");
    Objects.requireNonNull(path, "path");
  }

  @Override
  public String keyword() {
    return "WORKDIR";
  }

  @Override
  public <R> R accept(InstructionVisitor<R> visitor) {
    return visitor.visitWorkdir(this);
  }
}
