package dev.jbuild.dockerfile.ir;

import dev.jbuild.dockerfile.SourceSpan;
import java.util.List;
import java.util.Objects;

/**
 * {@code ENV k=v …} or the legacy {@code ENV k v…} ({@code legacyForm}, exactly one pair). Keys and values are words as written.
 */
public record Env(SourceSpan span, List<KeyValue> pairs, boolean legacyForm) implements Instruction {

  public Env {
    Objects.requireNonNull(span, "span");
    pairs = List.copyOf(pairs);
    if (pairs.isEmpty() || (legacyForm && pairs.size() != 1)) {
      throw new IllegalArgumentException("ENV needs one pair in legacy form, at least one otherwise");
    }
  }

  @Override
  public String keyword() {
    return "ENV";
  }

  @Override
  public <R> R accept(InstructionVisitor<R> visitor) {
    return visitor.visitEnv(this);
  }
}
