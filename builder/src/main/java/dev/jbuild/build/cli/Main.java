package dev.jbuild.build.cli;

import java.io.PrintStream;
import java.io.PrintWriter;
import java.util.LinkedHashMap;
import java.util.Map;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code jbuild} command line. Takes its streams and returns an exit code: 0, 1 or 2. */
@Command(
    name = "jbuild",
    mixinStandardHelpOptions = true,
    versionProvider = VersionProvider.class,
    description = "Builds OCI images from Dockerfiles: no daemon, no root.")
public final class Main implements Runnable {

  /**
   * The subcommands in help order. Only the one a command line runs is handed to picocli (see
   * {@link #needed}): picocli reflects over every option of every command it is given, which
   * was half of the CLI's start-up, and loading {@code BuildCommand} starts the build warm-up.
   */
  private static final Map<String, Class<?>> SUBCOMMANDS = subcommands();

  private static Map<String, Class<?>> subcommands() {
    Map<String, Class<?>> m = new LinkedHashMap<>();
    m.put("help", CommandLine.HelpCommand.class);
    m.put("build", BuildCommand.class);
    m.put("check", CheckCommand.class);
    m.put("targets", TargetsCommand.class);
    m.put("pull", PullCommand.class);
    m.put("push", PushCommand.class);
    m.put("images", ImagesCommand.class);
    m.put("tag", TagCommand.class);
    m.put("save", SaveCommand.class);
    m.put("inspect", InspectCommand.class);
    m.put("rmi", RmiCommand.class);
    m.put("prune", PruneCommand.class);
    return m;
  }

  /** Exit codes, as docker build uses them. */
  public static final int OK = 0;
  public static final int FAILED = 1;
  public static final int USAGE = 2;

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  private boolean interactive;
  private PrintStream stdout;

  public Main() {}

  /** The parent {@link BuildCommandSpec} gives a build it runs without the command tree. */
  Main(boolean interactive, PrintStream stdout) {
    this.interactive = interactive;
    this.stdout = stdout;
  }

  public static void main(String[] args) {
    System.exit(run(args, System.out, System.err));
  }

  /** Runs one command line; never calls {@code System.exit}. */
  public static int run(String[] args, PrintStream out, PrintStream err) {
    if (args.length == 1 && (args[0].equals("--version") || args[0].equals("-V"))) {
      // what picocli prints for the version option, without building its command model from
      // the annotations (spun proxy classes, converters): that was half of this command's run
      printVersion(out);
      return OK;
    }
    if (System.getProperty("jna.platform.library.path") == null) {
      // JNA's first use otherwise runs "/sbin/ldconfig -p" to learn library directories (a
      // process started on every build, 10-15 ms). jbuild binds only libc, which JNA opens as
      // the process itself (dlopen(NULL)) without any search path.
      System.setProperty("jna.platform.library.path", "");
    }
    String needed = needed(args);
    boolean interactive = err == System.err && System.console() != null;
    if ("build".equals(needed)) {
      // before picocli builds its command model (a tenth of a second), not after
      Warmup.start();
      // a build command line picocli need not read the annotations for (help, usage errors
      // and anything unusual fall through to the annotated tree below)
      int code = BuildCommandSpec.run(args, out, err, interactive);
      if (code != BuildCommandSpec.NOT_HANDLED) {
        return code;
      }
    }
    CommandLine cli = commandLine(out, err, needed);
    String[] line = withDefaultCommand(cli, args);
    if (needed != null && !needed.isEmpty() && !needed.equals(line[0])) {
      // not the implied build after all (an option build does not know): the full tree, so
      // that the usage error lists every command
      cli = commandLine(out, err, null);
      line = withDefaultCommand(cli, args);
    }
    Main main = (Main) cli.getCommand();
    main.interactive = interactive;
    main.stdout = out;
    return cli.execute(line);
  }

  /**
   * The one subcommand a command line runs ({@code ""} for none, as for {@code --version}), or
   * null when every command is needed (help, no arguments).
   */
  static String needed(String[] args) {
    if (args.length == 0) {
      return null;
    }
    String first = args[0];
    if (first.equals("-V") || first.equals("--version")) {
      return "";
    }
    if (first.equals("help") || first.equals("-h") || first.equals("--help")) {
      return null;
    }
    return SUBCOMMANDS.containsKey(first) ? first : "build";
  }

  static void printVersion(PrintStream out) {
    for (String line : new VersionProvider().getVersion()) {
      out.println(line);
    }
    out.flush();
  }

  /** Whether standard error is a terminal (live progress) rather than a log or a pipe. */
  boolean interactive() {
    return interactive;
  }

  /** Standard output as bytes, for archives streamed with {@code jbuild save}. */
  PrintStream stdout() {
    return stdout;
  }

  /** Whether standard output is a terminal, where an archive must not go. */
  boolean stdoutIsTerminal() {
    return stdout == System.out && System.console() != null;
  }

  /**
   * {@code jbuild -t app:1 .} means {@code jbuild build -t app:1 .}: {@code build} is implied
   * when the first argument is neither a command nor one of jbuild's own options.
   */
  static String[] withDefaultCommand(CommandLine cli, String[] args) {
    if (args.length == 0) {
      return args;
    }
    String first = args[0];
    if (cli.getSubcommands().containsKey(first) || cli.getCommandSpec().optionsMap().containsKey(first)) {
      return args;
    }
    if (first.startsWith("-") && !first.equals("-")) {
      // an option: imply build only for one of build's own (--tag=x, -tx, -q …)
      Map<String, ?> build = cli.getSubcommands().get("build").getCommandSpec().optionsMap();
      int eq = first.indexOf('=');
      String name = eq < 0 ? first : first.substring(0, eq);
      boolean known = build.containsKey(name) || (!first.startsWith("--") && build.containsKey(first.substring(0, 2)));
      if (!known) {
        return args;
      }
    }
    String[] out = new String[args.length + 1];
    out[0] = "build";
    System.arraycopy(args, 0, out, 1, args.length);
    return out;
  }

  static CommandLine commandLine(PrintStream out, PrintStream err) {
    return commandLine(out, err, null);
  }

  /** The command tree with only subcommand {@code only} ("" none), or all of them for null. */
  static CommandLine commandLine(PrintStream out, PrintStream err, String only) {
    CommandLine cli = new CommandLine(new Main());
    for (Map.Entry<String, Class<?>> c : SUBCOMMANDS.entrySet()) {
      if (only == null || only.equals(c.getKey())) {
        cli.addSubcommand(c.getKey(), c.getValue());
      }
    }
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
