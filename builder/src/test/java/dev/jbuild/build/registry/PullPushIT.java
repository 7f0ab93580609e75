package dev.jbuild.build.registry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.jbuild.build.event.BuildEvent;
import dev.jbuild.build.registry.testing.RegistryFixture;
import dev.jbuild.build.registry.testing.TestImages;
import dev.jbuild.cache.ImageStore;
import dev.jbuild.cache.JbuildRoot;
import dev.jbuild.oci.Descriptor;
import dev.jbuild.oci.Digest;
import dev.jbuild.oci.ImageManifest;
import dev.jbuild.oci.MediaTypes;
import dev.jbuild.oci.Platform;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/** Pull into and push from the local store, against a real registry and real consumers. */
class PullPushIT {

  @RegisterExtension static final RegistryFixture REGISTRY = RegistryFixture.plain();

  private static final Platform AMD64 = Platform.of("linux", "amd64", null);
  private static final Platform ARM64 = Platform.of("linux", "arm64", "v8");
  private static final Platform ARMV7 = Platform.of("linux", "arm", "v7");

  @TempDir Path tmp;

  private final List<BuildEvent> events = new CopyOnWriteArrayList<>();
  private ImageStore store;
  private Registries registries;

  @BeforeEach
  void setUp() {
    store = ImageStore.open(new JbuildRoot(tmp.resolve("root")));
    registries =
        new Registries(
            RegistryOptions.defaults()
                .withCredentials(new Credentials(List.of()))
                .withRetry(RetryPolicy.NONE),
            events::add);
  }

  private Digest seed(String repoAndTag, TestImages.Image image) {
    ImageReference ref = ImageReference.parse(REGISTRY.ref(repoAndTag));
    try (Registry r = registries.openForPush(ref)) {
      return TestImages.push(r, image, ref.tag(), tmp);
    }
  }

  private PullImage.PulledImage pull(String repoAndTag, Platform platform) {
    return new PullImage(registries, store, events::add)
        .pull(ImageReference.parse(REGISTRY.ref(repoAndTag)), platform);
  }

  @Test
  void pullsByTagThenSkipsWhatTheStoreHas() {
    TestImages.Image image = TestImages.busybox(AMD64);
    Digest digest = seed("pull/busybox:1", image);

    PullImage.PulledImage pulled = pull("pull/busybox:1", AMD64);
    assertThat(pulled.manifest().digest()).isEqualTo(digest);
    assertThat(pulled.name()).isEqualTo(REGISTRY.ref("pull/busybox:1"));
    assertThat(store.resolve(REGISTRY.ref("pull/busybox:1"))).map(Descriptor::digest).contains(digest);
    for (TestImages.Blob blob : image.blobs()) {
      assertThat(store.blobs().read(blob.digest())).isEqualTo(blob.bytes());
    }
    assertThat(events).anyMatch(e -> e instanceof BuildEvent.BlobProgress && ((BuildEvent.BlobProgress) e).done());

    events.clear();
    pull("pull/busybox:1", AMD64);
    assertThat(events)
        .filteredOn(e -> e instanceof BuildEvent.BlobSkipped)
        .hasSize(2)
        .allMatch(e -> ((BuildEvent.BlobSkipped) e).reason() == BuildEvent.SkipReason.IN_STORE);
    assertThat(events).noneMatch(e -> e instanceof BuildEvent.BlobProgress);
  }

  @Test
  void insecurePlainRegistryPushesAndPullsOverPlainHttp() {
    // --insecure-registry HOST:PORT on a port that speaks plain HTTP: the one plain request
    // finds it, the client goes to HTTP at once; the round trip must be the same
    registries =
        new Registries(
            RegistryOptions.defaults()
                .withCredentials(new Credentials(List.of()))
                .withRetry(RetryPolicy.NONE)
                .withInsecure(java.util.Set.of(REGISTRY.host())),
            events::add);
    TestImages.Image image = TestImages.busybox(AMD64);
    Digest digest = seed("insecure/busybox:1", image);

    PullImage.PulledImage pulled = pull("insecure/busybox:1", AMD64);
    assertThat(pulled.manifest().digest()).isEqualTo(digest);
    for (TestImages.Blob blob : image.blobs()) {
      assertThat(store.blobs().read(blob.digest())).isEqualTo(blob.bytes());
    }
  }

  @Test
  void pullsByDigest() {
    Digest digest = seed("pull/bydigest:1", TestImages.busybox(AMD64));
    PullImage.PulledImage pulled = pull("pull/bydigest@" + digest, AMD64);
    assertThat(pulled.manifest().digest()).isEqualTo(digest);
    assertThat(store.resolve(REGISTRY.ref("pull/bydigest@" + digest))).isPresent();
  }

  @Test
  void indexResolvesToTheRequestedPlatform() {
    List<Platform> platforms = List.of(AMD64, ARM64, ARMV7);
    List<TestImages.Image> images =
        platforms.stream()
            .map(
                p -> {
                  byte[] tar = TestImages.fileTar("etc/arch", p.toString());
                  return TestImages.image(p, List.of(tar), List.of(TestImages.gzipLayer(tar, false)), false);
                })
            .toList();
    seed("multi/app:1", TestImages.index(platforms, images, false));

    assertThat(pull("multi/app:1", ARM64).manifest().digest()).isEqualTo(images.get(1).digest());
    assertThat(pull("multi/app:1", ARMV7).manifest().digest()).isEqualTo(images.get(2).digest());
    PullImage.PulledImage amd = pull("multi/app:1", AMD64);
    assertThat(amd.manifest().digest()).isEqualTo(images.get(0).digest());
    assertThat(amd.platform().toString()).isEqualTo("linux/amd64");
    assertThat(events)
        .anyMatch(e -> e instanceof BuildEvent.ManifestResolved && ((BuildEvent.ManifestResolved) e).platform().equals("linux/arm/v7"));

    assertThatThrownBy(() -> pull("multi/app:1", Platform.of("linux", "s390x", null)))
        .isInstanceOf(RegistryException.class)
        .hasMessageContaining("has no image for platform linux/s390x")
        .hasMessageContaining("linux/arm64");
  }

  @Test
  void dockerManifestListAndV22Manifest() {
    List<Platform> platforms = List.of(ARM64, AMD64);
    byte[] tar = TestImages.busyboxTar();
    List<TestImages.Image> images =
        List.of(
            TestImages.image(ARM64, List.of(TestImages.fileTar("a", "arm")), List.of(TestImages.gzipLayer(TestImages.fileTar("a", "arm"), true)), true),
            TestImages.image(AMD64, List.of(tar), List.of(TestImages.gzipLayer(tar, true)), true));
    seed("docker/busybox:1", TestImages.index(platforms, images, true));
    PullImage.PulledImage pulled = pull("docker/busybox:1", AMD64);
    assertThat(pulled.manifest().mediaType()).isEqualTo(MediaTypes.DOCKER_MANIFEST);
    assertThat(pulled.manifest().digest()).isEqualTo(images.get(1).digest());
    ImageManifest manifest = store.blobs().readManifest(pulled.manifest().digest()).value();
    assertThat(manifest.layers().get(0).mediaType()).isEqualTo(MediaTypes.DOCKER_LAYER_GZIP);
  }

  @Test
  void zstdLayers() {
    byte[] tar = TestImages.busyboxTar();
    TestImages.Blob layer = TestImages.zstdLayer(tar);
    seed("zstd/busybox:1", TestImages.image(AMD64, List.of(tar), List.of(layer), false));
    PullImage.PulledImage pulled = pull("zstd/busybox:1", AMD64);
    ImageManifest manifest = store.blobs().readManifest(pulled.manifest().digest()).value();
    assertThat(manifest.layers().get(0).mediaType()).isEqualTo(MediaTypes.OCI_LAYER_ZSTD);
    assertThat(store.blobs().read(layer.digest())).isEqualTo(layer.bytes());
  }

  @Test
  void pushMountsFromTheSourceRepositoryThenSkipsAndKeepsTheDigest() throws Exception {
    Digest digest = seed("base/busybox:1", TestImages.busybox(AMD64));
    pull("base/busybox:1", AMD64);
    store.tag(REGISTRY.ref("app/one:1"), store.resolve(REGISTRY.ref("base/busybox:1")).orElseThrow());

    PushImage push = new PushImage(registries, store, events::add);
    PushImage.PushedImage first = push.push(REGISTRY.ref("app/one:1"), ImageReference.parse(REGISTRY.ref("app/one:1")));
    assertThat(first.digest()).isEqualTo(digest);
    assertThat(first.mounted()).isEqualTo(2);
    assertThat(first.uploaded()).isZero();
    assertThat(REGISTRY.requestLog())
        .anyMatch(l -> l.contains("/v2/app/one/blobs/uploads/?mount=") && l.contains("from=base/busybox") && l.contains("status=201"));

    PushImage.PushedImage again = push.push(REGISTRY.ref("app/one:1"), ImageReference.parse(REGISTRY.ref("app/one:2")));
    assertThat(again.existing()).isEqualTo(2);
    assertThat(again.uploaded() + again.mounted()).isZero();

    try (Registry r = registries.openForPull(ImageReference.parse(REGISTRY.ref("app/one:2")))) {
      Registry.RemoteManifest remote = r.pullManifest("2");
      assertThat(remote.bytes()).isEqualTo(store.blobs().read(digest));
    }
  }

  @Test
  void pushUploadsToAnotherRegistryNameAndSkopeoReadsIt() throws Exception {
    byte[] tar = TestImages.fileTar("hello.txt", "hello from jbuild\n");
    TestImages.Image image =
        TestImages.image(AMD64, List.of(tar), List.of(TestImages.gzipLayer(tar, false)), false);
    // put the image into the store directly, as a build would
    for (TestImages.Blob blob : image.blobs()) {
      store.blobs().put(blob.bytes());
    }
    Descriptor manifest = store.blobs().put(image.manifest().bytes()).descriptor(MediaTypes.OCI_MANIFEST);
    store.tag("local/hello:1", manifest);

    PushImage.PushedImage pushed =
        new PushImage(registries, store, events::add)
            .push("local/hello:1", ImageReference.parse(REGISTRY.ref("consumers/hello:1")));
    assertThat(pushed.uploaded()).isEqualTo(2);
    assertThat(events).anyMatch(e -> e instanceof BuildEvent.ManifestPushed);

    String inspect = run("skopeo", "inspect", "--tls-verify=false", "docker://" + REGISTRY.ref("consumers/hello:1"));
    JsonNode json = new ObjectMapper().readTree(inspect);
    assertThat(json.get("Digest").asText()).isEqualTo(manifest.digest().toString());
    assertThat(json.get("Architecture").asText()).isEqualTo("amd64");
    assertThat(json.get("Labels").get("org.example.base").asText()).isEqualTo("busybox");

    Path layout = tmp.resolve("copied");
    run("skopeo", "copy", "--src-tls-verify=false", "docker://" + REGISTRY.ref("consumers/hello:1"), "oci:" + layout + ":hello");
    String index = Files.readString(layout.resolve("index.json"));
    assertThat(index).contains(manifest.digest().toString());
  }

  @Test
  void aFailedPushLeavesNoTag() throws Exception {
    byte[] tar = TestImages.fileTar("broken.txt", "this layer will be corrupted\n");
    TestImages.Image image =
        TestImages.image(AMD64, List.of(tar), List.of(TestImages.gzipLayer(tar, false)), false);
    for (TestImages.Blob blob : image.blobs()) {
      store.blobs().put(blob.bytes());
    }
    store.tag("local/broken:1", store.blobs().put(image.manifest().bytes()).descriptor(MediaTypes.OCI_MANIFEST));
    // damage the layer in the store: the registry must refuse it, and the push must stop there
    Path layer = store.blobs().path(image.blobs().get(1).digest());
    layer.toFile().setWritable(true);
    Files.write(layer, "garbage".getBytes(StandardCharsets.UTF_8));

    ImageReference dest = ImageReference.parse(REGISTRY.ref("broken/app:1"));
    assertThatThrownBy(() -> new PushImage(registries, store, events::add).push("local/broken:1", dest))
        .isInstanceOf(RegistryException.class)
        .hasMessageContaining("push blob " + image.blobs().get(1).digest());
    try (Registry r = registries.openForPull(dest)) {
      assertThatThrownBy(() -> r.pullManifest("1"))
          .isInstanceOf(RegistryException.class)
          .satisfies(e -> assertThat(((RegistryException) e).status()).isEqualTo(404));
    }
  }

  static String run(String... command) throws Exception {
    Process p = new ProcessBuilder(command).redirectErrorStream(false).start();
    byte[] out = p.getInputStream().readAllBytes();
    String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
    assertThat(p.exitValue()).as(String.join(" ", command) + ": " + err).isZero();
    return new String(out, StandardCharsets.UTF_8);
  }
}
