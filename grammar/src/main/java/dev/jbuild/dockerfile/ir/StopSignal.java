package dev.jbuild.dockerfile.ir;

import dev.jbuild.dockerfile.SourceSpan;
import java.util.Objects;

/**
 * {@code STOPSIGNAL <signal>}: as written; the builder expands and validates it. Flags on STOPSIGNAL are ignored, as in BuildKit.
 */
public record StopSignal(SourceSpan span, String signal) implements Instruction {

  public StopSignal {
    Objects.requireNonNull(span, "span");
    Objects.requireNonNull(signal, "signal");
  }

  @Override
  public String keyword() {
    return "STOPSIGNAL";
  }

  @Override
  public <R> R accept(InstructionVisitor<R> visitor) {
    return visitor.visitStopSignal(this);
  }
}
