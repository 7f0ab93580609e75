/**
 * The build engine. Public API: {@link dev.jbuild.build.BuildRequest} (what to build, as
 * {@code docker build}'s flags say it), {@link dev.jbuild.build.Builder} (runs a build, emits
 * {@link dev.jbuild.build.event.BuildEvent}s) and {@link dev.jbuild.build.BuildResult}; errors
 * are {@link dev.jbuild.build.JbuildException}s ({@link dev.jbuild.build.BuildStepException}
 * carries the instruction's span) or positioned {@link
 * dev.jbuild.dockerfile.DockerfileException}s.
 *
 * <p>Inside: {@code BuildPlan} (stage graph, target, cycles), {@code BuildRun} (one build:
 * stages in parallel, base images resolved once), {@code StageExecutor} (each instruction with
 * BuildKit's semantics, image config and history), {@code CopySteps} (COPY/ADD expansion and
 * cache keys), {@code FinalImage} (config finalised, manifest stored, reused when unchanged).
 */
package dev.jbuild.build;
