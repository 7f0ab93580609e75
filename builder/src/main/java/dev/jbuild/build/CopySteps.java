package dev.jbuild.build;

import dev.jbuild.dockerfile.ir.Add;
import dev.jbuild.dockerfile.ir.Copy;

/**
 * COPY and ADD: expands the instruction's words, hands sources, destination and flags to the
 * file-copy semantics, and records the layer through the build cache.
 */
final class CopySteps {

  private final BuildRun run;

  CopySteps(BuildRun run) {
    this.run = run;
  }

  void copy(StageExecutor stage, Copy copy) {
    copyNotAvailableYet(stage, "COPY", copy.span());
  }

  void add(StageExecutor stage, Add add) {
    copyNotAvailableYet(stage, "ADD", add.span());
  }

  /** The one place COPY and ADD stop until the file-copy package is integrated. */
  private void copyNotAvailableYet(StageExecutor stage, String keyword, dev.jbuild.dockerfile.SourceSpan span) {
    throw new BuildStepException(
        span,
        keyword + " is not available yet in this version of jbuild: only FROM and metadata"
            + " instructions (ENV, LABEL, WORKDIR, ENTRYPOINT, …) build so far");
  }
}
