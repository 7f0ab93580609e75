package dev.jbuild.dockerfile.ir;

import dev.jbuild.dockerfile.SourceSpan;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;

/**
 * {@code HEALTHCHECK NONE} or {@code HEALTHCHECK [--interval=…] [--timeout=…] [--start-period=…]
 * [--start-interval=…] [--retries=…] CMD <command>}. As in BuildKit, an option that is not given
 * is zero (the runtime default then applies: 30s, 30s, 0s, 5s, 3).
 *
 * @param command empty for {@code NONE}; shell form becomes {@code CMD-SHELL}, exec form
 *     {@code CMD}
 */
public record Healthcheck(
    SourceSpan span,
    Optional<CommandLine> command,
    Duration interval,
    Duration timeout,
    Duration startPeriod,
    Duration startInterval,
    int retries)
    implements Instruction {

  public Healthcheck {
    Objects.requireNonNull(span, "span");
    Objects.requireNonNull(command, "command");
    Objects.requireNonNull(interval, "interval");
    Objects.requireNonNull(timeout, "timeout");
    Objects.requireNonNull(startPeriod, "startPeriod");
    Objects.requireNonNull(startInterval, "startInterval");
    if (retries < 0) {
      throw new IllegalArgumentException("retries must not be negative");
    }
    if (command.isEmpty()
        && !(interval.isZero() && timeout.isZero() && startPeriod.isZero() && startInterval.isZero() && retries == 0)) {
      throw new IllegalArgumentException("HEALTHCHECK NONE takes no options");
    }
    command.ifPresent(
        c -> {
          if (c.words().isEmpty()) {
            throw new IllegalArgumentException("HEALTHCHECK CMD needs a command");
          }
        });
  }

  /** A {@code HEALTHCHECK NONE}: disables the base image's check. */
  public static Healthcheck none(SourceSpan span) {
    return new Healthcheck(
        span, Optional.empty(), Duration.ZERO, Duration.ZERO, Duration.ZERO, Duration.ZERO, 0);
  }

  /** True for {@code HEALTHCHECK NONE}. */
  public boolean isNone() {
    return command.isEmpty();
  }

  @Override
  public String keyword() {
    return "HEALTHCHECK";
  }

  @Override
  public <R> R accept(InstructionVisitor<R> visitor) {
    return visitor.visitHealthcheck(this);
  }
}
