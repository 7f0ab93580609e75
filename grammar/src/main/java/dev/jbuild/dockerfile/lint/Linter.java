package dev.jbuild.dockerfile.lint;

import dev.jbuild.dockerfile.Diagnostic;
import dev.jbuild.dockerfile.DockerfileException;
import dev.jbuild.dockerfile.Dockerfiles;
import dev.jbuild.dockerfile.instructions.InstructionParser;
import dev.jbuild.dockerfile.SourceSpan;
import dev.jbuild.dockerfile.ir.Add;
import dev.jbuild.dockerfile.ir.Arg;
import dev.jbuild.dockerfile.ir.ArgDeclaration;
import dev.jbuild.dockerfile.ir.Cmd;
import dev.jbuild.dockerfile.ir.CommandLine;
import dev.jbuild.dockerfile.ir.Copy;
import dev.jbuild.dockerfile.ir.CopySource;
import dev.jbuild.dockerfile.ir.Dockerfile;
import dev.jbuild.dockerfile.ir.Entrypoint;
import dev.jbuild.dockerfile.ir.Env;
import dev.jbuild.dockerfile.ir.Expose;
import dev.jbuild.dockerfile.ir.From;
import dev.jbuild.dockerfile.ir.Healthcheck;
import dev.jbuild.dockerfile.ir.Instruction;
import dev.jbuild.dockerfile.ir.InstructionVisitor;
import dev.jbuild.dockerfile.ir.KeyValue;
import dev.jbuild.dockerfile.ir.Label;
import dev.jbuild.dockerfile.ir.Maintainer;
import dev.jbuild.dockerfile.ir.Onbuild;
import dev.jbuild.dockerfile.ir.Run;
import dev.jbuild.dockerfile.ir.RunMount;
import dev.jbuild.dockerfile.ir.Shell;
import dev.jbuild.dockerfile.ir.Stage;
import dev.jbuild.dockerfile.ir.StopSignal;
import dev.jbuild.dockerfile.ir.Suggestions;
import dev.jbuild.dockerfile.ir.User;
import dev.jbuild.dockerfile.ir.Volume;
import dev.jbuild.dockerfile.ir.Workdir;
import dev.jbuild.dockerfile.shell.BuildArgs;
import dev.jbuild.dockerfile.shell.Environment;
import dev.jbuild.dockerfile.shell.Expansion;
import dev.jbuild.dockerfile.shell.ExpansionException;
import dev.jbuild.dockerfile.shell.GlobalArgs;
import dev.jbuild.dockerfile.shell.Platform;
import dev.jbuild.dockerfile.shell.ShellLexer;
import dev.jbuild.dockerfile.shell.StageScope;
import dev.jbuild.dockerfile.syntax.SyntaxNode;
import dev.jbuild.dockerfile.syntax.SyntaxTree;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Pattern;

/**
 * Runs the build checks (spec §5) over a parsed Dockerfile without building it, as {@code docker
 * build --check} does: every stage is checked, in file order.
 *
 * <p>The typed IR gives the instructions; the syntax tree gives what the IR drops: keyword
 * casing, the {@code AS} word and the comments before each instruction (for {@code
 * InvalidDefinitionDescription} and the per-instruction {@code # check=skip=…} comment, which
 * applies to every check reported on that instruction).
 *
 * <p>No image is pulled. Where BuildKit reads a base image's config, this linter knows only what
 * {@link LintOptions#baseImages()} tells it:
 *
 * <ul>
 *   <li>{@code UndefinedVar}: a stage built on an image whose config is unknown may get any
 *       variable from that image's ENV, so no variable is reported as undefined there. Stages
 *       built on {@code scratch}, on a known image config, or on an in-file stage whose own
 *       environment is known are checked fully (their env is ENV, ARG and {@code PATH}).
 *   <li>{@code JSONArgsRecommended}: an unknown base image is taken to set no {@code SHELL}.
 *   <li>{@code InvalidBaseImagePlatform} runs only for images whose config is known.
 * </ul>
 */
public final class Linter {

  private static final Pattern SECRET =
      Pattern.compile(
          "(?i)(?:_|^)(?:apikey|auth|credential|credentials|key|password|pword|passwd|secret|token)(?:_|$)");
  private static final Pattern SECRET_ALLOWED = Pattern.compile("(?i)(?:_|^)(?:public|file|version)(?:_|$)");
  private static final Set<String> NON_ENV_ARGS =
      Set.of("BUILDKIT_SBOM_SCAN_CONTEXT", "BUILDKIT_SBOM_SCAN_STAGE");
  private static final Set<String> RESERVED_STAGE_NAMES = Set.of("context", "scratch");
  private static final Pattern DIRECTIVE =
      Pattern.compile("(?i)^[ \\t]*(syntax|escape|check)[ \\t]*=.*$");

  private final SyntaxTree syntax;
  private final Dockerfile dockerfile;
  private final LintOptions options;
  private final Map<Integer, SyntaxNode> nodesByLine = new HashMap<>();
  private final List<Diagnostic> found = new ArrayList<>();
  private final ShellLexer lexer;
  private int firstNodeHeader;
  private CheckConfig config = CheckConfig.DEFAULT;
  private Optional<String> error = Optional.empty();

  private Linter(SyntaxTree syntax, Dockerfile dockerfile, LintOptions options) {
    this.syntax = syntax;
    this.dockerfile = dockerfile;
    this.options = options;
    this.lexer = new ShellLexer(syntax.directives().escape());
    for (SyntaxNode n : syntax.children()) {
      nodesByLine.put(n.span().startLine(), n);
    }
    if (!syntax.children().isEmpty()) {
      SyntaxNode first = syntax.children().get(0);
      List<String> comments = first.comments();
      int header = 0;
      while (header < comments.size() && DIRECTIVE.matcher(comments.get(header)).matches()) {
        header++;
      }
      firstNodeHeader = header;
    }
  }

  /**
   * The comments before an instruction that describe it: for the first instruction, the parser
   * directives at the top of the file are not among them.
   */
  private List<String> comments(SyntaxNode node) {
    List<String> all = node.comments();
    if (!syntax.children().isEmpty() && node == syntax.children().get(0)) {
      return all.subList(firstNodeHeader, all.size());
    }
    return all;
  }

  /**
   * Parses and checks one Dockerfile. An instruction that does not convert to the IR ends the
   * checks: the report then holds the warnings of the lines before it and the error, as
   * BuildKit reports them.
   *
   * @param fileName the name used in spans
   * @param content the file's bytes
   * @throws DockerfileException when the file's lines do not parse at all (nothing to check)
   */
  public static LintReport check(String fileName, byte[] content, LintOptions options) {
    SyntaxTree syntax = Dockerfiles.parseSyntax(fileName, content);
    Dockerfile dockerfile;
    try {
      dockerfile = InstructionParser.convert(syntax);
    } catch (DockerfileException e) {
      return new Linter(syntax, null, options).rejected(e);
    }
    return check(syntax, dockerfile, options);
  }

  /**
   * Checks one Dockerfile.
   *
   * @param syntax the line tree the IR was built from
   * @param dockerfile the typed IR of the same file
   */
  public static LintReport check(SyntaxTree syntax, Dockerfile dockerfile, LintOptions options) {
    return new Linter(syntax, dockerfile, options).run();
  }

  /** Reads the check configuration; false (with the error recorded) when it is invalid. */
  private boolean configure() {
    Optional<String> checkValue =
        Optional.ofNullable(options.buildArgs().get(LintOptions.CHECK_BUILD_ARG))
            .or(() -> syntax.directives().check());
    try {
      config = CheckConfig.parse(checkValue.orElse(""));
      return true;
    } catch (InvalidCheckConfigException e) {
      String message = "failed to parse check options: " + e.getMessage();
      found.add(Diagnostic.error(message, SourceSpan.at(syntax.file(), 1, 1)));
      error = Optional.of(message);
      return false;
    }
  }

  private LintReport run() {
    if (!configure()) {
      return new LintReport(found, error);
    }

    parserWarnings();
    parseTimeChecks();
    stageNames();
    instructionCasing();
    if (!stopped()) {
      invalidDefaultArgs();
    }
    GlobalArgs global = stopped() ? null : fromLines();
    if (global != null) {
      dispatchStages(global);
    }
    return finish();
  }

  private LintReport finish() {
    List<Diagnostic> sorted = new ArrayList<>(found);
    sorted.sort(
        Comparator.<Diagnostic>comparingInt(d -> d.span().startLine()).thenComparing(Diagnostic::message));
    if (error.isPresent()) {
      return new LintReport(sorted, error);
    }
    if (config.error() && !sorted.isEmpty()) {
      TreeSet<String> rules = new TreeSet<>();
      List<Diagnostic> asErrors = new ArrayList<>();
      for (Diagnostic d : sorted) {
        d.rule().ifPresent(rules::add);
        asErrors.add(new Diagnostic(Diagnostic.Severity.ERROR, d.message(), d.span(), d.rule(), d.url()));
      }
      return new LintReport(
          asErrors, Optional.of("lint violation found for rules: " + String.join(", ", rules)));
    }
    return new LintReport(sorted, Optional.empty());
  }

  private boolean stopped() {
    return error.isPresent();
  }

  // ---------------------------------------------------------------------------------------
  // reporting

  private void report(Rule rule, SourceSpan span, String message) {
    CheckConfig effective = config;
    SyntaxNode node = nodesByLine.get(span.startLine());
    if (node != null) {
      Optional<CheckConfig> local = CheckConfig.fromComments(comments(node));
      if (local.isPresent()) {
        effective = effective.merge(local.get());
      }
    }
    if (!effective.isEnabled(rule)) {
      return;
    }
    Diagnostic d =
        new Diagnostic(Diagnostic.Severity.WARNING, message, span, Optional.of(rule.name()), rule.url());
    if (!found.contains(d)) {
      found.add(d);
    }
  }

  /** An error that stops the checks, as it would stop BuildKit's. */
  private void fail(String message, SourceSpan span) {
    found.add(Diagnostic.error(message, span));
    error = Optional.of(message);
  }

  private Optional<SyntaxNode> node(Instruction instruction) {
    return Optional.ofNullable(nodesByLine.get(instruction.span().startLine()));
  }

  /** The keyword as the user wrote it ({@code Run}), or the canonical one without a node. */
  private String written(Instruction instruction) {
    return node(instruction).map(SyntaxNode::keywordAsWritten).orElse(instruction.keyword());
  }

  // ---------------------------------------------------------------------------------------
  // checks that read the file as parsed

  private void parserWarnings() {
    for (Diagnostic w : syntax.warnings()) {
      if (w.rule().equals(Optional.of(Rules.NO_EMPTY_CONTINUATION.name()))) {
        report(Rules.NO_EMPTY_CONTINUATION, w.span(), Rules.NO_EMPTY_CONTINUATION.format());
      }
    }
  }

  private void parseTimeChecks() {
    for (Arg arg : dockerfile.globalArgs()) {
      definitionDescription(arg);
    }
    for (Stage stage : dockerfile.stages()) {
      From from = stage.from();
      node(from).ifPresent(this::fromCasing);
      from.name().ifPresent(name -> definitionDescription("FROM", List.of(name), from));
      for (Instruction i : stage.instructions()) {
        if (i instanceof Maintainer) {
          report(Rules.MAINTAINER_DEPRECATED, i.span(), Rules.MAINTAINER_DEPRECATED.format());
        } else if (i instanceof Arg) {
          definitionDescription((Arg) i);
        }
      }
    }
  }

  /** {@code StageNameCasing} and {@code FromAsCasing}, from the FROM line as written. */
  private void fromCasing(SyntaxNode n) {
    List<String> args = n.args();
    if (args.size() != 3) {
      return;
    }
    String name = args.get(2);
    if (!name.equals(name.toLowerCase(Locale.ROOT))) {
      report(Rules.STAGE_NAME_CASING, n.span(), Rules.STAGE_NAME_CASING.format(name));
    }
    // Only a self-consistent FROM is compared; ConsistentInstructionCasing covers the rest.
    String keyword = n.keywordAsWritten();
    String as = args.get(1);
    boolean lower = keyword.equals(keyword.toLowerCase(Locale.ROOT));
    boolean upper = keyword.equals(keyword.toUpperCase(Locale.ROOT));
    boolean mismatch =
        (lower && !as.equals(as.toLowerCase(Locale.ROOT)))
            || (!lower && upper && !as.equals(as.toUpperCase(Locale.ROOT)));
    if (mismatch) {
      report(Rules.FROM_AS_CASING, n.span(), Rules.FROM_AS_CASING.format(as, keyword));
    }
  }

  /**
   * When the file does not convert to the IR, BuildKit still reports the checks it ran while
   * parsing the instructions before the bad one; so do we, then the error.
   */
  private LintReport rejected(DockerfileException e) {
    if (!configure()) {
      return new LintReport(found, error);
    }
    parserWarnings();
    int errorLine = e.primary().span().startLine();
    for (SyntaxNode n : syntax.children()) {
      if (n.span().startLine() >= errorLine) {
        break;
      }
      if (n.keyword().equals("from")) {
        fromCasing(n);
      } else if (n.keyword().equals("maintainer")) {
        report(Rules.MAINTAINER_DEPRECATED, n.span(), Rules.MAINTAINER_DEPRECATED.format());
      }
    }
    for (Diagnostic d : e.diagnostics()) {
      found.add(d);
    }
    error = Optional.of(e.primary().message());
    return finish();
  }


  private void definitionDescription(Arg arg) {
    List<String> keys = new ArrayList<>();
    for (ArgDeclaration d : arg.declarations()) {
      keys.add(d.name());
    }
    definitionDescription("ARG", keys, arg);
  }

  /** The last comment line before a FROM or ARG must start with the name it describes. */
  private void definitionDescription(String instruction, List<String> keys, Instruction at) {
    List<String> comments = node(at).map(this::comments).orElse(List.of());
    if (comments.isEmpty() || keys.isEmpty()) {
      return;
    }
    String first = comments.get(comments.size() - 1).strip().split(" ", -1)[0];
    if (keys.contains(first)) {
      return;
    }
    String example = keys.size() > 1 ? "<arg_key>" : keys.get(0);
    report(
        Rules.INVALID_DEFINITION_DESCRIPTION,
        at.span(),
        Rules.INVALID_DEFINITION_DESCRIPTION.format(instruction, example));
  }

  private void stageNames() {
    Set<String> seen = new LinkedHashSet<>();
    for (Stage stage : dockerfile.stages()) {
      Optional<String> name = stage.name();
      if (name.isEmpty()) {
        continue;
      }
      SourceSpan span = stage.from().span();
      if (RESERVED_STAGE_NAMES.contains(name.get())) {
        report(Rules.RESERVED_STAGE_NAME, span, Rules.RESERVED_STAGE_NAME.format(name.get()));
      }
      if (!seen.add(name.get())) {
        report(Rules.DUPLICATE_STAGE_NAME, span, Rules.DUPLICATE_STAGE_NAME.format(name.get()));
      }
    }
  }

  /** Keywords in stages must be consistently cased, and cased like the majority. */
  private void instructionCasing() {
    int lower = 0;
    int upper = 0;
    List<Instruction> all = new ArrayList<>();
    for (Stage stage : dockerfile.stages()) {
      all.add(stage.from());
      all.addAll(stage.instructions());
    }
    for (Instruction i : all) {
      String k = written(i);
      if (k.equals(k.toLowerCase(Locale.ROOT))) {
        lower++;
      } else if (k.equals(k.toUpperCase(Locale.ROOT))) {
        upper++;
      }
    }
    boolean majorityLower = lower > upper;
    for (Instruction i : all) {
      String k = written(i);
      String correct = null;
      if (majorityLower && !k.equals(k.toLowerCase(Locale.ROOT))) {
        correct = "lowercase";
      } else if (!majorityLower && !k.equals(k.toUpperCase(Locale.ROOT))) {
        correct = "uppercase";
      }
      if (correct != null) {
        report(
            Rules.CONSISTENT_INSTRUCTION_CASING,
            i.span(),
            Rules.CONSISTENT_INSTRUCTION_CASING.format(k, correct));
      }
    }
  }

  // ---------------------------------------------------------------------------------------
  // FROM lines and global args

  private String targetStageName() {
    return dockerfile.lastStage().name().orElse("default");
  }

  private BuildArgs buildArgs(Map<String, String> values) {
    return new BuildArgs(values, options.buildPlatform(), options.targetPlatform(), targetStageName());
  }

  /** Global args from the meta ARGs; throws where a default does not expand. */
  private GlobalArgs globalArgs(Map<String, String> values) throws MetaArgFailure {
    GlobalArgs g = GlobalArgs.start(buildArgs(values), lexer);
    for (Arg arg : dockerfile.globalArgs()) {
      for (ArgDeclaration d : arg.declarations()) {
        try {
          g = g.declare(d.name(), d.defaultValue());
        } catch (ExpansionException e) {
          throw new MetaArgFailure(e, arg.span());
        }
      }
    }
    return g;
  }

  /** A meta ARG default that does not expand, and where it stands. */
  private static final class MetaArgFailure extends Exception {
    private static final long serialVersionUID = 1L;
    private final transient SourceSpan span;

    MetaArgFailure(ExpansionException cause, SourceSpan span) {
      super(cause.getMessage(), null, false, false);
      this.span = span;
    }
  }

  /** With default values only, every FROM must still name a valid image. */
  private void invalidDefaultArgs() {
    GlobalArgs defaults;
    try {
      defaults = globalArgs(Map.of());
    } catch (MetaArgFailure e) {
      return; // the real evaluation below reports it
    }
    for (Stage stage : dockerfile.stages()) {
      From from = stage.from();
      try {
        String image = defaults.expand(from.image()).value();
        if (!ImageReferences.isValid(image)) {
          report(Rules.INVALID_DEFAULT_ARG_IN_FROM, from.span(), Rules.INVALID_DEFAULT_ARG_IN_FROM.format(from.image()));
        }
      } catch (ExpansionException e) {
        return;
      }
    }
  }

  /** Expands every FROM image and platform; returns the global args, or null after an error. */
  private GlobalArgs fromLines() {
    GlobalArgs global;
    try {
      global = globalArgs(options.buildArgs());
    } catch (MetaArgFailure e) {
      fail(e.getMessage(), e.span);
      return null;
    }
    List<String> defined = new ArrayList<>(global.declaredNames());
    for (String k : global.env().names()) {
      if (!defined.contains(k)) {
        defined.add(k);
      }
    }
    for (Stage stage : dockerfile.stages()) {
      From from = stage.from();
      try {
        Expansion image = global.expand(from.image());
        undefinedInFrom(image, defined, from);
        if (image.value().isEmpty()) {
          fail("base name (" + from.image() + ") should not be blank", from.span());
          return null;
        }
      } catch (ExpansionException e) {
        fail(e.getMessage(), from.span());
        return null;
      }
      if (from.platform().isPresent()) {
        String raw = from.platform().get();
        Expansion platform;
        try {
          platform = global.expand(raw);
        } catch (ExpansionException e) {
          fail("failed to process arguments for platform: " + e.getMessage(), from.span());
          return null;
        }
        undefinedInFrom(platform, defined, from);
        redundantTargetPlatform(raw, platform, global, from);
        constantPlatform(platform, stage, from);
        List<String> withValues = new ArrayList<>(global.env().names());
        if (platform.value().isEmpty()) {
          fail("empty platform value from expression " + raw + hint(platform, withValues), from.span());
          return null;
        }
        Optional<String> problem = PlatformText.problem(platform.value());
        if (problem.isPresent()) {
          fail("failed to parse platform " + raw + ": " + problem.get() + hint(platform, withValues), from.span());
          return null;
        }
      }
    }
    return global;
  }

  /** BuildKit's {@code wrapSuggestAny}: a hint for the first unset name that has one. */
  private static String hint(Expansion e, List<String> options) {
    for (String name : e.unset()) {
      Optional<String> s = Suggestions.closest(name, options, true);
      if (s.isPresent()) {
        return " (did you mean " + s.get() + "?)";
      }
    }
    return "";
  }

  private void undefinedInFrom(Expansion e, List<String> defined, From from) {
    for (String name : e.unset()) {
      if (defined.contains(name)) {
        continue;
      }
      String hint = Suggestions.closest(name, defined, true).map(s -> " (did you mean " + s + "?)").orElse("");
      report(Rules.UNDEFINED_ARG_IN_FROM, from.span(), Rules.UNDEFINED_ARG_IN_FROM.format(name, hint));
    }
  }

  private void redundantTargetPlatform(String raw, Expansion e, GlobalArgs global, From from) {
    if (e.used().size() == 1 && e.unset().isEmpty() && e.used().contains("TARGETPLATFORM")) {
      if (global.env().lookup("TARGETPLATFORM").orElse("").equals(e.value())) {
        report(Rules.REDUNDANT_TARGET_PLATFORM, from.span(), Rules.REDUNDANT_TARGET_PLATFORM.format(raw));
      }
    }
  }

  private void constantPlatform(Expansion e, Stage stage, From from) {
    if (!e.used().isEmpty() || !e.unset().isEmpty()) {
      return;
    }
    Optional<Platform> p = PlatformText.parse(e.value(), options.buildPlatform());
    if (p.isEmpty()) {
      return;
    }
    String name = stage.name().orElse("");
    if (name.contains(p.get().os()) || name.contains(p.get().architecture())) {
      return;
    }
    report(Rules.FROM_PLATFORM_FLAG_CONST_DISALLOWED, from.span(), Rules.FROM_PLATFORM_FLAG_CONST_DISALLOWED.format(e.value()));
  }

  // ---------------------------------------------------------------------------------------
  // instructions, stage by stage

  /** What one stage has accumulated; a child stage starts from a copy of its parent's. */
  private static final class StageState {
    StageScope scope;
    boolean envKnown;
    boolean shellSet;
    boolean workdirSet;
    Instruction lastCmd;
    Instruction lastEntrypoint;
    Instruction lastHealthcheck;

    StageState(StageScope scope, boolean envKnown, boolean shellSet, boolean workdirSet) {
      this.scope = scope;
      this.envKnown = envKnown;
      this.shellSet = shellSet;
      this.workdirSet = workdirSet;
    }

    /** A child inherits env, args, SHELL and WORKDIR, not the CMD/ENTRYPOINT/HEALTHCHECK trackers. */
    StageState child() {
      return new StageState(scope, envKnown, shellSet, workdirSet);
    }
  }

  private void dispatchStages(GlobalArgs global) {
    Map<String, StageState> finished = new HashMap<>();
    for (Stage stage : dockerfile.stages()) {
      From from = stage.from();
      String base;
      try {
        base = global.expand(from.image()).value();
      } catch (ExpansionException e) {
        return; // reported with the FROM lines
      }
      StageState state;
      if (finished.containsKey(base)) {
        state = finished.get(base).child();
      } else if (base.equals("scratch")) {
        state = new StageState(global.startStage(Environment.empty()), true, false, false);
      } else {
        Platform expected = expectedPlatform(global, from);
        Optional<BaseImageConfig> config = options.baseImages().lookup(base, expected);
        if (config.isPresent()) {
          Platform actual = config.get().platform();
          if (!actual.os().equals(expected.os()) || !actual.architecture().equals(expected.architecture())) {
            report(Rules.INVALID_BASE_IMAGE_PLATFORM, from.span(),
                Rules.INVALID_BASE_IMAGE_PLATFORM.format(base, actual.format(), expected.format()));
          }
          state = new StageState(global.startStage(config.get().env()), true, !config.get().shell().isEmpty(), false);
        } else {
          state = new StageState(global.startStage(Environment.empty()), false, false, false);
        }
      }
      Dispatch dispatch = new Dispatch(state);
      for (Instruction i : stage.instructions()) {
        i.accept(dispatch);
        if (stopped()) {
          return;
        }
      }
      stage.name().ifPresent(n -> finished.put(n, state));
    }
  }

  private Platform expectedPlatform(GlobalArgs global, From from) {
    if (from.platform().isPresent()) {
      try {
        String p = global.expand(from.platform().get()).value();
        Optional<Platform> parsed = PlatformText.parse(p, options.buildPlatform());
        if (parsed.isPresent()) {
          return parsed.get();
        }
      } catch (ExpansionException e) {
        // reported with the FROM lines
      }
    }
    return options.targetPlatform();
  }

  /** The checks BuildKit runs while dispatching each instruction. */
  private final class Dispatch implements InstructionVisitor<Void> {
    private final StageState st;

    Dispatch(StageState st) {
      this.st = st;
    }

    /** Expands a word the builder expands, reporting undefined variables. Null after an error. */
    private String expand(String word, Instruction at) {
      return expandWith(lexer, word, at);
    }

    private String expandWith(ShellLexer with, String word, Instruction at) {
      if (stopped()) {
        return null;
      }
      try {
        Expansion e = with.expand(word, st.scope.env());
        undefined(e, at);
        return e.value();
      } catch (ExpansionException e) {
        fail(e.getMessage(), at.span());
        return null;
      }
    }

    private void undefined(Expansion e, Instruction at) {
      if (!st.envKnown) {
        return; // the base image's ENV may define it
      }
      List<String> known = new ArrayList<>(st.scope.env().names());
      for (String name : e.unset()) {
        if (st.scope.isDeclaredArg(name) || NON_ENV_ARGS.contains(name)) {
          continue;
        }
        String hint =
            Suggestions.closest(name, known, true).map(s -> " (did you mean $" + s + "?)").orElse("");
        report(Rules.UNDEFINED_VAR, at.span(), Rules.UNDEFINED_VAR.format(name, hint));
      }
    }

    private void secret(String instruction, String key, Instruction at) {
      if (SECRET.matcher(key).find() && !SECRET_ALLOWED.matcher(key).find()) {
        report(Rules.SECRETS_USED_IN_ARG_OR_ENV, at.span(), Rules.SECRETS_USED_IN_ARG_OR_ENV.format(instruction, key));
      }
    }

    private void usedOnce(Instruction current, Instruction previous) {
      if (previous != null) {
        // Reported where the ignored one stands.
        report(Rules.MULTIPLE_INSTRUCTIONS_DISALLOWED, previous.span(),
            Rules.MULTIPLE_INSTRUCTIONS_DISALLOWED.format(written(current)));
      }
    }

    private void jsonArgs(Instruction at, CommandLine command) {
      if (command.prependShell() && !st.shellSet) {
        report(Rules.JSON_ARGS_RECOMMENDED, at.span(), Rules.JSON_ARGS_RECOMMENDED.format(written(at)));
      }
    }

    @Override
    public Void visitFrom(From from) {
      return null; // stage headers are handled by dispatchStages
    }

    @Override
    public Void visitRun(Run run) {
      for (RunMount m : run.mounts()) {
        for (Optional<String> v : List.of(m.target(), m.source(), m.id(), m.env())) {
          v.ifPresent(word -> expand(word, run));
        }
      }
      return null;
    }

    @Override
    public Void visitCmd(Cmd cmd) {
      usedOnce(cmd, st.lastCmd);
      st.lastCmd = cmd;
      jsonArgs(cmd, cmd.command());
      return null;
    }

    @Override
    public Void visitEntrypoint(Entrypoint entrypoint) {
      usedOnce(entrypoint, st.lastEntrypoint);
      st.lastEntrypoint = entrypoint;
      jsonArgs(entrypoint, entrypoint.command());
      return null;
    }

    @Override
    public Void visitHealthcheck(Healthcheck healthcheck) {
      usedOnce(healthcheck, st.lastHealthcheck);
      st.lastHealthcheck = healthcheck;
      return null;
    }

    @Override
    public Void visitShell(Shell shell) {
      st.shellSet = true;
      return null;
    }

    @Override
    public Void visitCopy(Copy copy) {
      List<String> sources = copySources(copy.sources(), copy);
      expand(copy.destination(), copy);
      copy.chown().ifPresent(w -> expand(w, copy));
      copy.chmod().ifPresent(w -> expand(w, copy));
      if (copy.from().isEmpty() && sources != null) {
        for (String src : sources) {
          ignoredFile("Copy", src, copy);
        }
      }
      return null;
    }

    @Override
    public Void visitAdd(Add add) {
      List<String> sources = copySources(add.sources(), add);
      expand(add.destination(), add);
      add.chown().ifPresent(w -> expand(w, add));
      add.chmod().ifPresent(w -> expand(w, add));
      add.checksum().ifPresent(w -> expand(w, add));
      if (sources != null) {
        for (String src : sources) {
          if (!isRemote(src)) {
            ignoredFile("Add", src, add);
          }
        }
      }
      return null;
    }

    /** Expanded path sources; heredoc bodies are expanded (raw) when their delimiter allows. */
    private List<String> copySources(List<CopySource> sources, Instruction at) {
      List<String> out = new ArrayList<>();
      for (CopySource s : sources) {
        if (s instanceof CopySource.PathSource) {
          String v = expand(((CopySource.PathSource) s).path(), at);
          if (v == null) {
            return null;
          }
          out.add(v);
        } else {
          CopySource.HeredocSource h = (CopySource.HeredocSource) s;
          if (h.heredoc().expand()) {
            // BuildKit expands heredoc bodies with a fresh backslash lexer that keeps quotes.
            expandWith(
                new ShellLexer('\\', EnumSet.of(ShellLexer.Option.SKIP_PROCESS_QUOTES)),
                h.heredoc().content(),
                at);
          }
        }
      }
      return out;
    }

    /**
     * {@code CopyIgnoredFile}: the source (or a parent) is excluded and no {@code !} pattern can
     * bring back anything at or below it. The context root counts only when the ignore file
     * excludes everything ({@code *}, {@code **}, {@code **}{@code /*}).
     */
    private void ignoredFile(String command, String src, Instruction at) {
      if (options.ignore().isEmpty()) {
        return;
      }
      IgnoreMatcher m = options.ignore().get();
      String trimmed = src.replaceAll("/+$", "");
      boolean root = trimmed.isEmpty() || trimmed.equals(".") || trimmed.equals("./");
      if (root) {
        boolean everything = false;
        for (String p : m.patterns()) {
          String t = p.strip();
          everything |= t.equals("*") || t.equals("**") || t.equals("**/*");
        }
        if (!everything) {
          return;
        }
      }
      if (!m.matchesOrParentMatches(src)) {
        return;
      }
      if (m.mayReincludeBelow(root ? "." : literalPrefix(src))) {
        return;
      }
      report(Rules.COPY_IGNORED_FILE, at.span(), Rules.COPY_IGNORED_FILE.format(command, src));
    }

    /** The directory part of a source before its first wildcard ({@code sub/*.txt} gives {@code sub}). */
    private String literalPrefix(String src) {
      int wild = -1;
      for (int i = 0; i < src.length(); i++) {
        char c = src.charAt(i);
        if (c == '*' || c == '?' || c == '[') {
          wild = i;
          break;
        }
      }
      if (wild < 0) {
        return src;
      }
      int slash = src.lastIndexOf('/', wild);
      return slash <= 0 ? "." : src.substring(0, slash);
    }

    private boolean isRemote(String src) {
      String lower = src.toLowerCase(Locale.ROOT);
      return lower.startsWith("http://") || lower.startsWith("https://") || lower.startsWith("git://")
          || lower.startsWith("git@") || lower.startsWith("ssh://");
    }

    @Override
    public Void visitEnv(Env env) {
      List<Map.Entry<String, String>> pairs = new ArrayList<>();
      List<String> keys = new ArrayList<>();
      for (KeyValue kv : env.pairs()) {
        String k = expand(kv.key(), env);
        expand(kv.value(), env);
        keys.add(k == null ? kv.key() : k);
        pairs.add(Map.entry(kv.key(), kv.value()));
      }
      if (stopped()) {
        return null;
      }
      for (String key : keys) {
        if (env.legacyForm()) {
          report(Rules.LEGACY_KEY_VALUE_FORMAT, env.span(), Rules.LEGACY_KEY_VALUE_FORMAT.format(written(env), written(env)));
        }
        secret("ENV", key, env);
      }
      try {
        st.scope = st.scope.withEnv(pairs);
      } catch (ExpansionException e) {
        fail(e.getMessage(), env.span());
      }
      return null;
    }

    @Override
    public Void visitArg(Arg arg) {
      for (ArgDeclaration d : arg.declarations()) {
        secret("ARG", d.name(), arg);
        boolean fromCli = options.buildArgs().containsKey(d.name());
        if (d.defaultValue().isPresent() && !fromCli) {
          if (expand(d.defaultValue().get(), arg) == null) {
            return null;
          }
        }
        try {
          st.scope = st.scope.declareArg(d.name(), d.defaultValue());
        } catch (ExpansionException e) {
          fail(e.getMessage(), arg.span());
          return null;
        }
      }
      return null;
    }

    @Override
    public Void visitLabel(Label label) {
      for (KeyValue kv : label.pairs()) {
        expand(kv.key(), label);
        expand(kv.value(), label);
      }
      if (label.legacyForm() && !stopped()) {
        report(Rules.LEGACY_KEY_VALUE_FORMAT, label.span(),
            Rules.LEGACY_KEY_VALUE_FORMAT.format(written(label), written(label)));
      }
      return null;
    }

    @Override
    public Void visitExpose(Expose expose) {
      for (String word : expose.ports()) {
        List<String> ports;
        try {
          // BuildKit expands EXPOSE with word splitting and reports no undefined variables.
          ports = lexer.expandWords(word, st.scope.env());
        } catch (ExpansionException e) {
          fail(e.getMessage(), expose.span());
          return null;
        }
        for (String port : ports) {
          String[] parts = port.split(":", -1);
          String container = parts[parts.length - 1];
          int slash = container.indexOf('/');
          String proto = slash < 0 ? "" : container.substring(slash + 1);
          if (!proto.equals(proto.toLowerCase(Locale.ROOT))) {
            report(Rules.EXPOSE_PROTO_CASING, expose.span(), Rules.EXPOSE_PROTO_CASING.format(port));
          }
          if (parts.length > 1) {
            report(Rules.EXPOSE_INVALID_FORMAT, expose.span(), Rules.EXPOSE_INVALID_FORMAT.format(port));
          }
        }
      }
      return null;
    }

    @Override
    public Void visitVolume(Volume volume) {
      for (String p : volume.paths()) {
        expand(p, volume);
      }
      return null;
    }

    @Override
    public Void visitUser(User user) {
      expand(user.user(), user);
      return null;
    }

    @Override
    public Void visitWorkdir(Workdir workdir) {
      String path = expand(workdir.path(), workdir);
      if (path == null) {
        return null;
      }
      if (!st.workdirSet && !path.startsWith("/")) {
        report(Rules.WORKDIR_RELATIVE_PATH, workdir.span(), Rules.WORKDIR_RELATIVE_PATH.format(path));
      }
      st.workdirSet = true;
      return null;
    }

    @Override
    public Void visitStopSignal(StopSignal stopSignal) {
      expand(stopSignal.signal(), stopSignal);
      return null;
    }

    @Override
    public Void visitOnbuild(Onbuild onbuild) {
      return null; // triggers are checked where they run
    }

    @Override
    public Void visitMaintainer(Maintainer maintainer) {
      return null; // MaintainerDeprecated is reported with the parse-time checks
    }
  }
}
