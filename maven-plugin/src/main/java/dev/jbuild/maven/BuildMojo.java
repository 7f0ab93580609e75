package dev.jbuild.maven;

import dev.jbuild.build.BuildRequest;
import dev.jbuild.build.BuildResult;
import dev.jbuild.build.Builder;
import dev.jbuild.build.OutputSpec;
import dev.jbuild.build.event.ProgressText;
import dev.jbuild.build.registry.ImageReference;
import dev.jbuild.build.sandbox.Sandbox;
import dev.jbuild.cache.JbuildRoot;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.apache.maven.plugin.MojoExecutionException;
import org.apache.maven.plugin.MojoFailureException;
import org.apache.maven.plugins.annotations.LifecyclePhase;
import org.apache.maven.plugins.annotations.Mojo;
import org.apache.maven.plugins.annotations.Parameter;

/**
 * Builds the module's Dockerfile into jbuild's local image store under every {@code to} name
 * (and pushes them when {@code push} is set), then writes {@code target/jbuild-image.digest},
 * {@code .id} and {@code .json}. Runs in Maven's JVM; no Docker daemon is involved.
 */
@Mojo(name = "build", defaultPhase = LifecyclePhase.PACKAGE, threadSafe = true)
public class BuildMojo extends JbuildMojo {

  /** Push every name to its registry after the build (the {@code push} goal does it at deploy). */
  @Parameter(property = "jbuild.push", defaultValue = "false")
  boolean push;

  /** Skip this goal only. */
  @Parameter(property = "jbuild.skip.build", defaultValue = "false")
  boolean skipBuild;

  @Override
  boolean skipGoal() {
    return skipBuild;
  }

  @Override
  String skipGoalProperty() {
    return "jbuild.skip.build";
  }

  @Override
  void run() throws MojoExecutionException, MojoFailureException {
    ImageNames names = imageNames();
    BuildRequest request = request(names).output(OutputSpec.localStore()).push(push).build();
    BuildResult result = build(this, names, request);
    List<String> tags = new ArrayList<>();
    for (ImageReference r : names.all()) {
      tags.add(r.tagOpt().orElse("latest"));
    }
    ImageFiles.write(
        Path.of(project.getBuild().getDirectory()),
        names.primary().toString(),
        result.imageId(),
        result.manifest().digest(),
        tags,
        push);
  }

  /** Runs a build for a goal and logs its outcome; errors become the goal's failure. */
  static BuildResult build(JbuildMojo goal, ImageNames names, BuildRequest request)
      throws MojoExecutionException, MojoFailureException {
    LogListener listener = new LogListener(goal.getLog());
    long start = System.nanoTime();
    BuildResult result;
    JbuildRoot root = goal.jbuildRoot();
    try (Sandbox sandbox = goal.sandbox(root, listener)) {
      result = new Builder(root, goal.registryOptions(names), sandbox, listener).build(request);
    } catch (RuntimeException e) {
      throw rethrow(Failures.of(e, goal.dockerfilePath()));
    }
    for (String t : result.tags()) {
      goal.getLog().info("tagged " + t);
    }
    goal.getLog().info(
        "built " + names.primary() + " " + result.manifest().digest() + " (image ID "
            + result.imageId().shortHex() + ") in "
            + ProgressText.seconds((System.nanoTime() - start) / 1_000_000) + ": "
            + result.steps() + " steps, " + result.cachedSteps() + " cached, "
            + listener.layersWritten() + " new layers");
    return result;
  }

  static RuntimeException rethrow(Exception e) throws MojoExecutionException, MojoFailureException {
    if (e instanceof MojoFailureException) {
      throw (MojoFailureException) e;
    }
    throw (MojoExecutionException) e;
  }
}
