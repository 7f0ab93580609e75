package dev.jbuild.build;

import dev.jbuild.build.event.BuildEvent;
import dev.jbuild.build.sandbox.RunStep;
import dev.jbuild.cache.BuildCache;
import dev.jbuild.cache.CacheKey;
import dev.jbuild.dockerfile.DockerfileException;
import dev.jbuild.dockerfile.Dockerfiles;
import dev.jbuild.dockerfile.SourceSpan;
import dev.jbuild.dockerfile.ir.Add;
import dev.jbuild.dockerfile.ir.Arg;
import dev.jbuild.dockerfile.ir.ArgDeclaration;
import dev.jbuild.dockerfile.ir.Cmd;
import dev.jbuild.dockerfile.ir.CommandLine;
import dev.jbuild.dockerfile.ir.Copy;
import dev.jbuild.dockerfile.ir.Dockerfile;
import dev.jbuild.dockerfile.ir.Entrypoint;
import dev.jbuild.dockerfile.ir.Env;
import dev.jbuild.dockerfile.ir.Expose;
import dev.jbuild.dockerfile.ir.ExposeSpec;
import dev.jbuild.dockerfile.ir.From;
import dev.jbuild.dockerfile.ir.Healthcheck;
import dev.jbuild.dockerfile.ir.Instruction;
import dev.jbuild.dockerfile.ir.InstructionVisitor;
import dev.jbuild.dockerfile.ir.InvalidValueException;
import dev.jbuild.dockerfile.ir.IrPrinter;
import dev.jbuild.dockerfile.ir.KeyValue;
import dev.jbuild.dockerfile.ir.Label;
import dev.jbuild.dockerfile.ir.Maintainer;
import dev.jbuild.dockerfile.ir.Onbuild;
import dev.jbuild.dockerfile.ir.Run;
import dev.jbuild.dockerfile.ir.RunMount;
import dev.jbuild.dockerfile.ir.Shell;
import dev.jbuild.dockerfile.ir.StopSignal;
import dev.jbuild.dockerfile.ir.User;
import dev.jbuild.dockerfile.ir.Volume;
import dev.jbuild.dockerfile.ir.Workdir;
import dev.jbuild.dockerfile.shell.Environment;
import dev.jbuild.dockerfile.shell.ExpansionException;
import dev.jbuild.dockerfile.shell.StageScope;
import dev.jbuild.layer.EntryType;
import dev.jbuild.layer.LayerBlob;
import dev.jbuild.layer.LayerEntry;
import dev.jbuild.layer.LayerStack;
import dev.jbuild.oci.ContainerConfig;
import dev.jbuild.oci.Descriptor;
import dev.jbuild.oci.HistoryEntry;
import dev.jbuild.oci.ImageConfig;
import dev.jbuild.oci.Platform;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * Runs the instructions of one stage in order, with BuildKit's semantics for each (spec §2):
 * the image config and history evolve as {@code dispatch*} in BuildKit's converter evolves
 * them, and every step that changes the filesystem goes through the build cache first. One
 * executor per stage, confined to one thread.
 */
final class StageExecutor implements InstructionVisitor<Void> {

  /** BuildKit's history comment for Dockerfile steps. */
  static final String HISTORY_COMMENT = "buildkit.dockerfile.v0";

  /** The diffID of a tar with no entries: two zero blocks. */
  static final dev.jbuild.oci.Digest EMPTY_TAR = dev.jbuild.oci.Digest.of(new byte[1024]);

  private static final List<String> DEFAULT_SHELL = List.of("/bin/sh", "-c");
  private static final List<String> WINDOWS_SHELL = List.of("cmd", "/S", "/C");

  private final BuildRun run;
  private final BuildPlan.PlannedStage planned;
  private final Platform platform;

  private ImageConfig config;
  private List<Descriptor> layers;
  private StageScope scope;
  private CacheKey fsKey;
  private boolean cmdSet;
  private LayerStack stack;

  private int stepIndex;
  private int stepCount;
  private BuildEvent.Step step;
  /** Set while ONBUILD triggers run: their errors are reported at the FROM line. */
  private SourceSpan triggerSpan;

  StageExecutor(BuildRun run, BuildPlan.PlannedStage planned, Platform platform) {
    this.run = run;
    this.planned = planned;
    this.platform = platform;
  }

  /** Runs the stage; {@code base} is the finished parent stage for {@code FROM stage}. */
  StageResult execute(StageResult base) {
    From from = planned.stage().from();
    List<Instruction> instructions = planned.stage().instructions();
    stepCount = 1 + instructions.size();
    long start = System.nanoTime();
    beginStep(from, fromText());
    List<String> triggers = start(base);
    finishStep(start, false);

    List<Instruction> triggerInstructions = parseTriggers(triggers, from);
    stepCount += triggerInstructions.size();
    for (List<Instruction> l : List.of(triggerInstructions, instructions)) {
      runsAhead += (int) l.stream().filter(i -> i instanceof Run).count();
    }
    try {
      triggerSpan = from.span();
      for (Instruction i : triggerInstructions) {
        dispatch(i);
      }
      triggerSpan = null;
      for (int k = 0; k < instructions.size(); k++) {
        nextIsRun = k + 1 < instructions.size() && instructions.get(k + 1) instanceof Run;
        dispatch(instructions.get(k));
      }
      nextIsRun = false;
      settlePending();
    } catch (RuntimeException | Error e) {
      cancelPending();
      throw e;
    }
    return new StageResult(
        planned.index(), planned.displayName(), config, layers, fsKey, scope, platform);
  }

  private String fromText() {
    BuildPlan.Base base = planned.base();
    if (base instanceof BuildPlan.ImageBase) {
      return "FROM " + ((BuildPlan.ImageBase) base).ref();
    }
    if (base instanceof BuildPlan.StageBase) {
      return "FROM " + run.plan().stage(((BuildPlan.StageBase) base).index()).displayName();
    }
    return "FROM scratch";
  }

  /** Sets up the state from the base; returns the base's ONBUILD triggers. */
  private List<String> start(StageResult base) {
    BuildPlan.Base b = planned.base();
    List<String> triggers;
    if (b instanceof BuildPlan.StageBase) {
      config = base.config();
      layers = base.layers();
      fsKey = base.fsKey();
      scope = base.scope();
    } else if (b instanceof BuildPlan.ImageBase) {
      // a stage with RUN steps that must pull its base runs them all: start the sandbox
      // beside the pull, and extract the base as soon as it is in (issue 5)
      boolean hasRun = planned.stage().instructions().stream().anyMatch(i -> i instanceof Run);
      Runnable beforePull = hasRun ? run.sandbox()::warmUp : () -> {};
      BaseImages.Resolved r =
          run.baseImages()
              .resolve(((BuildPlan.ImageBase) b).ref(), platform, planned.stage().from().span(),
                  beforePull);
      config = r.config();
      layers = r.manifest().layers();
      if (layers.size() != config.rootfs().diffIds().size()) {
        throw new BuildStepException(
            planned.stage().from().span(),
            "base image " + r.ref().familiar() + " is invalid: its manifest lists "
                + layers.size() + " layers but its config " + config.rootfs().diffIds().size()
                + " diffIDs");
      }
      if (hasRun) {
        // a base just pulled, or in the store but never extracted here (its RUN steps have not
        // run on this root): the worker extracts it now rather than at the first RUN
        run.sandbox().prefetchIfNew(baseLayers());
      }
      fsKey =
          CacheKey.builder("FROM")
              .field("manifest", r.manifestDescriptor().digest())
              .field("platform", platform.toString())
              .build();
      scope = run.plan().globals().startStage(Environment.fromList(config.config().env()));
    } else {
      config =
          ImageConfig.scratch(platform)
              .withConfig(
                  ContainerConfig.empty().toBuilder()
                      .workingDir("/")
                      .env(List.of("PATH=" + StageScope.DEFAULT_PATH))
                      .build());
      layers = List.of();
      fsKey = CacheKey.builder("FROM").field("scratch", platform.toString()).build();
      scope = run.plan().globals().startStage(Environment.fromList(config.config().env()));
    }
    triggers = config.config().onBuild();
    // The config env gains PATH when the base has none (spec §2.2, checklist 35).
    setConfig(c -> c.env(scope.imageEnv().toList()).onBuild(List.of()));
    return triggers;
  }

  /** Parses stored ONBUILD triggers as the child's instructions (spec §2.8). */
  private List<Instruction> parseTriggers(List<String> triggers, From from) {
    if (triggers.isEmpty()) {
      return List.of();
    }
    List<Instruction> out = new ArrayList<>();
    for (String t : triggers) {
      String text = "FROM scratch\n" + t + "\n";
      Dockerfile parsed;
      try {
        parsed =
            Dockerfiles.parse(
                from.span().file(), text.getBytes(StandardCharsets.UTF_8));
      } catch (DockerfileException e) {
        throw new DockerfileException(
            "ONBUILD trigger \"" + t + "\" of the base image is invalid: " + e.primary().message(),
            from.span());
      }
      for (Instruction i : parsed.stages().get(0).instructions()) {
        out.add(i);
      }
      if (parsed.stages().size() > 1) {
        throw new DockerfileException(
            "ONBUILD trigger \"" + t + "\" of the base image is invalid: FROM isn't allowed as"
                + " an ONBUILD trigger",
            from.span());
      }
    }
    return out;
  }

  private void dispatch(Instruction i) {
    run.checkNotFailed();
    if (i instanceof Run) {
      runsAhead--;
    } else {
      settlePending();
    }
    current = i;
    long start = System.nanoTime();
    String text = IrPrinter.print(i);
    int nl = text.indexOf('\n');
    beginStep(i, nl < 0 ? text : text.substring(0, nl));
    cachedStep = false;
    try {
      i.accept(this);
    } catch (DockerfileException e) {
      if (triggerSpan != null) {
        throw new DockerfileException(
            "in ONBUILD trigger \"" + text + "\": " + e.primary().message(), triggerSpan);
      }
      throw e;
    } catch (BuildStepException e) {
      if (triggerSpan != null) {
        throw new BuildStepException(
            triggerSpan, "in ONBUILD trigger \"" + text + "\": " + e.getMessage(), e);
      }
      throw e;
    }
    finishStep(start, cachedStep);
  }

  private boolean cachedStep;
  /** The instruction being dispatched. */
  private Instruction current;
  /** The RUN instructions of the stage after the current one. */
  private int runsAhead;
  /** Whether the instruction after the current one is a RUN (ONBUILD triggers: false). */
  private boolean nextIsRun;
  /**
   * The RUN steps just before the current one whose layers were still being written as their
   * processes ended, oldest first: the current RUN step stacks them meanwhile ({@link
   * dev.jbuild.build.sandbox.Sandbox.Started#early}). {@code fsKey} is the last one's key
   * already; {@code layers} and {@code config} get them at {@link #settlePending}.
   */
  private final java.util.ArrayDeque<PendingRun> pendingRuns = new java.util.ArrayDeque<>();

  /** A RUN step whose layer the sandbox still writes. */
  private record PendingRun(
      BuildRun.StartedRun started, CacheKey key, String createdBy, BuildEvent.Step step) {}

  /** Waits for the pending RUN steps' layers and adds them in order (a failure is thrown). */
  private void settlePending() {
    while (!pendingRuns.isEmpty()) {
      PendingRun p = pendingRuns.removeFirst();
      recordLayer(p.key(), p.createdBy(), p.step(), p.started().layer());
    }
  }

  /**
   * Gives the pending RUN steps up (the build failed): no layers, no cache entries. Oldest
   * first: the worker fails the steps stacked on a given-up layer at once, where a step on top
   * would wait for the layers below it before it gives up.
   */
  private void cancelPending() {
    while (!pendingRuns.isEmpty()) {
      pendingRuns.removeFirst().started().cancel();
    }
  }

  private void beginStep(Instruction i, String text) {
    stepIndex++;
    step =
        new BuildEvent.Step(
            planned.displayName(), stepIndex, stepCount, text, i.span().startLine());
    run.listener().onEvent(new BuildEvent.StepStarted(step));
  }

  private void finishStep(long startNanos, boolean cached) {
    run.countStep(cached);
    run.listener()
        .onEvent(
            new BuildEvent.StepFinished(
                step, (System.nanoTime() - startNanos) / 1_000_000, cached));
  }

  private SourceSpan span(Instruction i) {
    return triggerSpan != null ? triggerSpan : i.span();
  }

  // ---- state helpers ----

  private interface ConfigChange {
    ContainerConfig.Builder apply(ContainerConfig.Builder b);
  }

  private void setConfig(ConfigChange change) {
    config = config.withConfig(change.apply(config.config().toBuilder()).build());
  }

  private void history(String createdBy) {
    config =
        config.withEmptyLayerHistory(
            HistoryEntry.of(run.created(), createdBy, HISTORY_COMMENT, true));
  }

  private String word(String w, Instruction i) {
    try {
      return scope.lexer().expandWord(w, scope.env());
    } catch (ExpansionException e) {
      throw new DockerfileException(e.getMessage(), i.span());
    }
  }

  private List<String> words(String w, Instruction i) {
    try {
      return scope.lexer().expandWords(w, scope.env());
    } catch (ExpansionException e) {
      throw new DockerfileException(e.getMessage(), i.span());
    }
  }

  private List<String> shell() {
    List<String> s = config.config().shell();
    if (!s.isEmpty()) {
      return s;
    }
    return "windows".equals(platform.os()) ? WINDOWS_SHELL : DEFAULT_SHELL;
  }

  /** BuildKit's {@code withShell}: the shell followed by the words joined by spaces. */
  private List<String> withShell(List<String> words) {
    List<String> out = new ArrayList<>(shell());
    out.add(String.join(" ", words));
    return out;
  }

  /** The stage's merged filesystem, read from its layers' headers once per layer list. */
  LayerStack stack() {
    if (stack == null) {
      stack = run.layerStack(layers, step, spanOfStep());
    }
    return stack;
  }

  /** A step's reading of the stage's filesystem. */
  interface FilesystemRead<T> {
    T apply(LayerStack fs) throws IOException;
  }

  /**
   * Runs {@code read} on the part of the stage's filesystem that {@code paths} (with their
   * parents) and {@code subtrees} cover, read from the layers' header indexes on its own: a
   * step that needs a few paths does not pay for indexing every file of the stage. The whole
   * filesystem is used when it is indexed already, when that part cannot be read alone (a link
   * in it), and when {@code read} asks about a path outside it, in which case it runs again.
   */
  <T> T readFilesystem(
      java.util.Collection<String> paths, java.util.Collection<String> subtrees,
      FilesystemRead<T> read) throws IOException {
    if (stack == null) {
      Optional<LayerStack> part =
          run.partialLayerStack(layers, paths, subtrees, spanOfStep());
      if (part.isPresent()) {
        try (LayerStack fs = part.get()) {
          return read.apply(fs);
        } catch (LayerStack.OutsidePartException e) {
          // more than the part was needed: read the whole filesystem
        }
      }
    }
    return read.apply(stack());
  }

  private SourceSpan spanOfStep() {
    return triggerSpan != null ? triggerSpan : currentSpan;
  }

  private SourceSpan currentSpan;

  /**
   * A step that adds a layer: served from the build cache when the key is known, else {@code
   * produce} writes the layer, which is recorded under the key.
   */
  private void layerStep(CacheKey stepKey, String createdBy, Supplier<LayerBlob> produce) {
    CacheKey key = layerKey(stepKey);
    Optional<BuildCache.CachedLayer> hit = cachedLayer(key);
    if (hit.isPresent()) {
      addCachedLayer(hit.get(), key, createdBy);
      return;
    }
    if (runsAhead > 0 && !(current instanceof Run)) {
      // every later RUN of the stage misses the cache too (their keys descend from this one):
      // the sandbox worker starts now, beside this step, not when the first of them needs it
      run.sandbox().warmUp();
    }
    recordLayer(key, createdBy, step, produce.get());
  }

  /** The layer the build cache holds under {@code key}; none with {@code --no-cache}. */
  private Optional<BuildCache.CachedLayer> cachedLayer(CacheKey key) {
    return run.request().noCache() ? Optional.empty() : run.cache().layer(key);
  }

  /** Adds the cached layer {@code hit} as the current step's: the step is CACHED. */
  private void addCachedLayer(BuildCache.CachedLayer hit, CacheKey key, String createdBy) {
    cachedStep = true;
    run.listener().onEvent(new BuildEvent.StepCached(step));
    addLayer(hit.layer(), hit.diffId(), hit.created(), createdBy, key);
  }

  /** The key of a step's layer: the same step compressed another way is another layer blob. */
  private CacheKey layerKey(CacheKey stepKey) {
    return CacheKey.builder("LAYER")
        .parent(stepKey)
        .field("compression", run.request().compression().name())
        .build();
  }

  /** Records a layer that step {@code of} wrote under {@code key}, and adds it to the stage. */
  private void recordLayer(CacheKey key, String createdBy, BuildEvent.Step of, LayerBlob blob) {
    Descriptor d = Descriptor.of(blob.mediaType(), blob.digest(), blob.size());
    run.listener().onEvent(new BuildEvent.LayerWritten(of, blob.digest(), blob.diffId(), blob.size()));
    Instant created = run.created();
    run.recordInCache(key, new BuildCache.CachedLayer(d, blob.diffId(), created));
    addLayer(d, blob.diffId(), created, createdBy, key);
  }

  /**
   * A RUN step without mounts that follows a RUN step or precedes one (issue 5/7): it stacks
   * the layers of the steps before that are still being written, and when the next instruction
   * is a RUN it leaves its own layer pending ({@link #pendingRuns}), so that the snapshots run
   * beside the next steps' processes. Layers, cache entries and image config are recorded in
   * step order all the same, each only once its layer is stored; a failure of a step below is
   * the build's error.
   */
  private void pipelinedRun(CacheKey stepKey, String createdBy, RunStep runStep,
      RunMounts.Prepared prepared) {
    CacheKey key = layerKey(stepKey);
    Optional<BuildCache.CachedLayer> hit = cachedLayer(key);
    if (hit.isPresent()) {
      settlePending();
      addCachedLayer(hit.get(), key, createdBy);
      return;
    }
    BuildRun.StartedRun started;
    try (RunMounts.Acquired held = prepared.acquire()) {
      started = run.startInSandbox(held.apply(runStep));
    } catch (RuntimeException e) {
      settlePending(); // a failure of a step below came first
      throw e;
    }
    if (nextIsRun && started.early() != null) {
      pendingRuns.addLast(new PendingRun(started, key, createdBy, step));
      fsKey = key; // the next step's key descends from this one
      return;
    }
    try {
      settlePending();
    } catch (RuntimeException e) {
      started.cancel();
      throw e;
    }
    recordLayer(key, createdBy, step, started.layer());
  }

  private void addLayer(
      Descriptor layer, dev.jbuild.oci.Digest diffId, Instant created, String createdBy,
      CacheKey key) {
    if (diffId.equals(EMPTY_TAR)) {
      // a step that changed nothing (a RUN that wrote nothing, or only what the sandbox removes
      // again): BuildKit's image exporter drops the empty layer and marks the step's history
      // entry empty_layer (exporter/containerimage, normalizeLayersAndHistory)
      config = config.withEmptyLayerHistory(
          HistoryEntry.of(run.epoch().orElse(created), createdBy, HISTORY_COMMENT, true));
      fsKey = key;
      return;
    }
    List<Descriptor> next = new ArrayList<>(layers);
    next.add(layer);
    layers = List.copyOf(next);
    config =
        config.withLayer(
            diffId, HistoryEntry.of(run.epoch().orElse(created), createdBy, HISTORY_COMMENT, false));
    fsKey = key;
    stack = null;
  }

  // ---- instructions ----

  @Override
  public Void visitFrom(From from) {
    throw new IllegalStateException("FROM inside a stage");
  }

  @Override
  public Void visitEnv(Env env) {
    List<Map.Entry<String, String>> raw = new ArrayList<>();
    StringBuilder commit = new StringBuilder("ENV");
    for (KeyValue kv : env.pairs()) {
      raw.add(Map.entry(kv.key(), kv.value()));
      commit.append(' ').append(word(kv.key(), env)).append('=').append(word(kv.value(), env));
    }
    try {
      scope = scope.withEnv(raw);
    } catch (ExpansionException e) {
      throw new DockerfileException(e.getMessage(), env.span());
    }
    setConfig(c -> c.env(scope.imageEnv().toList()));
    history(commit.toString());
    return null;
  }

  @Override
  public Void visitArg(Arg arg) {
    List<String> commit = new ArrayList<>();
    for (ArgDeclaration d : arg.declarations()) {
      try {
        scope = scope.declareArg(d.name(), d.defaultValue());
      } catch (ExpansionException e) {
        throw new DockerfileException(e.getMessage(), arg.span());
      }
      List<StageScope.DeclaredArg> declared = scope.declaredArgs();
      Optional<String> value = declared.get(declared.size() - 1).value();
      commit.add(d.name() + value.map(v -> "=" + v).orElse(""));
    }
    history("ARG " + String.join(" ", commit));
    return null;
  }

  @Override
  public Void visitLabel(Label label) {
    Map<String, String> labels = new LinkedHashMap<>(config.config().labels());
    StringBuilder commit = new StringBuilder("LABEL");
    for (KeyValue kv : label.pairs()) {
      String k = word(kv.key(), label);
      String v = word(kv.value(), label);
      if (k.isEmpty()) {
        throw new DockerfileException("LABEL names can not be blank", label.span());
      }
      labels.put(k, v);
      commit.append(' ').append(k).append('=').append(v);
    }
    setConfig(c -> c.labels(labels));
    history(commit.toString());
    return null;
  }

  @Override
  public Void visitMaintainer(Maintainer m) {
    config = config.withAuthor(m.name());
    history("MAINTAINER " + m.name());
    return null;
  }

  @Override
  public Void visitExpose(Expose expose) {
    List<String> ports = new ArrayList<>();
    for (String p : expose.ports()) {
      for (String w : words(p, expose)) {
        try {
          ports.addAll(ExposeSpec.parse(w).portKeys());
        } catch (InvalidValueException e) {
          throw new DockerfileException(e.getMessage(), expose.span());
        }
      }
    }
    List<String> all = new ArrayList<>(config.config().exposedPorts());
    all.addAll(ports);
    setConfig(c -> c.exposedPorts(all));
    history("EXPOSE " + GoFormat.plainList(ports));
    return null;
  }

  @Override
  public Void visitVolume(Volume volume) {
    List<String> paths = new ArrayList<>();
    for (String p : volume.paths()) {
      String v = word(p.strip(), volume);
      if (v.isEmpty()) {
        throw new DockerfileException(
            "VOLUME specified can not be an empty string", volume.span());
      }
      paths.add(v);
    }
    List<String> all = new ArrayList<>(config.config().volumes());
    all.addAll(paths);
    setConfig(c -> c.volumes(all));
    history("VOLUME " + GoFormat.plainList(paths));
    return null;
  }

  @Override
  public Void visitUser(User user) {
    String u = word(user.user(), user);
    setConfig(c -> c.user(u));
    history("USER " + u);
    return null;
  }

  @Override
  public Void visitStopSignal(StopSignal s) {
    String sig = word(s.signal(), s);
    if (!Signals.isValid(sig)) {
      throw new DockerfileException("Invalid signal: " + sig, s.span());
    }
    setConfig(c -> c.stopSignal(sig));
    history("STOPSIGNAL " + sig);
    return null;
  }

  @Override
  public Void visitShell(Shell s) {
    setConfig(c -> c.shell(s.shell()));
    history("SHELL " + GoFormat.plainList(s.shell()));
    return null;
  }

  @Override
  public Void visitCmd(Cmd cmd) {
    List<String> args =
        cmd.command().prependShell() ? withShell(cmd.command().words()) : cmd.command().words();
    setConfig(c -> c.cmd(args).argsEscaped(true));
    cmdSet = true;
    history("CMD " + GoFormat.quotedList(args));
    return null;
  }

  @Override
  public Void visitEntrypoint(Entrypoint e) {
    List<String> args =
        e.command().prependShell() ? withShell(e.command().words()) : e.command().words();
    boolean keepCmd = cmdSet;
    setConfig(c -> keepCmd ? c.entrypoint(args) : c.entrypoint(args).cmd(null));
    history("ENTRYPOINT " + GoFormat.quotedList(args));
    return null;
  }

  @Override
  public Void visitHealthcheck(Healthcheck h) {
    List<String> test;
    if (h.isNone()) {
      test = List.of("NONE");
    } else {
      CommandLine c = h.command().orElseThrow();
      test = new ArrayList<>();
      if (c.prependShell()) {
        test.add("CMD-SHELL");
        test.add(String.join(" ", c.words()));
      } else {
        test.add("CMD");
        test.addAll(c.words());
      }
    }
    dev.jbuild.oci.Healthcheck hc =
        new dev.jbuild.oci.Healthcheck(
            test, h.interval(), h.timeout(), h.startPeriod(), h.startInterval(), h.retries(),
            null);
    setConfig(c -> c.healthcheck(hc));
    history("HEALTHCHECK " + GoFormat.healthcheck(hc));
    return null;
  }

  @Override
  public Void visitOnbuild(Onbuild o) {
    List<String> triggers = new ArrayList<>(config.config().onBuild());
    triggers.add(IrPrinter.print(o.trigger()));
    setConfig(c -> c.onBuild(triggers));
    return null;
  }

  @Override
  public Void visitWorkdir(Workdir w) {
    String requested = word(w.path(), w);
    if (requested.isEmpty()) {
      throw new DockerfileException("cannot normalize nothing: WORKDIR is empty", w.span());
    }
    String wd = SlashPaths.workdir(config.config().workingDir(), requested);
    setConfig(c -> c.workingDir(wd));
    if (wd.equals("/")) {
      history("WORKDIR /");
      return null;
    }
    String user = config.config().user() == null ? "" : config.config().user();
    currentSpan = span(w);
    CacheKey key =
        CacheKey.builder("WORKDIR").parent(fsKey).field("path", wd).field("user", user).build();
    layerStep(key, "WORKDIR " + wd, () -> writeLayer(mkdir(wd, user, w), span(w)));
    return null;
  }

  /**
   * The entries {@code mkdir -p} adds for WORKDIR (spec §2.8): missing directories 0755 owned
   * by the current USER, the existing ones on the way with their own metadata. Symbolic links
   * on the way are followed inside the stage's filesystem.
   */
  private List<LayerEntry> mkdir(String wd, String user, Workdir w) {
    try {
      // only the directories on the way and the user database matter: read just those
      List<String> wanted = new ArrayList<>(List.of(wd.substring(1)));
      wanted.addAll(UserDb.filesRead(user));
      return readFilesystem(wanted, List.of(), fs -> mkdir(wd, user, w, fs));
    } catch (IOException e) {
      throw new BuildStepException(span(w), "cannot read the stage's filesystem: " + e.getMessage(), e);
    }
  }

  private List<LayerEntry> mkdir(String wd, String user, Workdir w, LayerStack fs)
      throws IOException {
    UserDb.Owner owner =
        user.isEmpty()
            ? new UserDb.Owner(0, 0)
            : UserDb.needsLookup(user)
                ? new UserDb(fs).resolve(user)
                : new UserDb(null).resolve(user);
    Instant mtime = run.created();
    List<LayerEntry> out = new ArrayList<>();
    Deque<String> todo = new ArrayDeque<>(Arrays.asList(wd.substring(1).split("/")));
    String cur = "";
    int links = 0;
    boolean creating = false;
    while (!todo.isEmpty()) {
      String comp = todo.removeFirst();
      if (comp.isEmpty() || comp.equals(".")) {
        continue;
      }
      if (comp.equals("..")) {
        int slash = cur.lastIndexOf('/');
        cur = slash < 0 ? "" : cur.substring(0, slash);
        continue;
      }
      String next = cur.isEmpty() ? comp : cur + "/" + comp;
      Optional<LayerEntry> e = creating ? Optional.empty() : fs.stat(next);
      if (e.isEmpty()) {
        creating = true;
        out.add(LayerEntry.directory(next, 0755).withOwner(owner.uid(), owner.gid()).withMtime(mtime));
        cur = next;
        continue;
      }
      LayerEntry entry = e.get();
      if (entry.type() == EntryType.SYMLINK) {
        if (++links > 255) {
          throw new BuildStepException(span(w), "mkdir " + wd + ": too many levels of symbolic links");
        }
        String target = entry.linkTarget();
        List<String> parts = new ArrayList<>(Arrays.asList(target.split("/")));
        for (int k = parts.size() - 1; k >= 0; k--) {
          todo.addFirst(parts.get(k));
        }
        if (target.startsWith("/")) {
          cur = "";
        }
        continue;
      }
      if (entry.type() != EntryType.DIRECTORY) {
        throw new BuildStepException(
            span(w), "mkdir " + wd + ": /" + next + " exists and is not a directory");
      }
      out.add(entry.withPath(next));
      cur = next;
    }
    if (!creating) {
      // nothing to create: an empty layer, as BuildKit's mkdir -p on an existing directory
      return List.of();
    }
    return out;
  }

  @Override
  public Void visitCopy(Copy copy) {
    currentSpan = span(copy);
    run.copySteps().copy(this, copy);
    return null;
  }

  @Override
  public Void visitAdd(Add add) {
    currentSpan = span(add);
    run.copySteps().add(this, add);
    return null;
  }

  /** A shell-form RUN whose whole command is one here-document: {@code RUN <<EOF}. */
  private static final java.util.regex.Pattern SINGLE_HEREDOC =
      java.util.regex.Pattern.compile("[0-9]*<<-?\\s*([\"']?)[A-Za-z_][A-Za-z0-9._-]*\\1");

  @Override
  public Void visitRun(Run r) {
    currentSpan = span(r);
    List<String> words = r.command().words();
    List<RunStep.InlineFile> pipes = List.of();
    if (!r.heredocs().isEmpty()) {
      // BuildKit's dispatchRun: a lone here-document is the script (or, with a #! line, a
      // file run from /dev/pipes); otherwise the shell gets the bodies after the command
      String script = ((CommandLine.ShellForm) r.command()).script();
      dev.jbuild.dockerfile.syntax.Heredoc first = r.heredocs().get(0);
      if (SINGLE_HEREDOC.matcher(script.strip()).matches()) {
        if (!"windows".equals(platform.os()) && first.content().startsWith("#!")) {
          pipes =
              List.of(
                  new RunStep.InlineFile(
                      first.name(), first.content().getBytes(StandardCharsets.UTF_8), 0755));
          words = List.of("/dev/pipes/" + first.name());
        } else {
          words = List.of(first.content());
        }
      } else {
        StringBuilder sb = new StringBuilder(script);
        for (dev.jbuild.dockerfile.syntax.Heredoc h : r.heredocs()) {
          sb.append('\n').append(h.content()).append(h.name());
        }
        words = List.of(sb.toString());
      }
    }
    List<String> args = r.command().prependShell() ? withShell(words) : words;
    List<RunMount> mounts = new ArrayList<>();
    for (RunMount m : r.mounts()) {
      try {
        mounts.add(m.expand(w -> word(w, r)));
      } catch (InvalidValueException e) {
        throw new DockerfileException(e.getMessage(), r.span());
      }
    }
    List<String> historyArgs = scope.historyArgs();
    StringBuilder createdBy = new StringBuilder("RUN ");
    if (!historyArgs.isEmpty()) {
      createdBy.append('|').append(historyArgs.size()).append(' ');
      createdBy.append(String.join(" ", historyArgs)).append(' ');
    }
    createdBy.append(String.join(" ", args)).append(" # buildkit");
    String user = config.config().user() == null ? "" : config.config().user();
    String workdir = config.config().workingDir() == null ? "/" : config.config().workingDir();
    CacheKey.Builder kb =
        CacheKey.builder("RUN")
            .parent(fsKey)
            .field("command", IrPrinter.print(r))
            .field("args", String.join("\u0000", args))
            .field("env", String.join("\u0000", scope.env().toList()))
            .field("user", user)
            .field("workdir", workdir)
            .field("shell", String.join("\u0000", shell()));
    for (RunMount m : mounts) {
      kb.field("mount", m.toSpec());
    }
    boolean pipelined = mounts.isEmpty() && (!pendingRuns.isEmpty() || nextIsRun);
    if (!pipelined) {
      settlePending();
    }
    RunMounts.Prepared prepared = run.runMounts().prepare(this, r, mounts, workdir);
    prepared.addKeyFields(kb);
    List<RunStep.Layer> base = baseLayers();
    for (PendingRun p : pendingRuns) {
      base.add(p.started().early());
    }
    BuildEvent.Step current = step;
    RunStep runStep =
        new RunStep(
            span(r),
            args,
            prepared.env(scope.runEnv().toList()),
            user,
            workdir,
            base,
            mounts,
            r.effectiveNetwork(),
            r.effectiveSecurity(),
            pipes,
            line -> run.listener().onEvent(new BuildEvent.OutputLine(current, line)),
            run.layerWriter().options());
    if (pipelined) {
      pipelinedRun(kb.build(), createdBy.toString(), runStep, prepared);
      return null;
    }
    layerStep(
        kb.build(),
        createdBy.toString(),
        () -> {
          try (RunMounts.Acquired held = prepared.acquire()) {
            return run.runInSandbox(held.apply(runStep), current);
          }
        });
    return null;
  }

  /** The stage's layers so far, as a RUN step stacks them. */
  private List<RunStep.Layer> baseLayers() {
    return new ArrayList<>(
        RunStep.Layer.stored(run.cache().blobs(), layers, config.rootfs().diffIds()));
  }

  // ---- what the COPY/ADD steps need ----

  /** Writes the current step's layer of {@code entries} into the store. */
  LayerBlob writeLayer(List<LayerEntry> entries, SourceSpan span) {
    return run.writeLayer(entries, step, span, this::storedBeforeRun);
  }

  /**
   * A layer this stage just stored, when a RUN of the stage comes after it: that RUN misses
   * the cache (its key descends from this step's) and its sandbox worker has to extract the
   * layer, which it starts now, beside the rest of this step and the start of the next one
   * (its cache entry, 10-45 ms of noop-rebuild's 500-file COPY before the RUN asked for it).
   */
  private void storedBeforeRun(LayerBlob blob) {
    if (runsAhead > 0 && !(current instanceof Run) && !blob.diffId().equals(EMPTY_TAR)) {
      run.sandbox().extractAhead(List.of(new dev.jbuild.build.sandbox.RunStep.Layer(
          run.cache().blobs().path(blob.digest()), blob.diffId())));
    }
  }

  BuildEvent.Step step() {
    return step;
  }

  StageScope scope() {
    return scope;
  }

  ImageConfig config() {
    return config;
  }

  CacheKey fsKey() {
    return fsKey;
  }

  Platform platform() {
    return platform;
  }

  String expandWord(String w, Instruction i) {
    return word(w, i);
  }

  /** A here-document body: quotes are ordinary characters, references expand. */
  String expandHeredoc(String body, Instruction i) {
    try {
      return scope
          .lexer()
          .with(dev.jbuild.dockerfile.shell.ShellLexer.Option.SKIP_PROCESS_QUOTES)
          .expandWord(body, scope.env());
    } catch (ExpansionException e) {
      throw new DockerfileException(e.getMessage(), i.span());
    }
  }

  SourceSpan spanOf(Instruction i) {
    return span(i);
  }

  /** A COPY/ADD layer step: cache lookup by {@code key}, else {@code produce}. */
  void copyLayerStep(CacheKey key, String createdBy, Supplier<LayerBlob> produce) {
    layerStep(key, createdBy + " # buildkit", produce);
  }

  /**
   * A {@code COPY --link} layer step: {@code key} leaves out the filesystem below, and the
   * stage's filesystem key afterwards combines both (BuildKit's MergeOp of the stage and the
   * copy done on scratch).
   */
  void linkedLayerStep(CacheKey key, String createdBy, Supplier<LayerBlob> produce) {
    CacheKey below = fsKey;
    layerStep(key, createdBy + " # buildkit", produce);
    fsKey = CacheKey.builder("MERGE").parent(below).field("layer", fsKey.toString()).build();
  }
}
