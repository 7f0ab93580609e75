package dev.jbuild.maven;

import dev.jbuild.build.JbuildException;
import dev.jbuild.build.context.ContextIgnore;
import dev.jbuild.build.context.IgnoreFile;
import dev.jbuild.build.context.PatternMatcher;
import dev.jbuild.dockerfile.Diagnostic;
import dev.jbuild.dockerfile.DiagnosticRenderer;
import dev.jbuild.dockerfile.DockerfileException;
import dev.jbuild.dockerfile.lint.LintOptions;
import dev.jbuild.dockerfile.lint.LintReport;
import dev.jbuild.dockerfile.lint.Linter;
import dev.jbuild.dockerfile.shell.Platform;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.maven.plugin.MojoExecutionException;
import org.apache.maven.plugin.MojoFailureException;
import org.apache.maven.plugins.annotations.LifecyclePhase;
import org.apache.maven.plugins.annotations.Mojo;

/**
 * Runs the Dockerfile build checks without building, as {@code jbuild check} and {@code docker
 * build --check} do: warnings are logged with their line; a Dockerfile that does not parse, or a
 * check made an error by {@code # check=error=true}, fails the build.
 */
@Mojo(name = "check", defaultPhase = LifecyclePhase.VALIDATE, threadSafe = true)
public class CheckMojo extends JbuildMojo {

  @Override
  void run() throws MojoExecutionException, MojoFailureException {
    Path file = dockerfilePath();
    byte[] content;
    try {
      content = Files.readAllBytes(file);
    } catch (NoSuchFileException e) {
      throw new MojoFailureException(
          "cannot read the Dockerfile: " + file + " does not exist; set <dockerfile> (jbuild.dockerfile)");
    } catch (IOException e) {
      throw new MojoFailureException("cannot read the Dockerfile " + file + ": " + e.getMessage());
    }
    Map<String, String> args = new LinkedHashMap<>();
    if (buildArgs != null) {
      buildArgs.forEach((k, v) -> args.put(k, v == null ? "" : v));
    }
    dev.jbuild.oci.Platform host = dev.jbuild.oci.Platform.host();
    LintOptions options =
        LintOptions.defaults(Platform.of("linux", host.architecture())).withBuildArgs(args);
    try {
      PatternMatcher ignore = IgnoreFile.load(contextPath(), file);
      if (!ignore.isEmpty()) {
        options = options.withIgnore(new ContextIgnore(ignore));
      }
    } catch (JbuildException e) {
      throw new MojoFailureException("error: " + e.getMessage(), e);
    }
    LintReport report;
    try {
      report = Linter.check(file.toString(), content, options);
    } catch (DockerfileException e) {
      throw BuildMojo.rethrow(Failures.of(e, file));
    }
    List<String> lines = Failures.lines(file);
    StringBuilder errors = new StringBuilder();
    long warnings = 0;
    // an error that is not a check (a parse error) says it all; a check failure needs the summary
    boolean plainError = false;
    for (Diagnostic d : report.diagnostics()) {
      plainError |= d.isError() && d.rule().isEmpty();
      String text = DiagnosticRenderer.render(d, lines).stripTrailing();
      if (d.isError()) {
        errors.append(errors.length() == 0 ? "" : "\n").append(text);
      } else {
        warnings++;
        getLog().warn(text);
      }
    }
    if (report.failed()) {
      if (!plainError) {
        errors.append(errors.length() > 0 ? "\n" : "").append("error: ").append(report.failure().get());
      }
      throw new MojoFailureException(errors.toString());
    }
    if (errors.length() > 0) {
      getLog().error(errors.toString());
    }
    getLog().info(
        "check complete for " + file + ": "
            + (warnings == 0 ? "no warnings" : warnings + (warnings == 1 ? " warning" : " warnings")));
  }
}
