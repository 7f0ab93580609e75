package dev.jbuild.dockerfile.ir;

/**
 * Exhaustive handling of {@link Instruction}: adding an instruction adds a method here, so every
 * visitor stops compiling until it handles it.
 */
public interface InstructionVisitor<R> {
  R visitFrom(From from);

  R visitRun(Run run);

  R visitCmd(Cmd cmd);

  R visitEntrypoint(Entrypoint entrypoint);

  R visitShell(Shell shell);

  R visitCopy(Copy copy);

  R visitAdd(Add add);

  R visitEnv(Env env);

  R visitArg(Arg arg);

  R visitLabel(Label label);

  R visitExpose(Expose expose);

  R visitVolume(Volume volume);

  R visitUser(User user);

  R visitWorkdir(Workdir workdir);

  R visitHealthcheck(Healthcheck healthcheck);

  R visitStopSignal(StopSignal stopSignal);

  R visitOnbuild(Onbuild onbuild);

  R visitMaintainer(Maintainer maintainer);
}
