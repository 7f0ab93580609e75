package dev.jbuild.dockerfile.instructions;

import dev.jbuild.dockerfile.internal.GoStrings;
import dev.jbuild.dockerfile.DockerfileException;
import dev.jbuild.dockerfile.SourceSpan;
import dev.jbuild.dockerfile.instructions.BuilderFlags.FlagException;
import dev.jbuild.dockerfile.instructions.BuilderFlags.Kind;
import dev.jbuild.dockerfile.ir.Add;
import dev.jbuild.dockerfile.ir.Arg;
import dev.jbuild.dockerfile.ir.ArgDeclaration;
import dev.jbuild.dockerfile.ir.Cmd;
import dev.jbuild.dockerfile.ir.CommandLine;
import dev.jbuild.dockerfile.ir.Copy;
import dev.jbuild.dockerfile.ir.CopySource;
import dev.jbuild.dockerfile.ir.Device;
import dev.jbuild.dockerfile.ir.Dockerfile;
import dev.jbuild.dockerfile.ir.Entrypoint;
import dev.jbuild.dockerfile.ir.Env;
import dev.jbuild.dockerfile.ir.Expose;
import dev.jbuild.dockerfile.ir.From;
import dev.jbuild.dockerfile.ir.GoDuration;
import dev.jbuild.dockerfile.ir.Healthcheck;
import dev.jbuild.dockerfile.ir.Instruction;
import dev.jbuild.dockerfile.ir.InvalidValueException;
import dev.jbuild.dockerfile.ir.KeyValue;
import dev.jbuild.dockerfile.ir.Label;
import dev.jbuild.dockerfile.ir.Maintainer;
import dev.jbuild.dockerfile.ir.NetworkMode;
import dev.jbuild.dockerfile.ir.Onbuild;
import dev.jbuild.dockerfile.ir.Run;
import dev.jbuild.dockerfile.ir.RunMount;
import dev.jbuild.dockerfile.ir.SecurityMode;
import dev.jbuild.dockerfile.ir.Shell;
import dev.jbuild.dockerfile.ir.Stage;
import dev.jbuild.dockerfile.ir.StopSignal;
import dev.jbuild.dockerfile.ir.Suggestions;
import dev.jbuild.dockerfile.ir.User;
import dev.jbuild.dockerfile.ir.Volume;
import dev.jbuild.dockerfile.ir.Workdir;
import dev.jbuild.dockerfile.syntax.Heredoc;
import dev.jbuild.dockerfile.syntax.SyntaxNode;
import dev.jbuild.dockerfile.syntax.SyntaxTree;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Turns the parsed lines ({@link SyntaxTree}) into the typed IR, with BuildKit's instruction
 * validation and messages (its {@code instructions} package, spec §2). Nothing is expanded.
 */
public final class InstructionParser {

  /** The instruction keywords, as BuildKit lists them for "did you mean". */
  static final List<String> INSTRUCTIONS =
      List.of(
          "ADD", "ARG", "CMD", "COPY", "ENTRYPOINT", "ENV", "EXPOSE", "FROM", "HEALTHCHECK", "LABEL",
          "MAINTAINER", "ONBUILD", "RUN", "SHELL", "STOPSIGNAL", "USER", "VOLUME", "WORKDIR");

  private static final Pattern HEREDOC_WORD = Pattern.compile("^(\\d*)<<(-?)\\s*([^<]*)$");

  private final SyntaxTree tree;

  private InstructionParser(SyntaxTree tree) {
    this.tree = tree;
  }

  /**
   * Converts a whole file: global ARGs, then one stage per FROM.
   *
   * @throws DockerfileException at the first invalid instruction
   */
  public static Dockerfile convert(SyntaxTree tree) {
    return new InstructionParser(tree).convert();
  }

  private Dockerfile convert() {
    if (tree.children().isEmpty()) {
      throw new DockerfileException("file with no instructions", SourceSpan.at(tree.file(), 1, 1));
    }
    List<Arg> globalArgs = new ArrayList<>();
    List<Stage> stages = new ArrayList<>();
    From from = null;
    Optional<String> doc = Optional.empty();
    List<Instruction> body = new ArrayList<>();
    for (SyntaxNode node : tree.children()) {
      Instruction i = instruction(node);
      if (i instanceof From) {
        if (from != null) {
          stages.add(new Stage(from, body, stages.size(), doc));
        }
        from = (From) i;
        doc = from.name().flatMap(n -> docComment(node.comments(), n));
        body = new ArrayList<>();
      } else if (from == null) {
        if (i instanceof Arg) {
          globalArgs.add((Arg) i);
        } else {
          throw new DockerfileException("no build stage in current context", node.span());
        }
      } else {
        body.add(i);
      }
    }
    if (from == null) {
      throw new DockerfileException(
          "dockerfile contains no stages to build", tree.children().get(0).span());
    }
    stages.add(new Stage(from, body, stages.size(), doc));
    return new Dockerfile(tree.file(), tree.directives(), globalArgs, stages, tree.warnings());
  }

  /** One instruction (also the trigger of an ONBUILD). */
  Instruction instruction(SyntaxNode node) {
    switch (node.keyword().toLowerCase(Locale.ROOT)) {
      case "env":
        return new Env(node.span(), pairs(node, "ENV"), legacy(node));
      case "maintainer":
        return maintainer(node);
      case "label":
        return new Label(node.span(), pairs(node, "LABEL"), legacy(node));
      case "add":
        return add(node);
      case "copy":
        return copy(node);
      case "from":
        return from(node);
      case "onbuild":
        return onbuild(node);
      case "workdir":
        exactlyOne(node, "WORKDIR");
        flags(node).parseOrThrow();
        return new Workdir(node.span(), node.args().get(0));
      case "run":
        return run(node);
      case "cmd":
        flags(node).parseOrThrow();
        return new Cmd(node.span(), commandLine(node, node.args()));
      case "healthcheck":
        return healthcheck(node);
      case "entrypoint":
        flags(node).parseOrThrow();
        return new Entrypoint(node.span(), commandLine(node, node.args()));
      case "expose":
        return expose(node);
      case "user":
        exactlyOne(node, "USER");
        flags(node).parseOrThrow();
        return new User(node.span(), node.args().get(0));
      case "volume":
        return volume(node);
      case "stopsignal":
        // BuildKit never parses STOPSIGNAL's flags: they are ignored.
        exactlyOne(node, "STOPSIGNAL");
        return new StopSignal(node.span(), node.args().get(0));
      case "arg":
        return arg(node);
      case "shell":
        return shell(node);
      default:
        String written = node.keywordAsWritten();
        throw new DockerfileException(
            Suggestions.wrap("unknown instruction: " + written, written, INSTRUCTIONS, false), node.span());
    }
  }

  // ---- instructions, each checking in BuildKit's order so the first error is the same ----

  private Instruction maintainer(SyntaxNode node) {
    exactlyOne(node, "MAINTAINER");
    flags(node).parseOrThrow();
    return new Maintainer(node.span(), node.args().get(0));
  }

  private List<KeyValue> pairs(SyntaxNode node, String name) {
    flags(node).parseOrThrow();
    List<String> args = node.args();
    if (args.isEmpty()) {
      throw error(node, name + " requires at least one argument");
    }
    if (args.size() % 3 != 0) {
      throw error(node, "Bad input to " + name + ", too many arguments");
    }
    List<KeyValue> out = new ArrayList<>();
    for (int i = 0; i < args.size(); i += 3) {
      if (args.get(i).isEmpty()) {
        throw error(node, name + " names can not be blank");
      }
      out.add(new KeyValue(args.get(i), args.get(i + 1)));
    }
    return out;
  }

  /** The legacy {@code K V} form: the separator of the triple is empty. */
  private static boolean legacy(SyntaxNode node) {
    return node.args().size() == 3 && node.args().get(2).isEmpty();
  }

  private Instruction add(SyntaxNode node) {
    if (node.args().size() < 2) {
      throw error(node, noDestination("ADD"));
    }
    Flags f =
        flags(node)
            .declare("chown", Kind.STRING)
            .declare("chmod", Kind.STRING)
            .declare("link", Kind.BOOL)
            .declare("keep-git-dir", Kind.BOOL)
            .declare("checksum", Kind.STRING)
            .declare("unpack", Kind.BOOL)
            .declare("exclude", Kind.STRINGS);
    f.parseOrThrow();
    String dest = destination(node, "ADD");
    return new Add(
        node.span(),
        sources(node),
        dest,
        f.flags.string("chown"),
        f.flags.string("chmod"),
        f.flags.bool("link"),
        f.flags.strings("exclude"),
        f.flags.bool("keep-git-dir"),
        f.flags.string("checksum"),
        f.flags.used("unpack") ? Optional.of(f.flags.bool("unpack")) : Optional.empty());
  }

  private Instruction copy(SyntaxNode node) {
    if (node.args().size() < 2) {
      throw error(node, noDestination("COPY"));
    }
    Flags f =
        flags(node)
            .declare("chown", Kind.STRING)
            .declare("from", Kind.STRING)
            .declare("chmod", Kind.STRING)
            .declare("link", Kind.BOOL)
            .declare("exclude", Kind.STRINGS)
            .declare("parents", Kind.BOOL);
    f.parseOrThrow();
    String dest = destination(node, "COPY");
    Optional<String> from = f.flags.string("from");
    if (from.isPresent() && from.get().contains("$")) {
      // BuildKit refuses this before building anything: stages are resolved before expansion.
      throw new DockerfileException(
          "variable expansion is not supported for --from, define a new stage with FROM using ARG from global scope as a workaround",
          at(node, "--from"));
    }
    return new Copy(
        node.span(),
        sources(node),
        dest,
        from,
        f.flags.string("chown"),
        f.flags.string("chmod"),
        f.flags.bool("link"),
        f.flags.bool("parents"),
        f.flags.strings("exclude"));
  }

  private static String noDestination(String name) {
    return name
        + " requires at least two arguments, but only one was provided. Destination could not be determined";
  }

  private String destination(SyntaxNode node, String name) {
    String dest = node.args().get(node.args().size() - 1);
    if (heredocName(dest).isPresent()) {
      throw new DockerfileException(name + " cannot accept a heredoc as a destination", at(node, dest));
    }
    return dest;
  }

  /** Sources in order; a {@code <<NAME} word takes the line's next here-document. */
  private List<CopySource> sources(SyntaxNode node) {
    List<CopySource> out = new ArrayList<>();
    Iterator<Heredoc> heredocs = node.heredocs().iterator();
    List<String> args = node.args();
    for (String src : args.subList(0, args.size() - 1)) {
      Optional<String> name = heredocName(src);
      if (name.isPresent()) {
        // BuildKit looks the body up by name; a word without a body (JSON form) gives an empty file.
        Heredoc h =
            heredocs.hasNext()
                ? heredocs.next()
                : new Heredoc(name.get(), "", !isQuoted(src), src.contains("<<-"), 0);
        out.add(new CopySource.HeredocSource(h));
      } else {
        out.add(new CopySource.PathSource(src));
      }
    }
    return out;
  }

  private static Optional<String> heredocName(String word) {
    Matcher m = HEREDOC_WORD.matcher(word);
    if (!m.matches()) {
      return Optional.empty();
    }
    String name = m.group(3).replace("\"", "").replace("'", "");
    return name.isEmpty() ? Optional.empty() : Optional.of(name);
  }

  private static boolean isQuoted(String word) {
    return word.contains("\"") || word.contains("'");
  }

  private Instruction from(SyntaxNode node) {
    List<String> args = node.args();
    Optional<String> name = Optional.empty();
    if (args.size() == 3 && args.get(1).equalsIgnoreCase("as")) {
      String lower = args.get(2).toLowerCase(Locale.ROOT);
      if (!From.STAGE_NAME.matcher(lower).matches()) {
        throw new DockerfileException(
            "invalid name for build stage: "
                + GoStrings.quote(args.get(2))
                + ", name can't start with a number or contain symbols",
            at(node, args.get(2)));
      }
      name = Optional.of(lower);
    } else if (args.size() != 1) {
      throw error(node, "FROM requires either one or three arguments");
    }
    Flags f = flags(node).declare("platform", Kind.STRING);
    f.parseOrThrow();
    return new From(node.span(), args.get(0), f.flags.string("platform"), name);
  }

  private Instruction onbuild(SyntaxNode node) {
    if (node.nested().isEmpty() && node.args().isEmpty()) {
      throw error(node, "ONBUILD requires at least one argument");
    }
    flags(node).parseOrThrow();
    if (node.nested().isEmpty()) {
      throw error(node, "ONBUILD requires at least one argument");
    }
    SyntaxNode nested = node.nested().get();
    String trigger = nested.keyword().trim().toUpperCase(Locale.ROOT);
    switch (trigger) {
      case "ONBUILD":
        throw error(node, "Chaining ONBUILD via `ONBUILD ONBUILD` isn't allowed");
      case "MAINTAINER":
      case "FROM":
        throw error(node, trigger + " isn't allowed as an ONBUILD trigger");
      default:
        break;
    }
    return new Onbuild(node.span(), instruction(nested));
  }

  private Instruction run(SyntaxNode node) {
    // Declared in BuildKit's hook order (rundevice, runmount, runnetwork, runsecurity).
    Flags f =
        flags(node)
            .declare("device", Kind.STRINGS)
            .declare("mount", Kind.STRINGS)
            .declare("network", Kind.STRING)
            .declare("security", Kind.STRING);
    f.parseOrThrow();
    CommandLine command = commandLine(node, node.args());
    List<Device> devices = new ArrayList<>();
    for (String d : f.flags.strings("device")) {
      devices.add(value(node, "--device", () -> Device.parse(d)));
    }
    List<RunMount> mounts = new ArrayList<>();
    for (String m : f.flags.strings("mount")) {
      mounts.add(value(node, "--mount", () -> RunMount.parse(m)));
    }
    Optional<NetworkMode> network = Optional.empty();
    Optional<String> net = f.flags.raw("network");
    if (net.isPresent()) {
      network = NetworkMode.of(net.get());
      if (network.isEmpty()) {
        throw new DockerfileException(
            "invalid network mode " + GoStrings.quote(net.get()), at(node, "--network"));
      }
    }
    Optional<SecurityMode> security = Optional.empty();
    Optional<String> sec = f.flags.raw("security");
    if (sec.isPresent()) {
      security = SecurityMode.of(sec.get());
      if (security.isEmpty()) {
        throw new DockerfileException("security " + GoStrings.quote(sec.get()) + " is not valid", at(node, "--security"));
      }
    }
    List<Heredoc> heredocs = command.prependShell() ? node.heredocs() : List.of();
    return new Run(node.span(), command, heredocs, mounts, network, security, devices);
  }

  private Instruction healthcheck(SyntaxNode node) {
    List<String> args = node.args();
    if (args.isEmpty()) {
      throw error(node, "HEALTHCHECK requires at least one argument");
    }
    String type = args.get(0).toUpperCase(Locale.ROOT);
    List<String> rest = args.subList(1, args.size());
    if (type.equals("NONE")) {
      // BuildKit never parses the flags of HEALTHCHECK NONE: they are ignored.
      if (!rest.isEmpty()) {
        throw error(node, "HEALTHCHECK NONE takes no arguments");
      }
      return Healthcheck.none(node.span());
    }
    Flags f =
        flags(node)
            .declare("interval", Kind.STRING)
            .declare("timeout", Kind.STRING)
            .declare("start-period", Kind.STRING)
            .declare("start-interval", Kind.STRING)
            .declare("retries", Kind.STRING);
    f.parseOrThrow();
    if (!type.equals("CMD")) {
      throw new DockerfileException(
          "Unknown type " + GoStrings.quote(type) + " in HEALTHCHECK (try CMD)", at(node, args.get(0)));
    }
    CommandLine command = commandLine(node, rest);
    if (command.words().isEmpty()) {
      throw error(node, "Missing command after HEALTHCHECK CMD");
    }
    Duration interval = interval(node, f, "interval");
    Duration timeout = interval(node, f, "timeout");
    Duration startPeriod = interval(node, f, "start-period");
    Duration startInterval = interval(node, f, "start-interval");
    int retries = 0;
    Optional<String> r = f.flags.string("retries");
    if (r.isPresent()) {
      long v = parseInt32(node, r.get());
      if (v < 0) {
        throw new DockerfileException("--retries cannot be negative (" + v + ")", at(node, "--retries"));
      }
      retries = (int) v;
    }
    return new Healthcheck(
        node.span(), Optional.of(command), interval, timeout, startPeriod, startInterval, retries);
  }

  /** BuildKit's {@code parseOptInterval}: empty or 0 is unset, otherwise at least 1ms. */
  private Duration interval(SyntaxNode node, Flags f, String name) {
    Optional<String> v = f.flags.string(name);
    if (v.isEmpty()) {
      return Duration.ZERO;
    }
    Duration d = value(node, "--" + name, () -> GoDuration.parse(v.get()));
    if (d.isZero()) {
      return Duration.ZERO;
    }
    if (d.compareTo(Duration.ofMillis(1)) < 0) {
      throw new DockerfileException(
          "Interval " + GoStrings.quote(name) + " cannot be less than 1ms", at(node, "--" + name));
    }
    return d;
  }

  /** Go's {@code strconv.ParseInt(s, 10, 32)} with its messages. */
  private long parseInt32(SyntaxNode node, String s) {
    String digits = s.startsWith("+") || s.startsWith("-") ? s.substring(1) : s;
    if (digits.isEmpty() || !digits.chars().allMatch(c -> c >= '0' && c <= '9')) {
      throw new DockerfileException(
          "strconv.ParseInt: parsing " + GoStrings.quote(s) + ": invalid syntax", at(node, "--retries"));
    }
    try {
      long v = Long.parseLong(s.startsWith("+") ? digits : s);
      if (v >= Integer.MIN_VALUE && v <= Integer.MAX_VALUE) {
        return v;
      }
    } catch (NumberFormatException e) {
      // out of range, below
    }
    throw new DockerfileException(
        "strconv.ParseInt: parsing " + GoStrings.quote(s) + ": value out of range", at(node, "--retries"));
  }

  private Instruction expose(SyntaxNode node) {
    if (node.args().isEmpty()) {
      throw error(node, "EXPOSE requires at least one argument");
    }
    flags(node).parseOrThrow();
    // BuildKit sorts the words (before expansion) in parseExpose.
    List<String> ports = new ArrayList<>(node.args());
    Collections.sort(ports);
    return new Expose(node.span(), ports);
  }

  private Instruction volume(SyntaxNode node) {
    if (node.args().isEmpty()) {
      throw error(node, "VOLUME requires at least one argument");
    }
    flags(node).parseOrThrow();
    List<String> paths = new ArrayList<>();
    for (String v : node.args()) {
      String t = v.strip();
      if (t.isEmpty()) {
        throw error(node, "VOLUME specified can not be an empty string");
      }
      paths.add(t);
    }
    return new Volume(node.span(), paths);
  }

  private Instruction arg(SyntaxNode node) {
    // BuildKit never parses ARG's flags: they are ignored.
    if (node.args().isEmpty()) {
      throw error(node, "ARG requires at least one argument");
    }
    List<ArgDeclaration> out = new ArrayList<>();
    for (String a : node.args()) {
      int eq = a.indexOf('=');
      String key = eq < 0 ? a : a.substring(0, eq);
      if (eq == 0) {
        throw new DockerfileException("ARG names can not be blank", at(node, a));
      }
      Optional<String> value = eq < 0 ? Optional.empty() : Optional.of(a.substring(eq + 1));
      out.add(new ArgDeclaration(key, value, docComment(node.comments(), key)));
    }
    return new Arg(node.span(), out);
  }

  private Instruction shell(SyntaxNode node) {
    flags(node).parseOrThrow();
    List<String> args = node.json() ? node.args() : joined(node.args());
    if (args.isEmpty()) {
      throw error(node, "SHELL requires at least one argument");
    }
    if (!node.json()) {
      throw error(node, "SHELL requires the arguments to be in JSON form");
    }
    return new Shell(node.span(), args);
  }

  // ---- helpers ----

  /** BuildKit's {@code handleJSONArgs}: exec form as is, shell form one joined string. */
  private static CommandLine commandLine(SyntaxNode node, List<String> args) {
    if (node.json()) {
      return new CommandLine.ExecForm(args);
    }
    return new CommandLine.ShellForm(String.join(" ", args));
  }

  private static List<String> joined(List<String> args) {
    return args.isEmpty() ? List.of() : List.of(String.join(" ", args));
  }

  /** {@code getComment}: the first comment line starting with {@code "<name> "}, without it. */
  private static Optional<String> docComment(List<String> comments, String name) {
    if (name.isEmpty()) {
      return Optional.empty();
    }
    for (String line : comments) {
      if (line.startsWith(name + " ")) {
        String c = line.substring(name.length() + 1);
        return c.isEmpty() ? Optional.empty() : Optional.of(c);
      }
    }
    return Optional.empty();
  }

  private void exactlyOne(SyntaxNode node, String name) {
    if (node.args().size() != 1) {
      throw error(node, name + " requires exactly one argument");
    }
  }

  private DockerfileException error(SyntaxNode node, String message) {
    return new DockerfileException(message, node.span());
  }

  /** Runs a value parser and positions its error at the flag or word. */
  private <T> T value(SyntaxNode node, String word, java.util.function.Supplier<T> parse) {
    try {
      return parse.get();
    } catch (InvalidValueException e) {
      throw new DockerfileException(e.getMessage(), at(node, word));
    }
  }

  /**
   * The position of {@code word} in the instruction's source lines (first occurrence after the
   * keyword), or the instruction's own position when it is not found verbatim.
   */
  SourceSpan at(SyntaxNode node, String word) {
    SourceSpan span = node.span();
    List<String> lines = tree.lines();
    for (int line = span.startLine(); line <= span.endLine() && line <= lines.size(); line++) {
      String text = lines.get(line - 1);
      int from = line == span.startLine() ? Math.min(span.startColumn() - 1, text.length()) : 0;
      int idx = word.isEmpty() ? -1 : text.indexOf(word, from);
      if (idx >= 0) {
        return new SourceSpan(span.file(), line, idx + 1, span.endLine());
      }
    }
    return span;
  }

  private Flags flags(SyntaxNode node) {
    return new Flags(node);
  }

  /** Declared flags of one node, with errors positioned at the offending flag. */
  private final class Flags {
    final SyntaxNode node;
    final BuilderFlags flags;

    Flags(SyntaxNode node) {
      this.node = node;
      this.flags = new BuilderFlags(node.flags());
    }

    Flags declare(String name, Kind kind) {
      flags.declare(name, kind);
      return this;
    }

    void parseOrThrow() {
      try {
        flags.parse();
      } catch (FlagException e) {
        SourceSpan where = at(node, e.word);
        if (where.equals(node.span())) {
          int eq = e.word.indexOf('=');
          where = at(node, eq < 0 ? e.word : e.word.substring(0, eq + 1));
        }
        throw new DockerfileException(e.getMessage(), where);
      }
    }
  }
}
