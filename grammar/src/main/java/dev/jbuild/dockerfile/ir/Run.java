package dev.jbuild.dockerfile.ir;

import dev.jbuild.dockerfile.SourceSpan;
import dev.jbuild.dockerfile.syntax.Heredoc;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * {@code RUN [--mount=…]… [--network=…] [--security=…] [--device=…]… <command>}.
 *
 * @param command shell or exec form, never expanded
 * @param heredocs the here-documents of the line, in order (shell form only); see spec §1.6 for
 *     how the builder turns them into a command
 * @param mounts {@code --mount} values, typed
 * @param network {@code --network}, empty when not given (means {@link NetworkMode#DEFAULT})
 * @param security {@code --security}, empty when not given (means {@link SecurityMode#SANDBOX})
 * @param devices {@code --device} values (BuildKit labs)
 */
public record Run(
    SourceSpan span,
    CommandLine command,
    List<Heredoc> heredocs,
    List<RunMount> mounts,
    Optional<NetworkMode> network,
    Optional<SecurityMode> security,
    List<Device> devices)
    implements Instruction {

  public Run {
    Objects.requireNonNull(span, "span");
    Objects.requireNonNull(command, "command");
    heredocs = List.copyOf(heredocs);
    mounts = List.copyOf(mounts);
    Objects.requireNonNull(network, "network");
    Objects.requireNonNull(security, "security");
    devices = List.copyOf(devices);
    if (!heredocs.isEmpty() && !command.prependShell()) {
      throw new IllegalArgumentException("heredocs need the shell form");
    }
  }

  /** The network mode in effect. */
  public NetworkMode effectiveNetwork() {
    return network.orElse(NetworkMode.DEFAULT);
  }

  /** The security mode in effect. */
  public SecurityMode effectiveSecurity() {
    return security.orElse(SecurityMode.SANDBOX);
  }

  @Override
  public String keyword() {
    return "RUN";
  }

  @Override
  public <R> R accept(InstructionVisitor<R> visitor) {
    return visitor.visitRun(this);
  }
}
