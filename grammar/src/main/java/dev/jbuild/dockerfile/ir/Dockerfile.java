package dev.jbuild.dockerfile.ir;

import dev.jbuild.dockerfile.Diagnostic;
import dev.jbuild.dockerfile.syntax.Directives;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * A whole Dockerfile, typed: parser directives, the ARGs before the first FROM (usable only in
 * FROM lines) and the stages.
 *
 * @param file the file name used in spans
 * @param warnings the parser's own warnings (e.g. empty continuation lines)
 */
public record Dockerfile(
    String file, Directives directives, List<Arg> globalArgs, List<Stage> stages, List<Diagnostic> warnings) {

  public Dockerfile {
    Objects.requireNonNull(file, "file");
    Objects.requireNonNull(directives, "directives");
    globalArgs = List.copyOf(globalArgs);
    stages = List.copyOf(stages);
    warnings = List.copyOf(warnings);
    if (stages.isEmpty()) {
      throw new IllegalArgumentException("a Dockerfile needs a stage");
    }
    for (int i = 0; i < stages.size(); i++) {
      if (stages.get(i).index() != i) {
        throw new IllegalArgumentException("stage " + i + " has index " + stages.get(i).index());
      }
    }
  }

  /** The stage with this name (case-insensitive) or index, as {@code COPY --from} finds it. */
  public Optional<Stage> stage(String nameOrIndex) {
    for (Stage s : stages) {
      if (s.name().isPresent() && s.name().get().equalsIgnoreCase(nameOrIndex)) {
        return Optional.of(s);
      }
    }
    if (nameOrIndex.matches("[0-9]+")) {
      try {
        int i = Integer.parseInt(nameOrIndex);
        if (i < stages.size()) {
          return Optional.of(stages.get(i));
        }
      } catch (NumberFormatException e) {
        return Optional.empty();
      }
    }
    return Optional.empty();
  }

  /** The last stage: what is built without {@code --target}. */
  public Stage lastStage() {
    return stages.get(stages.size() - 1);
  }
}
