package dev.jbuild.dockerfile.ir;

import dev.jbuild.dockerfile.SourceSpan;

/**
 * One Dockerfile instruction, typed. Words stay as written (unexpanded); the builder expands
 * them into new objects. Handle instructions exhaustively through {@link #accept}.
 */
public sealed interface Instruction
    permits From, Run, Cmd, Entrypoint, Shell, Copy, Add, Env, Arg, Label, Expose, Volume, User,
        Workdir, Healthcheck, StopSignal, Onbuild, Maintainer {

  /** Where the instruction stands: its first line and the column of its keyword, its last line. */
  SourceSpan span();

  /** The keyword in upper case, as BuildKit names the instruction ({@code RUN}). */
  String keyword();

  <R> R accept(InstructionVisitor<R> visitor);
}
