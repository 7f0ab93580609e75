package dev.jbuild.build.output;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Runs the real consumers (skopeo, umoci); a missing tool fails the test, it never skips it. */
final class Tools {
  private Tools() {}

  record Result(int exit, String output) {}

  static String require(String tool) {
    for (String dir : System.getenv().getOrDefault("PATH", "/usr/bin:/bin").split(":")) {
      Path p = Path.of(dir, tool);
      if (Files.isExecutable(p)) {
        return p.toString();
      }
    }
    throw new AssertionError(tool + " is not installed; the integration tests need it"
        + " (.ci/install installs skopeo and umoci)");
  }

  static Result run(Path workDir, String... command) throws IOException, InterruptedException {
    List<String> cmd = new ArrayList<>(List.of(command));
    if (!cmd.get(0).startsWith("/")) {
      cmd.set(0, require(cmd.get(0)));
    }
    Process p = new ProcessBuilder(cmd).directory(workDir.toFile()).redirectErrorStream(true)
        .start();
    byte[] out = p.getInputStream().readAllBytes();
    assertThat(p.waitFor(180, TimeUnit.SECONDS)).as("%s timed out", cmd).isTrue();
    return new Result(p.exitValue(), new String(out, StandardCharsets.UTF_8));
  }

  /** Runs and asserts exit 0; returns the output. */
  static String ok(Path workDir, String... command) throws IOException, InterruptedException {
    Result r = run(workDir, command);
    assertThat(r.exit()).as("%s failed:%n%s", String.join(" ", command), r.output()).isZero();
    return r.output();
  }
}
