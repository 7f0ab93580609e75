package dev.jbuild.build.cli;

import java.io.PrintStream;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.IGetter;
import picocli.CommandLine.Model.ISetter;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Model.PositionalParamSpec;

/**
 * {@code jbuild build}'s options as a picocli model written out, for the command lines it can
 * run: picocli reading {@link BuildCommand}'s annotations (and Main's) costs a tenth of a second
 * of every build's start, on the path every build waits for. The model has no help text: a
 * command line it does not parse cleanly (an unknown option, a missing CONTEXT, a bad value),
 * or one asking for help or the version, is left to the annotated command tree, which prints
 * exactly what it always printed. So it only has to parse what the annotated model parses into
 * the same fields; {@code BuildCommandSpecTest} holds the two to that, option by option.
 */
final class BuildCommandSpec {

  /** What {@link #run} returns for a command line it leaves to the annotated tree. */
  static final int NOT_HANDLED = Integer.MIN_VALUE;

  private BuildCommandSpec() {}

  /**
   * Runs {@code build} with this model.
   *
   * @param args the command line, {@code build} itself included or implied
   * @return the exit code, or {@link #NOT_HANDLED} (nothing was run, nothing printed)
   */
  static int run(String[] args, PrintStream out, PrintStream err, boolean interactive) {
    String[] line = buildArguments(args);
    if (line == null) {
      return NOT_HANDLED;
    }
    BuildCommand plain = new BuildCommand();
    if (PlainBuildLine.read(line, plain)) {
      plain.main = new Main(interactive, out);
      plain.out = new PrintWriter(out, true);
      plain.err = new PrintWriter(err, true);
      try {
        return plain.call();
      } finally {
        plain.out.flush();
        plain.err.flush();
      }
    }
    BuildCommand command = new BuildCommand();
    command.main = new Main(interactive, out);
    Help help = new Help();
    CommandSpec spec = model(command, help);
    CommandLine cli = new CommandLine(spec);
    command.spec = spec;
    cli.setOut(new PrintWriter(out, true));
    cli.setErr(new PrintWriter(err, true));
    spec.exitCodeOnInvalidInput(Main.USAGE);
    spec.exitCodeOnExecutionException(Main.FAILED);
    boolean[] refused = {false};
    cli.setParameterExceptionHandler(
        (e, a) -> {
          refused[0] = true;
          return NOT_HANDLED;
        });
    cli.setExecutionStrategy(
        parsed -> {
          if (help.asked) {
            refused[0] = true;
            return NOT_HANDLED;
          }
          return new CommandLine.RunLast().execute(parsed);
        });
    int code = cli.execute(line);
    return refused[0] ? NOT_HANDLED : code;
  }

  /**
   * The arguments after {@code build}, or null when the command line is not one this model
   * takes: build is implied only before a build option or a non-option, as {@link
   * Main#withDefaultCommand} decides.
   */
  static String[] buildArguments(String[] args) {
    if (args.length == 0) {
      return null;
    }
    String first = args[0];
    if (first.equals("build")) {
      return java.util.Arrays.copyOfRange(args, 1, args.length);
    }
    if (first.startsWith("-") && !first.equals("-")) {
      int eq = first.indexOf('=');
      String name = eq < 0 ? first : first.substring(0, eq);
      boolean known =
          NAMES.contains(name) || (!first.startsWith("--") && NAMES.contains(first.substring(0, 2)));
      if (!known || HELP_NAMES.contains(name)) {
        return null; // Main's own options, or none at all: the annotated tree says which
      }
    }
    return args;
  }

  private static final List<String> HELP_NAMES = List.of("-h", "--help", "-V", "--version");

  /** Every option name of the model, help and version included. */
  static final List<String> NAMES =
      List.of(
          "-t", "--tag", "-f", "--file", "--build-arg", "--target", "--platform", "--pull",
          "--no-cache", "--label", "--secret", "--ssh", "--push", "-o", "--output", "--iidfile",
          "--metadata-file", "--progress", "-q", "--quiet", "--registry-mirror",
          "--insecure-registry", "--compression", "--snapshotter", "--root", "-h", "--help",
          "-V", "--version");

  /** Set when the command line asks for help or the version (mixinStandardHelpOptions). */
  static final class Help {
    boolean asked;
  }

  /** The model over {@code c}'s fields, as picocli builds it from the annotations. */
  static CommandSpec model(BuildCommand c, Help help) {
    CommandSpec spec = CommandSpec.wrapWithoutInspection(c);
    spec.name("build");
    spec.addPositional(
        PositionalParamSpec.builder()
            .index("0")
            .required(true)
            .paramLabel("CONTEXT")
            .type(String.class)
            .auxiliaryTypes(String.class)
            .initialValue(c.context)
            .setter(new Field(c, help, Field.CONTEXT))
            .getter(new Field(c, help, Field.CONTEXT))
            .build());
    list(spec, c, help, Field.TAGS, "-t", "--tag");
    single(spec, c, help, Field.FILE, Path.class, "-f", "--file");
    list(spec, c, help, Field.BUILD_ARGS, "--build-arg");
    single(spec, c, help, Field.TARGET, String.class, "--target");
    spec.addOption(
        builder(c, help, Field.PLATFORMS, List.class, "--platform")
            .auxiliaryTypes(String.class)
            .splitRegex(",")
            .build());
    spec.addOption(
        builder(c, help, Field.PULL, String.class, "--pull")
            .arity("0..1")
            .fallbackValue("always")
            .build());
    flag(spec, c, help, Field.NO_CACHE, "--no-cache");
    list(spec, c, help, Field.LABELS, "--label");
    list(spec, c, help, Field.SECRETS, "--secret");
    list(spec, c, help, Field.SSH, "--ssh");
    flag(spec, c, help, Field.PUSH, "--push");
    list(spec, c, help, Field.OUTPUTS, "-o", "--output");
    single(spec, c, help, Field.IID_FILE, Path.class, "--iidfile");
    single(spec, c, help, Field.METADATA_FILE, Path.class, "--metadata-file");
    single(spec, c, help, Field.PROGRESS, String.class, "--progress");
    flag(spec, c, help, Field.QUIET, "-q", "--quiet");
    list(spec, c, help, Field.MIRRORS, "--registry-mirror");
    list(spec, c, help, Field.INSECURE, "--insecure-registry");
    single(spec, c, help, Field.COMPRESSION, String.class, "--compression");
    single(spec, c, help, Field.SNAPSHOTTER, String.class, "--snapshotter");
    single(spec, c, help, Field.ROOT, Path.class, "--root");
    spec.addOption(
        builder(c, help, Field.HELP, boolean.class, "-h", "--help")
            .usageHelp(true)
            .build());
    spec.addOption(
        builder(c, help, Field.HELP, boolean.class, "-V", "--version")
            .versionHelp(true)
            .build());
    return spec;
  }

  private static OptionSpec.Builder builder(
      BuildCommand c, Help help, int field, Class<?> type, String... names) {
    Field f = new Field(c, help, field);
    return OptionSpec.builder(names)
        .type(type)
        .auxiliaryTypes(type)
        .initialValue(f.get())
        .setter(f)
        .getter(f);
  }

  private static void single(
      CommandSpec spec, BuildCommand c, Help help, int field, Class<?> type, String... names) {
    spec.addOption(builder(c, help, field, type, names).build());
  }

  private static void list(CommandSpec spec, BuildCommand c, Help help, int field, String... names) {
    spec.addOption(
        builder(c, help, field, List.class, names).auxiliaryTypes(String.class).build());
  }

  private static void flag(CommandSpec spec, BuildCommand c, Help help, int field, String... names) {
    // no arity: picocli's default for a flag (0, but "--flag=false" accepted) is the
    // annotations' too
    spec.addOption(builder(c, help, field, boolean.class, names).build());
  }

  /**
   * One field of a BuildCommand, read and written directly: one small class rather than a
   * lambda per option (each lambda is a class spun at start-up) or reflection. {@link
   * PlainBuildLine} sets the fields through it too.
   */
  static final class Field implements IGetter, ISetter {
    static final int CONTEXT = 0;
    static final int TAGS = 1;
    static final int FILE = 2;
    static final int BUILD_ARGS = 3;
    static final int TARGET = 4;
    static final int PLATFORMS = 5;
    static final int PULL = 6;
    static final int NO_CACHE = 7;
    static final int LABELS = 8;
    static final int SECRETS = 9;
    static final int SSH = 10;
    static final int PUSH = 11;
    static final int OUTPUTS = 12;
    static final int IID_FILE = 13;
    static final int METADATA_FILE = 14;
    static final int PROGRESS = 15;
    static final int QUIET = 16;
    static final int MIRRORS = 17;
    static final int INSECURE = 18;
    static final int COMPRESSION = 19;
    static final int SNAPSHOTTER = 20;
    static final int ROOT = 21;
    static final int HELP = 22;

    private final BuildCommand c;
    private final Help help;
    private final int field;

    Field(BuildCommand c, Help help, int field) {
      this.c = c;
      this.help = help;
      this.field = field;
    }

    @SuppressWarnings("unchecked")
    @Override
    public <T> T get() {
      switch (field) {
        case CONTEXT: return (T) c.context;
        case TAGS: return (T) c.tags;
        case FILE: return (T) c.file;
        case BUILD_ARGS: return (T) c.buildArgs;
        case TARGET: return (T) c.target;
        case PLATFORMS: return (T) c.platforms;
        case PULL: return (T) c.pull;
        case NO_CACHE: return (T) Boolean.valueOf(c.noCache);
        case LABELS: return (T) c.labels;
        case SECRETS: return (T) c.secrets;
        case SSH: return (T) c.ssh;
        case PUSH: return (T) Boolean.valueOf(c.push);
        case OUTPUTS: return (T) c.outputs;
        case IID_FILE: return (T) c.iidFile;
        case METADATA_FILE: return (T) c.metadataFile;
        case PROGRESS: return (T) c.progress;
        case QUIET: return (T) Boolean.valueOf(c.quiet);
        case MIRRORS: return (T) c.mirrors;
        case INSECURE: return (T) c.insecure;
        case COMPRESSION: return (T) c.compression;
        case SNAPSHOTTER: return (T) c.snapshotter;
        case ROOT: return (T) c.root;
        case HELP: return (T) Boolean.valueOf(help.asked);
        default: throw new IllegalStateException("field " + field);
      }
    }

    @SuppressWarnings("unchecked")
    @Override
    public <T> T set(T value) {
      T old = get();
      switch (field) {
        case CONTEXT: c.context = (String) value; break;
        case TAGS: c.tags = (List<String>) value; break;
        case FILE: c.file = (Path) value; break;
        case BUILD_ARGS: c.buildArgs = (List<String>) value; break;
        case TARGET: c.target = (String) value; break;
        case PLATFORMS: c.platforms = (List<String>) value; break;
        case PULL: c.pull = (String) value; break;
        case NO_CACHE: c.noCache = (Boolean) value; break;
        case LABELS: c.labels = (List<String>) value; break;
        case SECRETS: c.secrets = (List<String>) value; break;
        case SSH: c.ssh = (List<String>) value; break;
        case PUSH: c.push = (Boolean) value; break;
        case OUTPUTS: c.outputs = (List<String>) value; break;
        case IID_FILE: c.iidFile = (Path) value; break;
        case METADATA_FILE: c.metadataFile = (Path) value; break;
        case PROGRESS: c.progress = (String) value; break;
        case QUIET: c.quiet = (Boolean) value; break;
        case MIRRORS: c.mirrors = (List<String>) value; break;
        case INSECURE: c.insecure = (List<String>) value; break;
        case COMPRESSION: c.compression = (String) value; break;
        case SNAPSHOTTER: c.snapshotter = (String) value; break;
        case ROOT: c.root = (Path) value; break;
        case HELP: help.asked |= value != null && (Boolean) value; break;
        default: throw new IllegalStateException("field " + field);
      }
      return old;
    }
  }
}
