package dev.jbuild.build.cli;

import dev.jbuild.dockerfile.Diagnostic;
import dev.jbuild.dockerfile.DiagnosticRenderer;
import dev.jbuild.dockerfile.DockerfileException;
import dev.jbuild.dockerfile.Dockerfiles;
import dev.jbuild.dockerfile.ir.Dockerfile;
import dev.jbuild.dockerfile.ir.Stage;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code jbuild targets [-f FILE] [CONTEXT]}: the named stages and their descriptions (the
 * comment right before FROM that starts with the stage name), the last stage marked default,
 * like {@code docker build --call targets}.
 */
@Command(
    name = "targets",
    mixinStandardHelpOptions = true,
    description = "Lists the build stages of a Dockerfile with their descriptions.")
final class TargetsCommand implements Callable<Integer> {

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Option(names = {"-f", "--file"}, paramLabel = "FILE", description = "The Dockerfile (default: CONTEXT/Dockerfile).")
  Path file;

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
    Dockerfile dockerfile;
    try {
      dockerfile = Dockerfiles.parse(input.name(), input.content());
    } catch (DockerfileException e) {
      for (Diagnostic d : e.diagnostics()) {
        err.print(DiagnosticRenderer.render(d, input.lines()));
      }
      err.flush();
      return Main.FAILED;
    }
    List<String[]> rows = new ArrayList<>();
    rows.add(new String[] {"TARGET", "DESCRIPTION"});
    Stage last = dockerfile.lastStage();
    for (Stage s : dockerfile.stages()) {
      boolean isDefault = s == last;
      if (s.name().isEmpty() && !isDefault) {
        continue; // an unnamed stage cannot be a --target
      }
      String name = s.name().map(n -> isDefault ? n + " (default)" : n).orElse("(default)");
      rows.add(new String[] {name, s.docComment().orElse("")});
    }
    int width = 0;
    for (String[] r : rows) {
      width = Math.max(width, r[0].length());
    }
    for (String[] r : rows) {
      String line = r[1].isEmpty() ? r[0] : String.format("%-" + width + "s  %s", r[0], r[1]);
      out.println(line);
    }
    out.flush();
    return Main.OK;
  }
}
