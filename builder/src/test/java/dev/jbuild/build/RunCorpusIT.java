package dev.jbuild.build;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.fail;

import dev.jbuild.build.registry.RegistryOptions;
import dev.jbuild.cache.JbuildRoot;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.io.TempDir;

/**
 * The RUN corpus: every {@code testdata/run/CASE} is built on the busybox test image with the
 * machine's sandbox (overlayfs; rootless in a user namespace when the tests run unprivileged)
 * and compared with {@code CASE/expected} (see {@link RunCorpus} for what a golden holds). A
 * case that builds is built again in a fresh root: same manifest digest under {@code
 * SOURCE_DATE_EPOCH}; and once more with the copying snapshotter: the same layers, byte for
 * byte. No build may leave anything in the root's {@code tmp/}. {@code
 * -Djbuild.golden.update=true} rewrites the goldens (review every one against BuildKit).
 */
@Tag("sandbox")
class RunCorpusIT {

  static final Duration CASE_TIMEOUT = Duration.ofMinutes(4);

  @TempDir Path tmp;

  @TestFactory
  Stream<DynamicTest> everyCase() throws IOException {
    List<Path> cases = RunCorpus.cases();
    assertThat(cases).hasSizeGreaterThanOrEqualTo(30);
    // -Djbuild.run.cases=a,b builds only those (to regenerate or debug a few goldens)
    String only = System.getProperty("jbuild.run.cases", "");
    if (!only.isBlank()) {
      List<String> names = List.of(only.split(","));
      cases = cases.stream().filter(c -> names.contains(c.getFileName().toString())).toList();
    }
    return cases.stream().map(c -> DynamicTest.dynamicTest(c.getFileName().toString(),
        () -> assertTimeoutPreemptively(CASE_TIMEOUT, () -> check(c))));
  }

  private void check(Path caseDir) throws Exception {
    Path work = tmp.resolve(caseDir.getFileName().toString());
    try {
      checkIn(caseDir, work);
    } finally {
      // unprivileged, extracted layers belong to subordinate ids: JUnit could not delete them
      for (String r : new String[] {"root1", "root2", "root3"}) {
        RunCorpus.deleteRoot(work.resolve(r));
      }
    }
  }

  private void checkIn(Path caseDir, Path work) throws Exception {
    Path ctx = BuildCorpusTest.context(caseDir, work.resolve("ctx"));
    Path out1 = work.resolve("oci1");
    Outcome first = build(caseDir, ctx, work.resolve("root1"), out1, RunSandboxes.Snapshotter.OVERLAY);
    String actual = first.failure == null
        ? RunCorpus.imageText(out1)
        : RunCorpus.errorText(first.failure, ctx.resolve("Dockerfile"));
    Path expected = caseDir.resolve("expected");
    if (Boolean.getBoolean("jbuild.golden.update")) {
      Files.writeString(expected, actual);
    } else if (!Files.exists(expected)) {
      fail(expected + " is missing: run with -Djbuild.golden.update=true and review it");
    } else {
      String golden = Files.readString(expected);
      if (!golden.equals(actual)) {
        // kept for diffing a whole run (e.g. the rootless pass against the goldens)
        Path copy = Path.of("target", "run-corpus-actual", caseDir.getFileName().toString(), "expected");
        Files.createDirectories(copy.getParent());
        Files.writeString(copy, actual);
      }
      assertThat(actual).isEqualTo(golden);
    }
    if (first.failure != null) {
      return;
    }
    Outcome second = build(caseDir, ctx, work.resolve("root2"), work.resolve("oci2"),
        RunSandboxes.Snapshotter.OVERLAY);
    assertThat(second.failure).as("second build").isNull();
    assertThat(second.result.manifest().digest())
        .as("same build twice in fresh roots under SOURCE_DATE_EPOCH")
        .isEqualTo(first.result.manifest().digest());
    if (RunSandboxes.available(RunSandboxes.Snapshotter.COPY)) {
      Path out3 = work.resolve("oci3");
      Outcome copied = build(caseDir, ctx, work.resolve("root3"), out3, RunSandboxes.Snapshotter.COPY);
      assertThat(copied.failure).as("build with the copying snapshotter").isNull();
      assertThat(RunCorpus.layerDigests(out3)).as("layers of --snapshotter=copy and overlay")
          .isEqualTo(RunCorpus.layerDigests(out1));
      assertThat(copied.result.manifest().digest()).isEqualTo(first.result.manifest().digest());
    }
  }

  /** A build's result, or the error it failed with. */
  record Outcome(BuildResult result, RuntimeException failure) {}

  static Outcome build(Path caseDir, Path ctx, Path rootDir, Path oci,
      RunSandboxes.Snapshotter snapshotter) throws IOException {
    JbuildRoot root = new JbuildRoot(rootDir);
    RunCorpus.storeBase(root);
    BuildRequest.Builder b = BuildRequest.builder(ctx).pull(PullPolicy.NEVER)
        .sourceDateEpoch(BuildCorpusTest.EPOCH)
        .output(new OutputSpec(OutputSpec.Type.OCI, Optional.of(oci)));
    for (String[] kv : BuildCorpusTest.buildArgs(caseDir)) {
      b.buildArg(kv[0], kv[1]);
    }
    BuildCorpusTest.target(caseDir).ifPresent(b::target);
    for (BuildRequest.Secret secret : secrets(caseDir)) {
      b.secret(secret);
    }
    Outcome outcome;
    try (dev.jbuild.build.sandbox.Sandbox sandbox = RunSandboxes.sandbox(root, snapshotter)) {
      outcome = new Outcome(
          new Builder(root, RegistryOptions.defaults(), sandbox, e -> {}).build(b.build()), null);
    } catch (JbuildException | dev.jbuild.dockerfile.DockerfileException e) {
      outcome = new Outcome(null, e);
    }
    assertThat(leftovers(root.tmp())).as("files left in the root's tmp/ after the build").isEmpty();
    return outcome;
  }

  /**
   * {@code secrets}: one {@code --secret} value a line (buildx syntax); a relative {@code src}
   * is a file of the case directory.
   */
  static List<BuildRequest.Secret> secrets(Path caseDir) throws IOException {
    Path f = caseDir.resolve("secrets");
    List<BuildRequest.Secret> out = new java.util.ArrayList<>();
    if (Files.exists(f)) {
      for (String line : Files.readAllLines(f, java.nio.charset.StandardCharsets.UTF_8)) {
        if (line.isBlank()) {
          continue;
        }
        BuildRequest.Secret s = BuildRequest.Secret.parse(line.strip(), System.getenv());
        if (s.file().isPresent() && !s.file().get().isAbsolute()) {
          s = BuildRequest.Secret.ofFile(s.id(), caseDir.resolve(s.file().get()));
        }
        out.add(s);
      }
    }
    return out;
  }

  /** What is under {@code dir} (relative paths); empty when it does not exist. */
  static List<String> leftovers(Path dir) throws IOException {
    if (!Files.isDirectory(dir)) {
      return List.of();
    }
    try (Stream<Path> s = Files.walk(dir)) {
      return s.filter(p -> !p.equals(dir)).map(p -> dir.relativize(p).toString()).sorted().toList();
    }
  }
}
