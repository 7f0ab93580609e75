package dev.jbuild.bench;

import dev.jbuild.build.context.BuildContext;
import dev.jbuild.build.context.ContextEntry;
import dev.jbuild.oci.Digest;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import java.util.Comparator;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Hashing a build context of 5,000 selected files (plus 1,000 ignored ones) for a {@code COPY
 * . /app} cache key: without a stat cache (every file read) and with a stat cache primed by an
 * earlier build (no file read). The page cache is warm in both, so "cold" measures the cost of
 * reading and hashing, not of the disk. Run: {@code java -jar bench/target/benchmarks.jar
 * ContextHashBenchmark}.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Fork(1)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
public class ContextHashBenchmark {

  private Path context;
  private Path jbuildRoot;

  @Setup(Level.Trial)
  public void generate() throws IOException {
    context = Files.createTempDirectory("jbuild-bench-context-");
    jbuildRoot = Files.createTempDirectory("jbuild-bench-root-");
    Random random = new Random(42);
    byte[] buffer = new byte[16 * 1024];
    // 100 directories of 50 files, 100 B to 16 KiB each: a typical source tree
    for (int d = 0; d < 100; d++) {
      Path dir = Files.createDirectories(context.resolve("src/module" + d / 10 + "/pkg" + d));
      for (int f = 0; f < 50; f++) {
        random.nextBytes(buffer);
        Files.write(dir.resolve("File" + f + ".java"), java.util.Arrays.copyOf(buffer, 100 + random.nextInt(16 * 1024 - 100)));
      }
    }
    // what .dockerignore keeps out: dependencies and logs
    for (int d = 0; d < 20; d++) {
      Path dir = Files.createDirectories(context.resolve("node_modules/dep" + d));
      for (int f = 0; f < 50; f++) {
        Files.write(dir.resolve("index" + f + ".js"), java.util.Arrays.copyOf(buffer, 2000));
      }
    }
    for (int f = 0; f < 20; f++) {
      Files.writeString(context.resolve("build" + f + ".log"), "log " + f);
    }
    Files.writeString(context.resolve(".dockerignore"), "node_modules\n*.log\n.dockerignore\n");
    // out of the stat cache's racy window, as files of a real checkout are
    FileTime past = FileTime.from(Instant.now().minus(Duration.ofHours(1)));
    try (Stream<Path> s = Files.walk(context)) {
      for (Path p : (Iterable<Path>) s::iterator) {
        Files.setLastModifiedTime(p, past);
      }
    }
    // the earlier build that primes the stat cache
    try (BuildContext c = BuildContext.ofDirectory(context, null, jbuildRoot)) {
      List<ContextEntry> entries = c.walk(c.resolve(".").get(0), null, null);
      if (entries.size() != 5000 + 100 + 10 + 1 + 1) {
        throw new IllegalStateException("unexpected selection size " + entries.size());
      }
      c.hasher().selectionDigest(entries);
    }
  }

  @TearDown(Level.Trial)
  public void delete() throws IOException {
    for (Path p : List.of(context, jbuildRoot)) {
      try (Stream<Path> s = Files.walk(p)) {
        s.sorted(Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
      }
    }
  }

  /** No stat cache: walk, read and hash all 5,000 files. */
  @Benchmark
  public Digest cold() {
    try (BuildContext c = BuildContext.ofDirectory(context, null, null)) {
      return c.hasher().selectionDigest(c.walk(c.resolve(".").get(0), null, null));
    }
  }

  /** Stat cache from an earlier build: walk and stat only. */
  @Benchmark
  public Digest statCached() {
    try (BuildContext c = BuildContext.ofDirectory(context, null, jbuildRoot)) {
      Digest d = c.hasher().selectionDigest(c.walk(c.resolve(".").get(0), null, null));
      if (c.hasher().filesRead() != 0) {
        throw new IllegalStateException("the stat cache missed " + c.hasher().filesRead());
      }
      return d;
    }
  }
}
