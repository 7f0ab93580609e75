package dev.jbuild.build.cli;

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
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code jbuild check [-f FILE] [--build-arg K=V]… [CONTEXT]}: runs the build checks without
 * building, like {@code docker build --check}. Prints every diagnostic with its source line;
 * exits 1 when the Dockerfile does not parse or a check is an error ({@code # check=error=true}).
 */
@Command(
    name = "check",
    mixinStandardHelpOptions = true,
    description = "Runs the Dockerfile build checks without building.")
final class CheckCommand implements Callable<Integer> {

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Option(names = {"-f", "--file"}, paramLabel = "FILE", description = "The Dockerfile (default: CONTEXT/Dockerfile).")
  Path file;

  @Option(
      names = "--build-arg",
      paramLabel = "K=V",
      description = "A build-arg value; BUILDKIT_DOCKERFILE_CHECK overrides the # check= directive.")
  List<String> buildArgs = new ArrayList<>();

  @Parameters(index = "0", arity = "0..1", paramLabel = "CONTEXT", description = "The build context (default: .).")
  Path context = Path.of(".");

  @Override
  public Integer call() {
    PrintWriter out = spec.commandLine().getOut();
    PrintWriter err = spec.commandLine().getErr();
    DockerfileInput input;
    try {
      input = DockerfileInput.read(file, context);
    } catch (DockerfileInput.Unreadable e) {
      err.println("error: " + e.getMessage());
      return Main.FAILED;
    }
    LintOptions options =
        LintOptions.defaults(hostPlatform()).withBuildArgs(buildArgValues());
    try {
      PatternMatcher ignore = IgnoreFile.load(input.context(), input.path());
      if (!ignore.isEmpty()) {
        options = options.withIgnore(new ContextIgnore(ignore));
      }
    } catch (JbuildException e) {
      err.println("error: " + e.getMessage());
      return Main.FAILED;
    }

    LintReport report;
    try {
      report = Linter.check(input.name(), input.content(), options);
    } catch (DockerfileException e) {
      for (Diagnostic d : e.diagnostics()) {
        err.print(DiagnosticRenderer.render(d, input.lines()));
      }
      err.flush();
      return Main.FAILED;
    }
    List<String> lines = input.lines();
    for (Diagnostic d : report.diagnostics()) {
      out.print(DiagnosticRenderer.render(d, lines));
    }
    long warnings = report.diagnostics().stream().filter(d -> d.rule().isPresent()).count();
    if (warnings == 0) {
      out.println("Check complete, no warnings found.");
    } else {
      out.println("Check complete, " + warnings + (warnings == 1 ? " warning has" : " warnings have") + " been found!");
    }
    out.flush();
    if (report.failed()) {
      boolean shown = report.diagnostics().stream().anyMatch(d -> d.isError() && d.rule().isEmpty());
      if (!shown) {
        err.println("error: " + report.failure().get()); // a lint violation summary
      }
      return Main.FAILED;
    }
    return Main.OK;
  }

  /**
   * {@code K=V} pairs; a bare {@code K} takes its value from the environment, as docker does,
   * and is left out when the environment has none.
   */
  private Map<String, String> buildArgValues() {
    Map<String, String> values = new LinkedHashMap<>();
    for (String arg : buildArgs) {
      int eq = arg.indexOf('=');
      if (eq < 0) {
        String env = System.getenv(arg);
        if (env != null) {
          values.put(arg, env);
        }
      } else {
        values.put(arg.substring(0, eq), arg.substring(eq + 1));
      }
    }
    return values;
  }

  /** The platform this JVM runs on, in OCI terms. */
  static Platform hostPlatform() {
    String arch = System.getProperty("os.arch", "amd64").toLowerCase(Locale.ROOT);
    switch (arch) {
      case "x86_64":
      case "amd64":
        arch = "amd64";
        break;
      case "aarch64":
      case "arm64":
        arch = "arm64";
        break;
      case "x86":
      case "i386":
      case "i686":
        arch = "386";
        break;
      default:
        break;
    }
    return Platform.of("linux", arch);
  }
}
