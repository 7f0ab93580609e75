package dev.jbuild.cache;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.jbuild.oci.Descriptor;
import dev.jbuild.oci.Digest;
import dev.jbuild.oci.ImageIndex;
import dev.jbuild.oci.MediaTypes;
import dev.jbuild.oci.RawJson;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ImageStoreTest {

  @TempDir Path dir;

  @Test
  void tagsLiveInIndexJsonWithFullNames() throws IOException {
    ImageStore store = ImageStore.open(new JbuildRoot(dir));
    TestImages.Image a = TestImages.put(store.blobs(), "a");
    TestImages.Image b = TestImages.put(store.blobs(), "b");
    TaggedImage t = store.tag("app:1", a.manifest());
    assertThat(t.name()).isEqualTo("docker.io/library/app:1");
    store.tag("localhost:5000/team/app", b.manifest());

    ImageIndex index = ImageIndex.parse(Files.readAllBytes(dir.resolve("index.json")));
    assertThat(index.manifests()).hasSize(2);
    assertThat(index.manifests().get(0).annotation(Descriptor.REF_NAME))
        .isEqualTo("docker.io/library/app:1");
    assertThat(index.manifests().get(0).annotation(Descriptor.CONTAINERD_IMAGE_NAME))
        .isEqualTo("docker.io/library/app:1");
    assertThat(index.manifests().get(0).digest()).isEqualTo(a.manifest().digest());
    assertThat(index.manifests().get(1).annotation(Descriptor.REF_NAME))
        .isEqualTo("localhost:5000/team/app:latest");
    assertThat(store.list()).extracting(TaggedImage::name)
        .containsExactly("docker.io/library/app:1", "localhost:5000/team/app:latest");

    // retag replaces in place
    store.tag("docker.io/library/app:1", b.manifest());
    assertThat(store.list()).hasSize(2);
    assertThat(store.resolve("app:1")).map(Descriptor::digest).contains(b.manifest().digest());

    assertThat(store.untag("app:1")).isTrue();
    assertThat(store.untag("app:1")).isFalse();
    assertThat(store.list()).extracting(TaggedImage::name)
        .containsExactly("localhost:5000/team/app:latest");
  }

  /** A no-change rebuild tags the same image again: index.json is left alone (no fsync). */
  @Test
  void retaggingTheSameImageDoesNotRewriteIndexJson() throws IOException {
    ImageStore store = ImageStore.open(new JbuildRoot(dir));
    TestImages.Image a = TestImages.put(store.blobs(), "a");
    TestImages.Image b = TestImages.put(store.blobs(), "b");
    Path index = dir.resolve("index.json");
    store.tag("app:1", a.manifest());
    Object written = Files.getAttribute(index, "unix:ino");
    byte[] before = Files.readAllBytes(index);

    store.tag("docker.io/library/app:1", a.manifest());
    assertThat(Files.getAttribute(index, "unix:ino")).isEqualTo(written);
    assertThat(Files.readAllBytes(index)).isEqualTo(before);

    store.tag("app:1", b.manifest()); // a different image is written as before
    assertThat(Files.getAttribute(index, "unix:ino")).isNotEqualTo(written);
    assertThat(store.resolve("app:1").orElseThrow().digest()).isEqualTo(b.manifest().digest());
  }

  @Test
  void resolvesByNameDigestAndShortId() {
    ImageStore store = ImageStore.open(new JbuildRoot(dir));
    TestImages.Image a = TestImages.put(store.blobs(), "a");
    TestImages.Image untagged = TestImages.put(store.blobs(), "u");
    store.tag("docker.io/library/app:latest", a.manifest());

    Descriptor byName = store.resolve("app").orElseThrow();
    assertThat(byName.digest()).isEqualTo(a.manifest().digest());
    assertThat(byName.mediaType()).isEqualTo(MediaTypes.OCI_MANIFEST);
    assertThat(byName.annotations()).isEmpty();
    assertThat(store.resolve("index.docker.io/library/app:latest")).isPresent();
    assertThat(store.resolve("app:2")).isEmpty();
    assertThat(store.resolve(a.manifest().digest().toString())).map(Descriptor::digest)
        .contains(a.manifest().digest());
    assertThat(store.resolve("app@" + a.manifest().digest())).isPresent();
    // an untagged manifest is found by digest when its blob is there
    assertThat(store.resolve(untagged.manifest().digest().toString()))
        .map(Descriptor::size).contains(untagged.manifest().size());
    // a layer is not an image
    assertThat(store.resolve(a.layer().digest().toString())).isEmpty();
    assertThat(store.resolve("sha256:" + "9".repeat(64))).isEmpty();
    // short IDs: a prefix of the manifest digest or of the image ID (config digest)
    assertThat(store.resolve(a.manifest().digest().hex().substring(0, 12)))
        .map(Descriptor::digest).contains(a.manifest().digest());
    assertThat(store.resolve(a.config().digest().hex().substring(0, 8)))
        .map(Descriptor::digest).contains(a.manifest().digest());
    assertThat(store.imageId(a.manifest())).contains(a.config().digest());
  }

  @Test
  void taggingAMissingManifestFails() {
    ImageStore store = ImageStore.open(new JbuildRoot(dir));
    Descriptor ghost = Descriptor.of(MediaTypes.OCI_MANIFEST,
        new Digest("sha256", "4".repeat(64)), 10);
    assertThatThrownBy(() -> store.tag("app:1", ghost))
        .isInstanceOf(CacheException.class).hasMessageContaining("not in the store");
    assertThatThrownBy(() -> store.tag("App:1", ghost))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("lower case");
  }

  @Test
  void aDamagedIndexJsonIsReportedWithWhatToDo() throws IOException {
    ImageStore store = ImageStore.open(new JbuildRoot(dir));
    Files.writeString(dir.resolve("index.json"), "{\"schemaVersion\":2,");
    assertThatThrownBy(store::list)
        .isInstanceOf(CacheException.class)
        .hasMessageContaining(dir.resolve("index.json").toString())
        .hasMessageContaining("delete it");
  }

  @Test
  void garbageCollectionKeepsTaggedRootedAndRecentBlobs() throws IOException {
    ImageStore store = ImageStore.open(new JbuildRoot(dir));
    BlobStore blobs = store.blobs();
    TestImages.Image tagged = TestImages.put(blobs, "tagged");
    TestImages.Image rooted = TestImages.put(blobs, "rooted");
    TestImages.Image inIndex = TestImages.put(blobs, "in-index");
    TestImages.Image old = TestImages.put(blobs, "old");
    TestImages.Image recent = TestImages.put(blobs, "recent");
    Descriptor loose = blobs.put("cached layer".getBytes()).descriptor(MediaTypes.OCI_LAYER);
    // an index tagged: its children are kept through it
    Descriptor multi = blobs.put(RawJson.of(ImageIndex.oci(List.of(inIndex.manifest(),
        Descriptor.of(MediaTypes.OCI_MANIFEST, new Digest("sha256", "7".repeat(64)), 5)))));
    store.tag("app:1", tagged.manifest());
    store.tag("multi:1", multi);
    Path staleTemp = dir.resolve("tmp/.blob.tmp-dead-1");
    Files.write(staleTemp, new byte[10]);

    Instant longAgo = Instant.now().minus(Duration.ofDays(3));
    for (Digest d : blobs.list()) {
      if (!List.of(recent.manifest().digest(), recent.config().digest(),
          recent.layer().digest()).contains(d)) {
        Files.setLastModifiedTime(blobs.path(d), FileTime.from(longAgo));
      }
    }
    Files.setLastModifiedTime(staleTemp, FileTime.from(longAgo));

    GcReport report = store.collectGarbage(
        () -> List.of(rooted.manifest(), loose), ImageStore.DEFAULT_GRACE);

    for (TestImages.Image kept : List.of(tagged, rooted, inIndex, recent)) {
      assertThat(blobs.has(kept.manifest().digest())).isTrue();
      assertThat(blobs.has(kept.config().digest())).isTrue();
      assertThat(blobs.has(kept.layer().digest())).isTrue();
    }
    assertThat(blobs.has(multi.digest())).isTrue();
    assertThat(blobs.has(loose.digest())).isTrue();
    assertThat(blobs.has(old.manifest().digest())).isFalse();
    assertThat(blobs.has(old.config().digest())).isFalse();
    assertThat(blobs.has(old.layer().digest())).isFalse();
    assertThat(staleTemp).doesNotExist();
    assertThat(report.removedBlobs()).isEqualTo(3);
    assertThat(report.keptRecent()).isEqualTo(3);
    assertThat(report.removedTempFiles()).isEqualTo(1);
    assertThat(report.freedBytes()).isEqualTo(old.manifest().size() + old.config().size()
        + old.layer().size());

    // reusing an old blob refreshes it, so a build that reuses it is safe from GC
    Digest reused = blobs.put("reused".getBytes()).digest();
    Files.setLastModifiedTime(blobs.path(reused), FileTime.from(longAgo));
    blobs.put("reused".getBytes());
    store.collectGarbage(GcRoots.none(), ImageStore.DEFAULT_GRACE);
    assertThat(blobs.has(reused)).isTrue();
    Files.setLastModifiedTime(blobs.path(reused), FileTime.from(longAgo));
    assertThat(blobs.markUsed(reused)).isTrue();
    store.collectGarbage(GcRoots.none(), ImageStore.DEFAULT_GRACE);
    assertThat(blobs.has(reused)).isTrue();
    Files.setLastModifiedTime(blobs.path(reused), FileTime.from(longAgo));
    store.collectGarbage(GcRoots.none(), ImageStore.DEFAULT_GRACE);
    assertThat(blobs.has(reused)).isFalse();
    assertThat(blobs.markUsed(reused)).isFalse();
    // untag and collect with no grace: everything of that image goes
    store.untag("app:1");
    store.collectGarbage(GcRoots.none(), Duration.ZERO);
    assertThat(blobs.has(tagged.manifest().digest())).isFalse();
    assertThat(blobs.has(inIndex.layer().digest())).isTrue();
  }

  @Test
  void garbageCollectionRemovesFreshTempFilesOfExitedWriters() throws Exception {
    ImageStore store = ImageStore.open(new JbuildRoot(dir));
    Process exited = new ProcessBuilder("true").start();
    exited.waitFor();
    // a killed build's half-written blob: fresh, but its writer is gone
    Path orphan = dir.resolve("tmp/.blob.tmp-1f2e3d-" + exited.pid());
    Path ours = dir.resolve("tmp/.blob.tmp-4a5b6c-" + ProcessHandle.current().pid());
    Path live = dir.resolve("tmp/.blob.tmp-7d8e9f-1"); // init never exits
    Path other = dir.resolve("tmp/scratch-" + exited.pid()); // not a temp name of ours
    for (Path p : List.of(orphan, ours, live, other)) {
      Files.write(p, new byte[3]);
    }

    GcReport report = store.collectGarbage(GcRoots.none(), ImageStore.DEFAULT_GRACE);

    assertThat(orphan).doesNotExist();
    assertThat(ours).exists();
    assertThat(live).exists();
    assertThat(other).exists();
    assertThat(report.removedTempFiles()).isEqualTo(1);
  }

  @Test
  void concurrentTaggersInOneProcessLoseNothing() throws Exception {
    ImageStore store = ImageStore.open(new JbuildRoot(dir));
    TestImages.Image img = TestImages.put(store.blobs(), "x");
    ExecutorService pool = Executors.newFixedThreadPool(6);
    List<Future<?>> fs = new ArrayList<>();
    for (int t = 0; t < 6; t++) {
      int thread = t;
      fs.add(pool.submit(() -> {
        for (int i = 0; i < 20; i++) {
          store.tag("t" + thread + ":" + i, img.manifest());
        }
      }));
    }
    for (Future<?> f : fs) {
      f.get();
    }
    pool.shutdown();
    assertThat(store.list()).hasSize(120);
  }

  @Test
  void twoProcessesShareTheStore() throws Exception {
    Path javaBin = Path.of(System.getProperty("java.home"), "bin", "java");
    String cp = System.getProperty("java.class.path");
    List<Process> procs = new ArrayList<>();
    for (String prefix : List.of("one", "two")) {
      procs.add(new ProcessBuilder(javaBin.toString(), "-cp", cp,
          StoreWorker.class.getName(), dir.toString(), prefix, "15")
          .redirectErrorStream(true).start());
    }
    // and this process tags at the same time
    ImageStore store = ImageStore.open(new JbuildRoot(dir));
    TestImages.Image mine = TestImages.put(store.blobs(), "shared");
    for (int i = 0; i < 15; i++) {
      store.tag("example.com/three:" + i, mine.manifest());
    }
    for (Process p : procs) {
      assertThat(p.waitFor(120, TimeUnit.SECONDS)).isTrue();
      String output = new String(p.getInputStream().readAllBytes());
      assertThat(p.exitValue()).as(output).isZero();
    }
    List<TaggedImage> tags = store.list();
    assertThat(tags).hasSize(45);
    assertThat(tags).extracting(t -> t.target().digest()).containsOnly(mine.manifest().digest());
    store.blobs().verify(mine.manifest().digest());
    store.blobs().verify(mine.layer().digest());
    try (var s = Files.list(dir.resolve("tmp"))) {
      assertThat(s.toList()).isEmpty();
    }
  }

  @Test
  void namesNormaliseLikeDocker() {
    assertThat(ImageStore.normalizeName("app")).isEqualTo("docker.io/library/app:latest");
    assertThat(ImageStore.normalizeName("user/app:1")).isEqualTo("docker.io/user/app:1");
    assertThat(ImageStore.normalizeName("localhost/app")).isEqualTo("localhost/app:latest");
    assertThat(ImageStore.normalizeName("host:5000/a/b:2")).isEqualTo("host:5000/a/b:2");
    assertThat(ImageStore.normalizeName("quay.io/x/y@sha256:" + "a".repeat(64)))
        .isEqualTo("quay.io/x/y@sha256:" + "a".repeat(64));
    assertThatThrownBy(() -> ImageStore.normalizeName("")).isInstanceOf(
        IllegalArgumentException.class);
    assertThatThrownBy(() -> ImageStore.normalizeName("app:")).isInstanceOf(
        IllegalArgumentException.class);
  }
}
