package dev.jbuild.build.cli;

import java.io.PrintStream;
import java.io.PrintWriter;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code jbuild} command line. Takes its streams and returns an exit code: 0, 1 or 2. */
@Command(
    name = "jbuild",
    mixinStandardHelpOptions = true,
    versionProvider = VersionProvider.class,
    description = "Builds OCI images from Dockerfiles: no daemon, no root.",
    subcommands = {CommandLine.HelpCommand.class, CheckCommand.class, TargetsCommand.class})
public final class Main implements Runnable {

  /** Exit codes, as docker build uses them. */
  public static final int OK = 0;
  public static final int FAILED = 1;
  public static final int USAGE = 2;

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  public static void main(String[] args) {
    System.exit(run(args, System.out, System.err));
  }

  /** Runs one command line; never calls {@code System.exit}. */
  public static int run(String[] args, PrintStream out, PrintStream err) {
    CommandLine cli = commandLine(out, err);
    return cli.execute(args);
  }

  static CommandLine commandLine(PrintStream out, PrintStream err) {
    CommandLine cli = new CommandLine(new Main());
    cli.setOut(new PrintWriter(out, true));
    cli.setErr(new PrintWriter(err, true));
    cli.getCommandSpec().exitCodeOnInvalidInput(USAGE);
    cli.getCommandSpec().exitCodeOnExecutionException(FAILED);
    return cli;
  }

  @Override
  public void run() {
    throw new CommandLine.ParameterException(spec.commandLine(), "a command is required");
  }
}
