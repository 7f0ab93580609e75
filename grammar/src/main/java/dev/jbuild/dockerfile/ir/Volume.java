package dev.jbuild.dockerfile.ir;

import dev.jbuild.dockerfile.SourceSpan;
import java.util.List;
import java.util.Objects;

/**
 * {@code VOLUME ["/a", …]} or {@code VOLUME /a /b}: trimmed, non-empty words as written.
 */
public record Volume(SourceSpan span, List<String> paths) implements Instruction {

  public Volume {
    Objects.requireNonNull(span, "span");
    paths = List.copyOf(paths);
    if (paths.isEmpty() || paths.stream().anyMatch(String::isBlank)) {
      throw new IllegalArgumentException("VOLUME needs non-blank paths");
    }
  }

  @Override
  public String keyword() {
    return "VOLUME";
  }

  @Override
  public <R> R accept(InstructionVisitor<R> visitor) {
    return visitor.visitVolume(this);
  }
}
