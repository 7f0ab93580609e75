package dev.jbuild.dockerfile.ir;

import dev.jbuild.dockerfile.SourceSpan;
import java.util.List;
import java.util.Objects;

/**
 * {@code LABEL k=v …} or the legacy {@code LABEL k v…} ({@code legacyForm}, exactly one pair). Keys and values are words as written.
 */
public record Label(SourceSpan span, List<KeyValue> pairs, boolean legacyForm) implements Instruction {

  public Label {
    Objects.requireNonNull(span, "span");
    pairs = List.copyOf(pairs);
    if (pairs.isEmpty() || (legacyForm && pairs.size() != 1)) {
      throw new IllegalArgumentException("LABEL needs one pair in legacy form, at least one otherwise");
    }
  }

  @Override
  public String keyword() {
    return "LABEL";
  }

  @Override
  public <R> R accept(InstructionVisitor<R> visitor) {
    return visitor.visitLabel(this);
  }
}
