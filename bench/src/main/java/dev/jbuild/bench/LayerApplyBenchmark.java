package dev.jbuild.bench;

import dev.jbuild.layer.ApplyResult;
import dev.jbuild.layer.Compression;
import dev.jbuild.layer.LayerApplier;
import dev.jbuild.layer.LayerBlob;
import dev.jbuild.layer.LayerWriter;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Comparator;
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
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Applying a layer to an empty directory (extracting a base layer for RUN, {@code COPY --from}
 * an image): 4,000 files of 100 B to 32 KiB in 80 directories (~65 MB, half text, half random
 * bytes) plus symlinks and hard links, decompressed, parsed, written with ownership, modes and
 * mtimes restored. Each invocation gets a fresh target; its deletion is not timed.
 *
 * <p>{@code -Djbuild.bench.tmp=DIR} chooses where the blobs and targets live (default: the JVM's
 * temp dir). Point it at the journaled bench filesystem ({@code /var/tmp/bench-fs}): on this
 * machine's journal-less root fs, creating files after big deletes is several times slower (see
 * {@code shared/bench/README.md}). Run: {@code java -jar bench/target/benchmarks.jar
 * LayerApplyBenchmark}.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SingleShotTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Fork(value = 1, jvmArgs = {"-Xmx256m"})
@Warmup(iterations = 5)
@Measurement(iterations = 10)
public class LayerApplyBenchmark {

  @Param({"NONE", "GZIP", "ZSTD"})
  public Compression compression;

  private Path work;
  private Path blob;
  private Path target;
  private long expectedEntries;

  @Setup(Level.Trial)
  public void writeLayer() throws IOException {
    String base = System.getProperty("jbuild.bench.tmp", System.getProperty("java.io.tmpdir"));
    work = Files.createTempDirectory(Path.of(base), "jbuild-bench-apply-");
    Path tree = Files.createDirectories(work.resolve("tree"));
    Random random = new Random(7);
    byte[] bytes = new byte[32 * 1024];
    byte[] text = ("public final class Example { private static final int VALUE = 42; "
        + "// a line of source code\n").repeat(600).getBytes(java.nio.charset.StandardCharsets.US_ASCII);
    for (int d = 0; d < 80; d++) {
      Path dir = Files.createDirectories(tree.resolve("usr/share/pkg" + d / 8 + "/dir" + d));
      for (int f = 0; f < 50; f++) {
        int size = 100 + random.nextInt(32 * 1024 - 100);
        byte[] content;
        if (f % 2 == 0) {
          random.nextBytes(bytes);
          content = Arrays.copyOf(bytes, size);
        } else {
          content = Arrays.copyOfRange(text, random.nextInt(1000), size + 1000);
        }
        Files.write(dir.resolve("file" + f + (f % 2 == 0 ? ".bin" : ".txt")), content);
      }
      Files.createSymbolicLink(dir.resolve("link"), Path.of("file0.bin"));
      Files.createLink(dir.resolve("hard"), dir.resolve("file1.txt"));
    }
    try (Stream<Path> s = Files.walk(tree)) {
      expectedEntries = s.count() - 1; // the root itself is not an entry
    }
    blob = work.resolve("layer.blob");
    LayerBlob written = new LayerWriter(LayerWriter.Options.of(compression))
        .writeTo(blob, (w, out) -> w.writeDirectory(tree, false, out));
    delete(tree);
    System.err.printf("%n%s layer: %d bytes, %d entries%n", compression, written.size(), expectedEntries);
  }

  @Setup(Level.Invocation)
  public void freshTarget() throws IOException {
    target = Files.createTempDirectory(work, "target-");
  }

  @TearDown(Level.Invocation)
  public void deleteTarget() throws IOException {
    delete(target);
  }

  @TearDown(Level.Trial)
  public void deleteAll() throws IOException {
    delete(work);
  }

  @Benchmark
  public ApplyResult apply() throws IOException {
    ApplyResult r = new LayerApplier(LayerApplier.Options.flattened()).apply(blob, target);
    if (r.entries() < expectedEntries) {
      throw new IllegalStateException("applied " + r.entries() + " entries, expected " + expectedEntries);
    }
    return r;
  }

  private static void delete(Path p) throws IOException {
    try (Stream<Path> s = Files.walk(p)) {
      for (Path f : (Iterable<Path>) s.sorted(Comparator.reverseOrder())::iterator) {
        Files.delete(f);
      }
    }
  }
}
