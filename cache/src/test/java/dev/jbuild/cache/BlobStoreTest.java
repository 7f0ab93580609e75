package dev.jbuild.cache;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.jbuild.oci.Digest;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BlobStoreTest {

  @TempDir Path dir;

  static byte[] random(int size, long seed) {
    byte[] b = new byte[size];
    new Random(seed).nextBytes(b);
    return b;
  }

  static List<Path> tmpFiles(BlobStore store) throws IOException {
    try (Stream<Path> s = Files.list(store.root().tmp())) {
      return s.toList();
    }
  }

  @Test
  void openCreatesAnImageLayout() throws IOException {
    BlobStore store = BlobStore.open(dir);
    assertThat(Files.readString(dir.resolve("oci-layout")))
        .isEqualTo("{\"imageLayoutVersion\":\"1.0.0\"}");
    assertThat(Files.readString(dir.resolve("index.json")))
        .isEqualTo("{\"schemaVersion\":2,\"manifests\":[]}");
    assertThat(dir.resolve("blobs/sha256")).isDirectory();
    assertThat(store.root().tmp()).isDirectory();
    // opening again changes nothing
    BlobStore.open(dir);
    assertThat(store.list()).isEmpty();
  }

  @Test
  void putStoresByDigestAndReadsBack() throws IOException {
    BlobStore store = BlobStore.open(dir);
    byte[] content = "hello\n".getBytes(StandardCharsets.UTF_8);
    StoredBlob b = store.put(content);
    assertThat(b.digest()).isEqualTo(Digest.of(content));
    assertThat(b.size()).isEqualTo(6);
    assertThat(store.path(b.digest()))
        .isEqualTo(dir.resolve("blobs/sha256/" + Digest.of(content).hex()));
    assertThat(store.has(b.digest())).isTrue();
    assertThat(store.size(b.digest())).isEqualTo(6);
    assertThat(store.read(b.digest())).isEqualTo(content);
    try (InputStream in = store.open(b.digest())) {
      assertThat(in.readAllBytes()).isEqualTo(content);
    }
    assertThat(store.put(content)).isEqualTo(b);
    assertThat(store.list()).containsExactly(b.digest());
    assertThat(tmpFiles(store)).isEmpty();
    assertThat(store.delete(b.digest())).isTrue();
    assertThat(store.has(b.digest())).isFalse();
    assertThat(store.delete(b.digest())).isFalse();
  }

  @Test
  void writingABlobTheStoreHasKeepsTheStoredFileAndRefreshesItsTime() throws IOException {
    BlobStore store = BlobStore.open(dir);
    byte[] content = random(300_000, 3); // more than the writer's buffer: part of it was written
    StoredBlob first = store.put(content);
    Path p = store.path(first.digest());
    Object inode = Files.readAttributes(p, java.nio.file.attribute.BasicFileAttributes.class).fileKey();
    Files.setLastModifiedTime(p, java.nio.file.attribute.FileTime.fromMillis(0));
    try (BlobWriter w = store.writerNamedByCaller()) {
      w.write(content);
      assertThat(w.commitAs(first.digest())).isEqualTo(first);
    }
    assertThat(store.put(content)).isEqualTo(first);
    assertThat(Files.readAttributes(p, java.nio.file.attribute.BasicFileAttributes.class).fileKey())
        .isEqualTo(inode);
    assertThat(Files.getLastModifiedTime(p).toMillis()).isGreaterThan(0);
    assertThat(store.read(first.digest())).isEqualTo(content);
    assertThat(tmpFiles(store)).isEmpty();
  }

  @Test
  void streamingPutVerifiesTheExpectedDigest() throws IOException {
    BlobStore store = BlobStore.open(dir);
    byte[] content = random(3 * 1024 * 1024 + 17, 1);
    Digest digest = Digest.of(content);
    StoredBlob b = store.put(new ByteArrayInputStream(content), digest);
    assertThat(b).isEqualTo(new StoredBlob(digest, content.length));
    assertThat(store.read(digest)).isEqualTo(content);

    Digest wrong = new Digest("sha256", "0".repeat(64));
    assertThatThrownBy(() -> store.put(new ByteArrayInputStream(random(1000, 2)), wrong))
        .isInstanceOf(CacheException.class)
        .hasMessageContaining(wrong.toString())
        .hasMessageContaining("nothing was stored");
    assertThat(store.has(wrong)).isFalse();
    assertThat(store.list()).containsExactly(digest);
    assertThat(tmpFiles(store)).isEmpty();
  }

  @Test
  void aFailedWriteLeavesNothing() throws IOException {
    BlobStore store = BlobStore.open(dir);
    InputStream failing = new InputStream() {
      int n;

      @Override
      public int read() throws IOException {
        if (++n > 100_000) {
          throw new IOException("connection reset");
        }
        return n & 0xff;
      }
    };
    assertThatThrownBy(() -> store.put(failing, null))
        .isInstanceOf(CacheException.class).hasMessageContaining("connection reset");
    try (BlobWriter w = store.writer(null)) {
      w.write(random(5000, 3));
      // closed without commit
    }
    assertThat(store.list()).isEmpty();
    assertThat(tmpFiles(store)).isEmpty();
  }

  @Test
  void blobsWrittenBackWhileWritingAreWholeOrAbsent() throws IOException {
    // beyond 32 MB a writer starts writeback on another thread while it goes on writing
    BlobStore store = BlobStore.open(dir);
    byte[] piece = random(1 << 20, 9);
    java.security.MessageDigest md = Digest.newSha256();
    StoredBlob stored;
    try (BlobWriter w = store.writer(null)) {
      for (int i = 0; i < 100; i++) {
        piece[0] = (byte) i;
        md.update(piece);
        w.write(piece);
      }
      stored = w.commit();
    }
    assertThat(stored.digest()).isEqualTo(Digest.sha256(md.digest()));
    assertThat(stored.size()).isEqualTo(100L << 20);
    assertThat(Files.size(store.path(stored.digest()))).isEqualTo(100L << 20);
    try (InputStream in = store.open(stored.digest())) {
      java.security.MessageDigest again = Digest.newSha256();
      byte[] b = new byte[1 << 16];
      for (int n; (n = in.read(b)) > 0; ) {
        again.update(b, 0, n);
      }
      assertThat(Digest.sha256(again.digest())).isEqualTo(stored.digest());
    }
    try (BlobWriter w = store.writer(null)) {
      for (int i = 0; i < 70; i++) {
        w.write(piece);
      }
      // abandoned while its writeback may still run
    }
    assertThat(store.list()).containsExactly(stored.digest());
    assertThat(tmpFiles(store)).isEmpty();
  }

  @Test
  void aBlobNamedByItsWriterIsStoredUnderThatDigest() throws IOException {
    BlobStore store = BlobStore.open(dir);
    byte[] content = random(300_000, 4);
    Digest digest = Digest.sha256(Digest.newSha256().digest(content));
    try (BlobWriter w = store.writerNamedByCaller()) {
      w.write(content);
      assertThatThrownBy(w::commit).isInstanceOf(IllegalStateException.class);
      StoredBlob stored = w.commitAs(digest);
      assertThat(stored).isEqualTo(new StoredBlob(digest, content.length));
    }
    assertThat(Files.readAllBytes(store.path(digest))).isEqualTo(content);
    try (BlobWriter w = store.writer(null)) {
      w.write(content);
      assertThatThrownBy(() -> w.commitAs(digest)).isInstanceOf(IllegalStateException.class);
    }
    assertThat(tmpFiles(store)).isEmpty();
  }

  @Test
  void corruptedBlobsAreDetectedAtEndOfStream() throws IOException {
    BlobStore store = BlobStore.open(dir);
    byte[] content = random(200_000, 4);
    Digest digest = store.put(content).digest();
    Path file = store.path(digest);
    byte[] damaged = content.clone();
    damaged[100_000] ^= 1;
    Files.write(file, damaged);

    try (InputStream in = store.open(digest)) {
      byte[] head = in.readNBytes(1000);
      assertThat(head).hasSize(1000);
      assertThatThrownBy(in::readAllBytes)
          .isInstanceOf(CorruptBlobException.class)
          .hasMessageContaining(file.toString())
          .hasMessageContaining("jbuild prune")
          .hasMessageContaining(digest.toString());
    }
    assertThatThrownBy(() -> store.read(digest))
        .isInstanceOf(CacheException.class)
        .hasMessageContaining(file.toString())
        .hasMessageContaining("Delete the file");
    assertThatThrownBy(() -> store.verify(digest)).isInstanceOf(CacheException.class);

    // truncation is corruption too
    Files.write(file, new byte[0]);
    assertThatThrownBy(() -> store.read(digest)).hasMessageContaining("corrupted");
  }

  @Test
  void missingBlobsNameThePath() {
    BlobStore store = BlobStore.open(dir);
    Digest d = new Digest("sha256", "1".repeat(64));
    assertThatThrownBy(() -> store.open(d))
        .isInstanceOf(CacheException.class)
        .hasMessageContaining("not in the store")
        .hasMessageContaining(store.path(d).toString());
    assertThatThrownBy(() -> store.size(d)).isInstanceOf(CacheException.class);
  }

  @Test
  void aNonEmptyDirectoryThatIsNotAStoreIsLeftAlone() throws IOException {
    Files.writeString(dir.resolve("notes.txt"), "mine");
    assertThatThrownBy(() -> BlobStore.open(dir))
        .isInstanceOf(CacheException.class)
        .hasMessageContaining("not a jbuild store")
        .hasMessageContaining("--root");
    assertThat(dir.resolve("blobs")).doesNotExist();
    assertThat(dir.resolve("index.json")).doesNotExist();
  }

  @Test
  void concurrentFirstOpensOfOneRootAllSucceed() throws Exception {
    Path root = dir.resolve("fresh");
    ExecutorService pool = Executors.newFixedThreadPool(6);
    CountDownLatch start = new CountDownLatch(1);
    List<Future<BlobStore>> opens = new ArrayList<>();
    for (int i = 0; i < 6; i++) {
      opens.add(pool.submit(() -> {
        start.await();
        return BlobStore.open(root);
      }));
    }
    start.countDown();
    for (Future<BlobStore> f : opens) {
      assertThat(f.get().root().dir()).isEqualTo(root);
    }
    pool.shutdown();
    assertThat(Files.readString(root.resolve("oci-layout")))
        .isEqualTo("{\"imageLayoutVersion\":\"1.0.0\"}");
  }

  @Test
  void aDirectoryThatIsNotALayoutIsRefused() throws IOException {
    Files.writeString(dir.resolve("oci-layout"), "{\"imageLayoutVersion\":\"2.0.0\"}");
    assertThatThrownBy(() -> BlobStore.open(dir))
        .isInstanceOf(CacheException.class)
        .hasMessageContaining("--root");
  }

  @Test
  void concurrentWritersOfTheSameBlobAllSucceed() throws Exception {
    BlobStore store = BlobStore.open(dir);
    byte[] content = random(4 * 1024 * 1024, 5);
    Digest digest = Digest.of(content);
    int threads = 8;
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    CountDownLatch start = new CountDownLatch(1);
    List<Future<StoredBlob>> results = new ArrayList<>();
    for (int i = 0; i < threads; i++) {
      boolean withExpected = i % 2 == 0;
      Callable<StoredBlob> task = () -> {
        start.await();
        try (BlobWriter w = store.writer(withExpected ? digest : null)) {
          // write in pieces so that the writers overlap
          for (int off = 0; off < content.length; off += 65536) {
            w.write(content, off, Math.min(65536, content.length - off));
          }
          return w.commit();
        }
      };
      results.add(pool.submit(task));
    }
    start.countDown();
    for (Future<StoredBlob> f : results) {
      assertThat(f.get()).isEqualTo(new StoredBlob(digest, content.length));
    }
    pool.shutdown();
    assertThat(store.read(digest)).isEqualTo(content);
    assertThat(store.list()).containsExactly(digest);
    assertThat(tmpFiles(store)).isEmpty();
  }

  @Test
  void rootResolution() {
    assertThat(JbuildRoot.resolve("/x/root", java.util.Map.of("JBUILD_ROOT", "/env"), "/home/u")
        .dir()).isEqualTo(Path.of("/x/root"));
    assertThat(JbuildRoot.resolve(null, java.util.Map.of("JBUILD_ROOT", "/env",
        "XDG_CACHE_HOME", "/xdg"), "/home/u").dir()).isEqualTo(Path.of("/env"));
    assertThat(JbuildRoot.resolve(null, java.util.Map.of("XDG_CACHE_HOME", "/xdg"), "/home/u")
        .dir()).isEqualTo(Path.of("/xdg/jbuild"));
    // a relative XDG_CACHE_HOME is ignored, as the XDG spec says
    assertThat(JbuildRoot.resolve(null, java.util.Map.of("XDG_CACHE_HOME", "rel"), "/home/u")
        .dir()).isEqualTo(Path.of("/home/u/.cache/jbuild"));
    assertThat(JbuildRoot.resolve("", java.util.Map.of(), "/home/u").dir())
        .isEqualTo(Path.of("/home/u/.cache/jbuild"));
    assertThatThrownBy(() -> JbuildRoot.resolve(null, java.util.Map.of(), ""))
        .isInstanceOf(CacheException.class).hasMessageContaining("JBUILD_ROOT");
    JbuildRoot r = new JbuildRoot(Path.of("/r"));
    assertThat(r.blobs()).isEqualTo(Path.of("/r/blobs"));
    assertThat(r.indexJson()).isEqualTo(Path.of("/r/index.json"));
    assertThat(r.tmp()).isEqualTo(Path.of("/r/tmp"));
    assertThat(r.layers()).isEqualTo(Path.of("/r/layers"));
    assertThat(r.buildCache()).isEqualTo(Path.of("/r/cache"));
  }
}
