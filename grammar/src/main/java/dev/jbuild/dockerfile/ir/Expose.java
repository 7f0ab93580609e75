package dev.jbuild.dockerfile.ir;

import dev.jbuild.dockerfile.SourceSpan;
import java.util.List;
import java.util.Objects;

/**
 * {@code EXPOSE <port>[/<proto>] …}: the words as written; the builder expands them with word splitting and parses each with {@link ExposeSpec#parse}.
 */
public record Expose(SourceSpan span, List<String> ports) implements Instruction {

  public Expose {
    Objects.requireNonNull(span, "span");
    ports = List.copyOf(ports);
    if (ports.isEmpty()) {
      throw new IllegalArgumentException("EXPOSE needs a port");
    }
  }

  @Override
  public String keyword() {
    return "EXPOSE";
  }

  @Override
  public <R> R accept(InstructionVisitor<R> visitor) {
    return visitor.visitExpose(this);
  }
}
