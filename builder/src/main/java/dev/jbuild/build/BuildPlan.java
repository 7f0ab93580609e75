package dev.jbuild.build;

import dev.jbuild.build.registry.ImageReference;
import dev.jbuild.build.registry.InvalidReferenceException;
import dev.jbuild.dockerfile.Diagnostic;
import dev.jbuild.dockerfile.DockerfileException;
import dev.jbuild.dockerfile.SourceSpan;
import dev.jbuild.dockerfile.ir.Arg;
import dev.jbuild.dockerfile.ir.ArgDeclaration;
import dev.jbuild.dockerfile.ir.Copy;
import dev.jbuild.dockerfile.ir.Dockerfile;
import dev.jbuild.dockerfile.ir.From;
import dev.jbuild.dockerfile.ir.Instruction;
import dev.jbuild.dockerfile.ir.Run;
import dev.jbuild.dockerfile.ir.RunMount;
import dev.jbuild.dockerfile.ir.Stage;
import dev.jbuild.dockerfile.shell.ExpansionException;
import dev.jbuild.dockerfile.shell.GlobalArgs;
import dev.jbuild.oci.Platform;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * The stage graph of a Dockerfile (BuildKit's {@code toDispatchState}): each stage's base (an
 * earlier stage, an image or scratch) with FROM expanded against the global ARGs, the stages
 * it copies or mounts from, which stages the target needs, and a check for circular
 * references. Stages the target does not need are never run and their images never resolved.
 */
final class BuildPlan {

  /** What a stage starts from. */
  sealed interface Base {}

  /** {@code FROM scratch}: an empty filesystem. */
  record ScratchBase() implements Base {}

  /** {@code FROM <earlier stage>}. */
  record StageBase(int index) implements Base {}

  /** {@code FROM <image>}. */
  record ImageBase(ImageReference ref) implements Base {}

  /**
   * One stage as planned.
   *
   * @param stage the stage's IR
   * @param displayName its name, or {@code stage-N}
   * @param base what it starts from
   * @param platform the expanded {@code FROM --platform}, if given
   * @param deps the stages its COPY --from and RUN --mount from read, with the instruction
   */
  record PlannedStage(
      Stage stage,
      String displayName,
      Base base,
      Optional<Platform> platform,
      Map<Integer, Instruction> deps) {
    PlannedStage {
      deps = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(deps));
    }

    int index() {
      return stage.index();
    }
  }

  private final Dockerfile dockerfile;
  private final GlobalArgs globals;
  private final List<PlannedStage> stages;
  private final int target;
  private final boolean[] needed;

  private BuildPlan(
      Dockerfile dockerfile, GlobalArgs globals, List<PlannedStage> stages, int target) {
    this.dockerfile = dockerfile;
    this.globals = globals;
    this.stages = List.copyOf(stages);
    this.target = target;
    this.needed = new boolean[stages.size()];
    mark(target);
  }

  /**
   * Plans a build.
   *
   * @param globals the global scope before the Dockerfile's own global ARGs
   * @param target the {@code --target} stage, if given
   * @throws DockerfileException for an unknown target, a blank or bad base name, a bad
   *     platform, or a circular reference, positioned
   */
  static BuildPlan create(Dockerfile dockerfile, GlobalArgs globals, Optional<String> target) {
    for (Arg arg : dockerfile.globalArgs()) {
      for (ArgDeclaration d : arg.declarations()) {
        try {
          globals = globals.declare(d.name(), d.defaultValue());
        } catch (ExpansionException e) {
          throw new DockerfileException(e.getMessage(), arg.span());
        }
      }
    }
    List<PlannedStage> planned = new ArrayList<>();
    for (Stage s : dockerfile.stages()) {
      planned.add(planStage(dockerfile, globals, s));
    }
    int targetIndex = dockerfile.stages().size() - 1;
    if (target.isPresent()) {
      Optional<Stage> t = Optional.empty();
      for (Stage s : dockerfile.stages()) {
        if (s.name().isPresent() && s.name().get().equalsIgnoreCase(target.get())) {
          t = Optional.of(s);
        }
      }
      if (t.isEmpty()) {
        List<String> names = new ArrayList<>();
        dockerfile.stages().forEach(s -> s.name().ifPresent(names::add));
        throw new JbuildException(
            "target stage \"" + target.get() + "\" could not be found in " + dockerfile.file()
                + (names.isEmpty()
                    ? ": the Dockerfile has no named stages (name one with FROM … AS NAME)"
                    : "; its stages are " + String.join(", ", names)));
      }
      targetIndex = t.get().index();
    }
    checkCycles(planned);
    return new BuildPlan(dockerfile, globals, planned, targetIndex);
  }

  private static PlannedStage planStage(Dockerfile dockerfile, GlobalArgs globals, Stage s) {
    From from = s.from();
    String baseName;
    try {
      baseName = globals.expand(from.image()).value();
    } catch (ExpansionException e) {
      throw new DockerfileException(e.getMessage(), from.span());
    }
    if (baseName.isEmpty()) {
      throw new DockerfileException(
          "base name (" + from.image() + ") should not be blank", from.span());
    }
    Optional<Platform> platform = Optional.empty();
    if (from.platform().isPresent()) {
      String text;
      try {
        text = globals.expand(from.platform().get()).value();
      } catch (ExpansionException e) {
        throw new DockerfileException(e.getMessage(), from.span());
      }
      if (!text.isEmpty()) {
        platform = Optional.of(parsePlatform(text, from.span()));
      }
    }
    Base base = null;
    for (int i = 0; i < s.index(); i++) {
      Stage earlier = dockerfile.stages().get(i);
      if (earlier.name().isPresent() && earlier.name().get().equals(baseName)) {
        base = new StageBase(i);
      }
    }
    if (base == null) {
      if (baseName.equals("scratch")) {
        base = new ScratchBase();
      } else {
        try {
          base = new ImageBase(ImageReference.parse(baseName));
        } catch (InvalidReferenceException e) {
          throw new DockerfileException(
              "failed to parse stage name \"" + baseName + "\": " + e.getMessage(), from.span());
        }
      }
    }
    Map<Integer, Instruction> deps = new LinkedHashMap<>();
    for (Instruction effective : s.instructions()) {
      if (effective instanceof Copy && ((Copy) effective).from().isPresent()) {
        String name = ((Copy) effective).from().get();
        dockerfile.stage(name).ifPresent(dep -> deps.putIfAbsent(dep.index(), effective));
      } else if (effective instanceof Run) {
        for (RunMount m : ((Run) effective).mounts()) {
          if (m.from().isPresent()) {
            Optional<Stage> dep = dockerfile.stage(m.from().get());
            if (dep.isPresent()) {
              if (dep.get().index() >= s.index()) {
                throw new DockerfileException(
                    "cannot mount from stage \"" + m.from().get() + "\" to \"" + m.target().orElse("")
                        + "\", stage needs to be defined before current command",
                    effective.span());
              }
              deps.putIfAbsent(dep.get().index(), effective);
            }
          }
        }
      }
    }
    String display = s.name().orElse("stage-" + s.index());
    return new PlannedStage(s, display, base, platform, deps);
  }

  static Platform parsePlatform(String text, SourceSpan span) {
    try {
      return Platform.parse(text);
    } catch (IllegalArgumentException e) {
      throw new DockerfileException("failed to parse platform " + text + ": " + e.getMessage(), span);
    }
  }

  /**
   * BuildKit's {@code validateCircularDependency}: a depth-first walk over the COPY --from and
   * mount edges; the error names the first stage of the cycle and points at every instruction
   * on it.
   */
  private static void checkCycles(List<PlannedStage> stages) {
    int n = stages.size();
    boolean[] visited = new boolean[n];
    boolean[] onPath = new boolean[n];
    for (PlannedStage s : stages) {
      Deque<Instruction> path = new ArrayDeque<>();
      List<Instruction> cycle = visit(stages, s.index(), visited, onPath, path);
      if (cycle != null) {
        List<Diagnostic> diagnostics = new ArrayList<>();
        String message = "circular dependency detected on stage: " + s.displayName();
        for (Instruction i : cycle) {
          diagnostics.add(Diagnostic.error(message, i.span()));
        }
        throw new DockerfileException(diagnostics);
      }
    }
  }

  private static List<Instruction> visit(
      List<PlannedStage> stages, int i, boolean[] visited, boolean[] onPath,
      Deque<Instruction> path) {
    if (visited[i]) {
      return null;
    }
    visited[i] = true;
    onPath[i] = true;
    PlannedStage s = stages.get(i);
    Map<Integer, Instruction> edges = new LinkedHashMap<>(s.deps());
    if (s.base() instanceof StageBase) {
      edges.putIfAbsent(((StageBase) s.base()).index(), s.stage().from());
    }
    for (Map.Entry<Integer, Instruction> e : edges.entrySet()) {
      path.addLast(e.getValue());
      if (onPath[e.getKey()]) {
        return new ArrayList<>(path);
      }
      List<Instruction> found = visit(stages, e.getKey(), visited, onPath, path);
      if (found != null) {
        return found;
      }
      path.removeLast();
    }
    onPath[i] = false;
    return null;
  }

  private void mark(int i) {
    if (needed[i]) {
      return;
    }
    needed[i] = true;
    PlannedStage s = stages.get(i);
    if (s.base() instanceof StageBase) {
      mark(((StageBase) s.base()).index());
    }
    for (int dep : s.deps().keySet()) {
      mark(dep);
    }
  }

  Dockerfile dockerfile() {
    return dockerfile;
  }

  /** The global scope after the Dockerfile's global ARGs. */
  GlobalArgs globals() {
    return globals;
  }

  List<PlannedStage> stages() {
    return stages;
  }

  PlannedStage stage(int index) {
    return stages.get(index);
  }

  int target() {
    return target;
  }

  /** Whether the target needs this stage (directly or through others). */
  boolean isNeeded(int index) {
    return needed[index];
  }

  /** The stages the target needs, in file order. */
  List<PlannedStage> neededStages() {
    List<PlannedStage> out = new ArrayList<>();
    for (PlannedStage s : stages) {
      if (needed[s.index()]) {
        out.add(s);
      }
    }
    return out;
  }

  /** Stage lookups for COPY --from and triggers: name (any case) or index. */
  Optional<Integer> stageIndex(String nameOrIndex) {
    return dockerfile.stage(nameOrIndex).map(Stage::index);
  }

  @Override
  public String toString() {
    return "BuildPlan" + Objects.toString(stages.stream().map(PlannedStage::displayName).toList());
  }
}
