package dev.jbuild.cache;

import static org.assertj.core.api.Assertions.assertThat;

import dev.jbuild.oci.Descriptor;
import dev.jbuild.oci.Digest;
import dev.jbuild.oci.MediaTypes;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BuildCacheTest {

  @TempDir Path tmp;

  @Test
  void keysDependOnEveryFieldAndItsBoundaries() {
    CacheKey a = CacheKey.builder("COPY").field("x", "ab").field("y", "c").build();
    CacheKey b = CacheKey.builder("COPY").field("x", "a").field("y", "bc").build();
    CacheKey c = CacheKey.builder("RUN").field("x", "ab").field("y", "c").build();
    assertThat(a).isNotEqualTo(b).isNotEqualTo(c);
    assertThat(CacheKey.builder("COPY").field("x", "ab").field("y", "c").build()).isEqualTo(a);
    assertThat(CacheKey.builder("COPY").parent(a).build())
        .isNotEqualTo(CacheKey.builder("COPY").parent(b).build());
  }

  @Test
  void layerEntriesRoundTripAndMissIfTheBlobIsGone() {
    BlobStore blobs = BlobStore.open(new JbuildRoot(tmp));
    BuildCache cache = BuildCache.open(blobs);
    StoredBlob blob = blobs.put("layer".getBytes(StandardCharsets.UTF_8));
    CacheKey key = CacheKey.builder("WORKDIR").field("path", "/a").build();
    assertThat(cache.layer(key)).isEmpty();
    Instant created = Instant.ofEpochSecond(1700000000, 123);
    BuildCache.CachedLayer layer =
        new BuildCache.CachedLayer(
            blob.descriptor(MediaTypes.OCI_LAYER_GZIP), Digest.of(new byte[] {1}), created);
    cache.putLayer(key, layer);
    assertThat(cache.layer(key)).contains(layer);
    assertThat(BuildCache.open(blobs).layer(key)).contains(layer);
    blobs.delete(blob.digest());
    assertThat(cache.layer(key)).isEmpty();
  }

  @Test
  void gcKeepsWhatTheCacheRefersTo() throws Exception {
    BlobStore blobs = BlobStore.open(new JbuildRoot(tmp));
    ImageStore store = new ImageStore(blobs);
    BuildCache cache = BuildCache.open(blobs);
    StoredBlob kept = blobs.put("kept".getBytes(StandardCharsets.UTF_8));
    StoredBlob dropped = blobs.put("dropped".getBytes(StandardCharsets.UTF_8));
    cache.putLayer(
        CacheKey.builder("X").build(),
        new BuildCache.CachedLayer(kept.descriptor(MediaTypes.OCI_LAYER), kept.digest(), Instant.now()));
    store.collectGarbage(cache.gcRoots(), Duration.ZERO);
    assertThat(blobs.has(kept.digest())).isTrue();
    assertThat(blobs.has(dropped.digest())).isFalse();
    assertThat(cache.clear()).isEqualTo(1);
    assertThat(cache.gcRoots().roots()).isEmpty();
  }

  @Test
  void concurrentWritersOfOneKeyLeaveAWholeEntry() throws Exception {
    BlobStore blobs = BlobStore.open(new JbuildRoot(tmp));
    StoredBlob blob = blobs.put("l".getBytes(StandardCharsets.UTF_8));
    Descriptor d = blob.descriptor(MediaTypes.OCI_LAYER);
    CacheKey key = CacheKey.builder("K").build();
    List<Thread> threads = new ArrayList<>();
    for (int i = 0; i < 8; i++) {
      int n = i;
      Thread t =
          new Thread(
              () -> {
                for (int k = 0; k < 20; k++) {
                  BuildCache.open(blobs)
                      .putLayer(key, new BuildCache.CachedLayer(d, blob.digest(), Instant.ofEpochSecond(n)));
                }
              });
      threads.add(t);
      t.start();
    }
    for (Thread t : threads) {
      t.join();
    }
    assertThat(BuildCache.open(blobs).layer(key)).isPresent();
    try (var files = Files.list(tmp.resolve("tmp"))) {
      assertThat(files.filter(p -> p.getFileName().toString().startsWith(".")).count()).isZero();
    }
  }
}
