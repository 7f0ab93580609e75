package dev.jbuild.maven;

import dev.jbuild.build.BuildStepException;
import dev.jbuild.build.JbuildException;
import dev.jbuild.cache.CacheException;
import dev.jbuild.dockerfile.Diagnostic;
import dev.jbuild.dockerfile.DiagnosticRenderer;
import dev.jbuild.dockerfile.DockerfileException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.apache.maven.plugin.MojoExecutionException;
import org.apache.maven.plugin.MojoFailureException;

/**
 * Turns what the engine throws into what Maven shows: the CLI's positioned messages ({@code
 * Dockerfile:3:1: error: …}, the source line, a caret) as one {@link MojoFailureException}; a
 * bug in jbuild as a {@link MojoExecutionException} that keeps its stack trace for {@code -e}.
 * The engine's own errors carry no cause: Maven would append the cause's message to the
 * positioned one, and everything the user needs is in the message already.
 */
final class Failures {

  private Failures() {}

  /**
   * The exception to throw for {@code e}, or {@code e} itself wrapped when it is not one of the
   * engine's.
   *
   * @param dockerfile the Dockerfile the build read, for the line under the caret; may be null
   */
  static Exception of(RuntimeException e, Path dockerfile) {
    if (e instanceof DockerfileException) {
      StringBuilder text = new StringBuilder();
      List<String> lines = lines(dockerfile);
      for (Diagnostic d : ((DockerfileException) e).diagnostics()) {
        text.append(DiagnosticRenderer.render(d, lines));
      }
      return new MojoFailureException(strip(text));
    }
    if (e instanceof BuildStepException) {
      BuildStepException step = (BuildStepException) e;
      String text = DiagnosticRenderer.render(Diagnostic.error(step.getMessage(), step.span()), lines(dockerfile));
      return new MojoFailureException(strip(new StringBuilder(text)));
    }
    if (e instanceof JbuildException || e instanceof CacheException) {
      return new MojoFailureException("error: " + e.getMessage());
    }
    return new MojoExecutionException(
        "internal error in jbuild: " + e + " (run with -e for the stack trace, and please report it)",
        e);
  }

  private static String strip(StringBuilder text) {
    int end = text.length();
    while (end > 0 && text.charAt(end - 1) == '\n') {
      end--;
    }
    return text.substring(0, end);
  }

  /** The Dockerfile's lines for the caret; none when it cannot be read. */
  static List<String> lines(Path file) {
    if (file == null) {
      return List.of();
    }
    try {
      String s = new String(Files.readAllBytes(file), StandardCharsets.UTF_8);
      if (s.startsWith("\uFEFF")) {
        s = s.substring(1);
      }
      List<String> out = new ArrayList<>();
      for (String line : s.split("\n", -1)) {
        out.add(line.endsWith("\r") ? line.substring(0, line.length() - 1) : line);
      }
      return out;
    } catch (IOException | RuntimeException ignored) {
      return List.of();
    }
  }
}
