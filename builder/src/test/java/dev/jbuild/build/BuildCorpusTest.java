package dev.jbuild.build;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.fail;

import dev.jbuild.build.registry.RegistryOptions;
import dev.jbuild.build.sandbox.Sandbox;
import dev.jbuild.cache.JbuildRoot;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.io.TempDir;

/**
 * The build corpus: every {@code testdata/build/CASE} is built from scratch (no registry) and
 * its image config and flattened file tree compared with {@code CASE/expected}; a second build
 * in a fresh root must give the same manifest digest. {@code -Djbuild.golden.update=true}
 * rewrites the golden files.
 */
class BuildCorpusTest {

  /** Files of a case directory that are not part of its build context. */
  static final List<String> CASE_FILES = List.of("expected", "args", "target");

  static final Instant EPOCH = Instant.ofEpochSecond(1700000000);

  @TempDir Path tmp;

  static Path corpus() {
    return Path.of(System.getProperty("jbuild.testdata.dir", "../testdata")).resolve("build");
  }

  static List<Path> cases() throws IOException {
    try (Stream<Path> s = Files.list(corpus())) {
      return s.filter(Files::isDirectory).sorted().toList();
    }
  }

  @TestFactory
  Stream<DynamicTest> everyCase() throws IOException {
    List<Path> cases = cases();
    assertThat(cases).hasSizeGreaterThanOrEqualTo(1);
    return cases.stream().map(c -> DynamicTest.dynamicTest(c.getFileName().toString(), () -> check(c)));
  }

  private void check(Path caseDir) throws IOException {
    String name = caseDir.getFileName().toString();
    Path work = tmp.resolve(name);
    Path ctx = context(caseDir, work.resolve("ctx"));
    Path out1 = work.resolve("oci1");
    Path out2 = work.resolve("oci2");
    BuildResult r1 = build(caseDir, ctx, work.resolve("root1"), out1);
    BuildResult r2 = build(caseDir, ctx, work.resolve("root2"), out2);
    assertThat(r2.manifest().digest()).as("same build twice, fresh roots").isEqualTo(r1.manifest().digest());
    String actual = ImageDump.read(out1).text();
    Path expected = caseDir.resolve("expected");
    if (Boolean.getBoolean("jbuild.golden.update")) {
      Files.writeString(expected, actual);
      return;
    }
    if (!Files.exists(expected)) {
      fail(expected + " is missing: run with -Djbuild.golden.update=true and review it");
    }
    assertThat(actual).isEqualTo(Files.readString(expected));
  }

  static BuildResult build(Path caseDir, Path ctx, Path root, Path oci) throws IOException {
    BuildRequest.Builder b = BuildRequest.builder(ctx).pull(PullPolicy.NEVER)
        .sourceDateEpoch(EPOCH)
        .output(new OutputSpec(OutputSpec.Type.OCI, Optional.of(oci)));
    for (String[] kv : buildArgs(caseDir)) {
      b.buildArg(kv[0], kv[1]);
    }
    target(caseDir).ifPresent(b::target);
    return new Builder(new JbuildRoot(root), RegistryOptions.defaults(), Sandbox.unavailable(), e -> {})
        .build(b.build());
  }

  /** {@code args}: one {@code NAME=VALUE} build argument a line. */
  static List<String[]> buildArgs(Path caseDir) throws IOException {
    Path args = caseDir.resolve("args");
    List<String[]> out = new ArrayList<>();
    if (Files.exists(args)) {
      for (String line : Files.readAllLines(args, StandardCharsets.UTF_8)) {
        if (!line.isBlank()) {
          int eq = line.indexOf('=');
          out.add(new String[] {line.substring(0, eq), line.substring(eq + 1)});
        }
      }
    }
    return out;
  }

  /** {@code target}: the {@code --target} stage. */
  static Optional<String> target(Path caseDir) throws IOException {
    Path t = caseDir.resolve("target");
    return Files.exists(t) ? Optional.of(Files.readString(t).trim()) : Optional.empty();
  }

  /**
   * A copy of the case's context with the modes a checkout cannot keep stable (umask) fixed:
   * directories 0755, files 0644 or 0755 when executable, mtimes fixed.
   */
  static Path context(Path caseDir, Path dest) throws IOException {
    try (Stream<Path> s = Files.walk(caseDir)) {
      for (Path p : s.toList()) {
        Path rel = caseDir.relativize(p);
        if (rel.getNameCount() == 1 && CASE_FILES.contains(rel.toString())) {
          continue;
        }
        Path d = dest.resolve(rel.toString());
        if (Files.isSymbolicLink(p)) {
          Files.createSymbolicLink(d, Files.readSymbolicLink(p));
          continue;
        }
        if (Files.isDirectory(p)) {
          Files.createDirectories(d);
          Files.setPosixFilePermissions(d, PosixFilePermissions.fromString("rwxr-xr-x"));
        } else {
          Files.copy(p, d);
          Files.setPosixFilePermissions(d, PosixFilePermissions.fromString(
              Files.isExecutable(p) ? "rwxr-xr-x" : "rw-r--r--"));
        }
      }
    }
    try (Stream<Path> s = Files.walk(dest)) {
      for (Path p : s.toList()) {
        try {
          Files.getFileAttributeView(p, java.nio.file.attribute.BasicFileAttributeView.class,
              LinkOption.NOFOLLOW_LINKS).setTimes(FileTime.from(Instant.ofEpochSecond(1600000000)), null, null);
        } catch (IOException e) {
          throw new UncheckedIOException(e);
        }
      }
    }
    return dest;
  }
}
