package dev.jbuild.bench;

import dev.jbuild.cache.BlobStore;
import dev.jbuild.cache.BuildCache;
import dev.jbuild.cache.CacheKey;
import dev.jbuild.cache.StoredBlob;
import dev.jbuild.oci.Descriptor;
import dev.jbuild.oci.MediaTypes;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Comparator;
import java.util.Optional;
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
 * The build cache on a no-change rebuild: a chain of 19 steps (the {@code noop-rebuild} case's
 * Dockerfile length), each a step key from its parent and its expanded instruction, the
 * {@code LAYER} key on top and a lookup in a {@link BuildCache} that holds 10,000 other entries;
 * and a miss (a key never stored). Measures what the executor pays per instruction before any
 * file is looked at. Run: {@code java -jar bench/target/benchmarks.jar CacheLookupBenchmark}.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Fork(1)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
public class CacheLookupBenchmark {

  private static final int STEPS = 19;
  private static final int OTHER_ENTRIES = 10_000;

  private Path root;
  private BuildCache cache;
  private CacheKey base;

  @Setup(Level.Trial)
  public void fill() throws IOException {
    String tmp = System.getProperty("jbuild.bench.tmp", System.getProperty("java.io.tmpdir"));
    root = Files.createTempDirectory(Path.of(tmp), "jbuild-bench-cache-");
    cache = BuildCache.open(BlobStore.open(root));
    base = CacheKey.builder("FROM").field("manifest", "sha256:" + "ab".repeat(32)).build();
    Instant created = Instant.parse("2026-01-01T00:00:00Z");
    CacheKey parent = base;
    for (int i = 0; i < STEPS; i++) {
      CacheKey step = stepKey(parent, i);
      StoredBlob b = cache.blobs().put(("layer " + i).getBytes(StandardCharsets.UTF_8));
      cache.putLayer(layerKey(step), new BuildCache.CachedLayer(
          Descriptor.of(MediaTypes.OCI_LAYER_GZIP, b.digest(), b.size()), b.digest(), created));
      parent = step;
    }
    StoredBlob other = cache.blobs().put("other".getBytes(StandardCharsets.UTF_8));
    Descriptor d = Descriptor.of(MediaTypes.OCI_LAYER_GZIP, other.digest(), other.size());
    for (int i = 0; i < OTHER_ENTRIES; i++) {
      CacheKey k = CacheKey.builder("RUN").field("n", Integer.toString(i)).build();
      cache.putLayer(k, new BuildCache.CachedLayer(d, other.digest(), created));
    }
  }

  @TearDown(Level.Trial)
  public void delete() throws IOException {
    try (Stream<Path> s = Files.walk(root)) {
      for (Path f : (Iterable<Path>) s.sorted(Comparator.reverseOrder())::iterator) {
        Files.delete(f);
      }
    }
  }

  private static CacheKey stepKey(CacheKey parent, int i) {
    return CacheKey.builder("RUN")
        .parent(parent)
        .field("command", "RUN chmod -R a+rX /opt/app && chown -R app:app /opt/app/static # " + i)
        .field("args", "/bin/sh\u0000-c\u0000chmod -R a+rX /opt/app")
        .field("env", "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\u0000APP_HOME=/opt/app")
        .field("user", "")
        .field("workdir", "/opt/app")
        .field("shell", "/bin/sh\u0000-c")
        .build();
  }

  private static CacheKey layerKey(CacheKey step) {
    return CacheKey.builder("LAYER").parent(step).field("compression", "GZIP").build();
  }

  /** 19 keys computed and found, as on a rebuild where nothing changed. */
  @Benchmark
  public int hitChain() {
    int found = 0;
    CacheKey parent = base;
    for (int i = 0; i < STEPS; i++) {
      CacheKey step = stepKey(parent, i);
      if (cache.layer(layerKey(step)).isPresent()) {
        found++;
      }
      parent = step;
    }
    if (found != STEPS) {
      throw new IllegalStateException("only " + found + " of " + STEPS + " steps were cached");
    }
    return found;
  }

  /** One key computed and not found (the first changed step of a rebuild). */
  @Benchmark
  public Optional<BuildCache.CachedLayer> miss() {
    Optional<BuildCache.CachedLayer> r = cache.layer(layerKey(stepKey(base, -1)));
    if (r.isPresent()) {
      throw new IllegalStateException("a key never stored was found");
    }
    return r;
  }
}
