package dev.jbuild.build;

import static org.assertj.core.api.Assertions.assertThat;

import dev.jbuild.build.registry.testing.TestImages;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.io.TempDir;

/**
 * Builds every RUN corpus case ({@code testdata/run}) with jbuild and with buildah ({@code
 * --isolation chroot}, which needs root but no runc; vfs storage in a temp dir) on the same
 * busybox test image, and compares file trees and runtime config fields as {@link
 * BuildahDifferentialIT} does. Every difference must be listed in {@code
 * testdata/run/KNOWN-DIFFERENCES.md} with both values; an unlisted one fails the case, and so
 * does a listed one that no longer occurs. A case both tools fail is agreement.
 */
@Tag("sandbox")
@Tag("root")
class BuildahRunDifferentialIT {

  @TempDir static Path tmp;

  static Path storage;
  static Map<String, BuildahDifferentialIT.Known> known;

  @BeforeAll
  static void setUp() throws Exception {
    storage = tmp.resolve("buildah");
    known = BuildahDifferentialIT.readKnown(RunCorpus.dir().resolve("KNOWN-DIFFERENCES.md"));
    // the base image: the same layer and config jbuild's cases see, as an OCI layout
    Path layout = tmp.resolve("base-oci");
    RunCorpus.writeLayout(TestImages.busybox(Builder.defaultPlatform()), layout);
    Process pull = new ProcessBuilder(buildah("pull", "-q", "oci:" + layout + ":latest"))
        .redirectError(ProcessBuilder.Redirect.INHERIT).start();
    String id = new String(pull.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
    if (pull.waitFor() != 0 || id.isEmpty()) {
      throw new IllegalStateException("buildah pull of the base image failed");
    }
    String tagged = BuildahDifferentialIT.run(buildah("tag", id,
        "docker.io/library/" + RunCorpus.BASE + ":latest"));
    if (tagged != null) {
      throw new IllegalStateException("buildah tag of the base image failed: " + tagged);
    }
  }

  @AfterAll
  static void cleanUp() throws Exception {
    if (storage != null && Files.exists(storage)) {
      BuildahDifferentialIT.run(buildah("rm", "--all"));
      BuildahDifferentialIT.run(buildah("rmi", "--all", "--force"));
    }
  }

  static List<String> buildah(String... args) {
    List<String> cmd = new ArrayList<>(List.of("buildah", "--root", storage.resolve("root").toString(),
        "--runroot", storage.resolve("run").toString(), "--storage-driver", "vfs"));
    cmd.addAll(List.of(args));
    return cmd;
  }

  @TestFactory
  Stream<DynamicTest> sameImageAsBuildah() throws IOException {
    return RunCorpus.cases().stream()
        .map(c -> DynamicTest.dynamicTest(c.getFileName().toString(), () -> compare(c)));
  }

  private void compare(Path caseDir) throws Exception {
    String name = caseDir.getFileName().toString();
    Path work = tmp.resolve(name);
    Path ctx = BuildCorpusTest.context(caseDir, work.resolve("ctx"));
    Path ours = work.resolve("jbuild-oci");
    RunCorpusIT.Outcome outcome = RunCorpusIT.build(caseDir, ctx, work.resolve("root"), ours,
        RunSandboxes.Snapshotter.OVERLAY);
    Path theirs = work.resolve("buildah-oci");
    String failure = buildahBuild(caseDir, ctx, name, theirs);

    Map<String, String[]> diffs = new LinkedHashMap<>();
    if (outcome.failure() != null || failure != null) {
      if ((outcome.failure() == null) != (failure == null)) {
        diffs.put("build", new String[] {outcome.failure() == null ? "ok" : "fails",
            failure == null ? "ok" : "fails"});
      }
    } else {
      ImageDump a = ImageDump.read(ours);
      ImageDump b = ImageDump.read(theirs);
      BuildahDifferentialIT.compareConfig(a.config(), dockerConfig(name), diffs);
      BuildahDifferentialIT.compareFiles(a, b, diffs);
    }
    List<String> unexplained = new ArrayList<>();
    for (Map.Entry<String, String[]> d : diffs.entrySet()) {
      String jb = d.getValue()[0];
      String bh = d.getValue()[1];
      BuildahDifferentialIT.Known k = known.get(name + "\t" + d.getKey());
      if (k == null) {
        k = known.get("*\t" + d.getKey());
      }
      if (k != null && k.jbuild().equals(jb) && matches(k.buildah(), bh)) {
        continue;
      }
      unexplained.add("| " + name + " | " + d.getKey() + " | `" + jb.replace("|", "\\|") + "` | `"
          + bh.replace("|", "\\|") + "` | ? |");
    }
    for (BuildahDifferentialIT.Known k : known.values()) {
      if (k.caseName().equals(name) && !diffs.containsKey(k.field())) {
        unexplained.add("listed but gone: " + k.key().replace('\t', ' '));
      }
    }
    assertThat(unexplained)
        .as("differences from buildah not in KNOWN-DIFFERENCES.md"
            + (failure == null ? "" : "; buildah said:\n" + tail(failure))
            + (outcome.failure() == null ? "" : "; jbuild said:\n" + outcome.failure().getMessage()))
        .isEmpty();
  }

  /**
   * A listed buildah value ending in {@code *} matches any value it begins with: buildah's
   * hostname and PIDs change with every build.
   */
  static boolean matches(String listed, String actual) {
    return listed.endsWith("*")
        ? actual.startsWith(listed.substring(0, listed.length() - 1))
        : listed.equals(actual);
  }

  private static String tail(String s) {
    String[] lines = s.split("\n");
    return String.join("\n", java.util.Arrays.asList(lines).subList(Math.max(0, lines.length - 15), lines.length));
  }

  /** Builds with buildah and pushes to an OCI layout; the error output when it fails. */
  private static String buildahBuild(Path caseDir, Path ctx, String name, Path oci) throws Exception {
    List<String> bud = buildah("bud", "--isolation", "chroot", "--format", "docker",
        "--layers=false", "--pull=never", "--timestamp",
        Long.toString(BuildCorpusTest.EPOCH.getEpochSecond()), "-t", "run-" + name, "-f",
        ctx.resolve("Dockerfile").toString());
    for (String[] kv : BuildCorpusTest.buildArgs(caseDir)) {
      bud.add("--build-arg");
      bud.add(kv[0] + "=" + kv[1]);
    }
    BuildCorpusTest.target(caseDir).ifPresent(t -> {
      bud.add("--target");
      bud.add(t);
    });
    for (dev.jbuild.build.BuildRequest.Secret s : RunCorpusIT.secrets(caseDir)) {
      if (s.file().isPresent()) {
        bud.add("--secret");
        bud.add("id=" + s.id() + ",src=" + s.file().get());
      }
    }
    bud.add(ctx.toString());
    String out = BuildahDifferentialIT.run(bud);
    if (out != null) {
      return out;
    }
    String pushed = BuildahDifferentialIT.run(buildah("push", "run-" + name, "oci:" + oci + ":latest"));
    if (pushed != null) {
      throw new IllegalStateException("buildah push failed: " + pushed);
    }
    return null;
  }

  /** buildah's config in Docker format: its OCI config drops Healthcheck, Shell and OnBuild. */
  private static com.fasterxml.jackson.databind.JsonNode dockerConfig(String name) throws Exception {
    Process p = new ProcessBuilder(buildah("inspect", "--type", "image", "run-" + name))
        .redirectError(ProcessBuilder.Redirect.DISCARD).start();
    byte[] out = p.getInputStream().readAllBytes();
    if (!p.waitFor(60, java.util.concurrent.TimeUnit.SECONDS) || p.exitValue() != 0) {
      throw new IllegalStateException("buildah inspect failed for run-" + name + ": "
          + new String(out, StandardCharsets.UTF_8));
    }
    return BuildahDifferentialIT.COMPACT.readTree(out).path("Docker");
  }
}
