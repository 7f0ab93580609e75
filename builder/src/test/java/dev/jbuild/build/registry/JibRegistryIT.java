package dev.jbuild.build.registry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.jbuild.build.event.BuildEvent;
import dev.jbuild.build.registry.testing.RegistryFixture;
import dev.jbuild.oci.Digest;
import dev.jbuild.oci.MediaTypes;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/** The registry client against a real docker-registry: blobs, mounts, exact manifests, errors. */
class JibRegistryIT {

  @RegisterExtension static final RegistryFixture REGISTRY = RegistryFixture.plain();

  @TempDir Path tmp;

  private final List<BuildEvent> events = new CopyOnWriteArrayList<>();

  private Registries registries(RetryPolicy retry) {
    RegistryOptions options =
        RegistryOptions.defaults()
            .withCredentials(new Credentials(List.of(tmp.resolve("none.json"))))
            .withRetry(retry);
    return new Registries(options, events::add);
  }

  private Path blob(byte[] content) throws Exception {
    Path file = Files.createTempFile(tmp, "blob", "");
    Files.write(file, content);
    return file;
  }

  private static byte[] random(int size, long seed) {
    byte[] bytes = new byte[size];
    new Random(seed).nextBytes(bytes);
    return bytes;
  }

  @Test
  void pushesChecksMountsAndPullsBlobs() throws Exception {
    byte[] content = random(300_000, 1);
    Digest digest = Digest.of(content);
    Registries registries = registries(RetryPolicy.NONE);
    try (Registry a = registries.openForPush(ImageReference.parse(REGISTRY.ref("blobs/a:x")));
        Registry b = registries.openForPush(ImageReference.parse(REGISTRY.ref("blobs/b:x")))) {
      assertThat(a.checkBlob(digest)).isEmpty();
      long[] last = {0};
      assertThat(a.pushBlob(digest, blob(content), Optional.empty(), n -> last[0] = n)).isFalse();
      assertThat(last[0]).isEqualTo(content.length);
      assertThat(a.checkBlob(digest)).contains((long) content.length);

      assertThat(b.checkBlob(digest)).isEmpty();
      assertThat(b.pushBlob(digest, blob(content), Optional.of("blobs/a"), n -> {})).isTrue();
      assertThat(b.checkBlob(digest)).contains((long) content.length);
      assertThat(REGISTRY.requestLog())
          .anySatisfy(
              line ->
                  assertThat(line)
                      .contains("/v2/blobs/b/blobs/uploads/?mount=" + digest)
                      .contains("from=blobs/a")
                      .contains("http.response.status=201"));

      Path pulled = tmp.resolve("pulled");
      b.pullBlob(digest, pulled, n -> {});
      assertThat(Files.readAllBytes(pulled)).isEqualTo(content);
    }
  }

  @Test
  void manifestsKeepTheirExactBytes() throws Exception {
    byte[] config = "{\"architecture\":\"amd64\",\"os\":\"linux\",\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[]}}".getBytes(StandardCharsets.UTF_8);
    Digest configDigest = Digest.of(config);
    // odd spacing, key order and an annotation Jib's templates would drop
    String manifestText =
        "{\n  \"schemaVersion\": 2,\n  \"mediaType\": \"" + MediaTypes.OCI_MANIFEST + "\",\n"
            + "  \"config\": {\"mediaType\": \"" + MediaTypes.OCI_CONFIG + "\", \"digest\": \""
            + configDigest + "\", \"size\": " + config.length + "},\n  \"layers\": [],\n"
            + "  \"annotations\": {\"org.example.keep\": \"me\"}\n}\n";
    byte[] manifest = manifestText.getBytes(StandardCharsets.UTF_8);
    Registries registries = registries(RetryPolicy.NONE);
    ImageReference ref = ImageReference.parse(REGISTRY.ref("exact/app:1"));
    try (Registry r = registries.openForPush(ref)) {
      r.pushBlob(configDigest, blob(config), Optional.empty(), n -> {});
      Digest pushed = r.pushManifest(manifest, MediaTypes.OCI_MANIFEST, "1");
      assertThat(pushed).isEqualTo(Digest.of(manifest));
    }
    try (Registry r = registries.openForPull(ref)) {
      Registry.RemoteManifest byTag = r.pullManifest("1");
      assertThat(byTag.bytes()).isEqualTo(manifest);
      assertThat(byTag.mediaType()).isEqualTo(MediaTypes.OCI_MANIFEST);
      Registry.RemoteManifest byDigest = r.pullManifest(Digest.of(manifest).toString());
      assertThat(byDigest.digest()).isEqualTo(Digest.of(manifest));
    }
  }

  @Test
  void missingTagSaysNotFound() {
    ImageReference ref = ImageReference.parse(REGISTRY.ref("nothing/here:1"));
    try (Registry r = registries(RetryPolicy.NONE).openForPull(ref)) {
      assertThatThrownBy(() -> r.pullManifest("1"))
          .isInstanceOf(RegistryException.class)
          .hasMessageContaining("127.0.0.1:" + REGISTRY.port() + "/nothing/here:1 not found (HTTP 404)")
          .satisfies(e -> assertThat(((RegistryException) e).status()).isEqualTo(404));
    }
  }

  @Test
  void connectionRefusedAsksWhetherTheRegistryRuns() throws Exception {
    int port;
    try (ServerSocket s = new ServerSocket(0)) {
      port = s.getLocalPort();
    }
    ImageReference ref = ImageReference.parse("127.0.0.1:" + port + "/x:1");
    RetryPolicy quick = new RetryPolicy(2, Duration.ofMillis(10), Duration.ofMillis(10));
    try (Registry r = registries(quick).openForPull(ref)) {
      assertThatThrownBy(() -> r.pullManifest("1"))
          .isInstanceOf(RegistryException.class)
          .hasMessageContaining("is the registry running at 127.0.0.1:" + port + "?")
          .hasMessageContaining("gave up after 2 attempts");
    }
    assertThat(events).anyMatch(e -> e instanceof BuildEvent.Retrying);
  }

  @Test
  void retriesWhileTheRegistryRestartsMidPush() throws Exception {
    byte[] content = random(2_000_000, 7);
    Digest digest = Digest.of(content);
    Path file = blob(content);
    ImageReference ref = ImageReference.parse(REGISTRY.ref("restart/app:1"));
    RetryPolicy patient = new RetryPolicy(8, Duration.ofMillis(500), Duration.ofSeconds(2));
    try (Registry r = registries(patient).openForPush(ref)) {
      r.checkBlob(digest); // connects and authenticates while the registry is up
      REGISTRY.stop();
      CompletableFuture<Boolean> push =
          CompletableFuture.supplyAsync(() -> r.pushBlob(digest, file, Optional.empty(), n -> {}));
      Thread.sleep(1500);
      REGISTRY.start();
      assertThat(push.get(60, TimeUnit.SECONDS)).isFalse();
      assertThat(r.checkBlob(digest)).contains((long) content.length);
    } finally {
      REGISTRY.start();
    }
    assertThat(events)
        .filteredOn(e -> e instanceof BuildEvent.Retrying)
        .isNotEmpty()
        .allSatisfy(e -> assertThat(((BuildEvent.Retrying) e).what()).contains("push blob " + digest));
  }

  @Test
  void insecureRegistryOptionMatchesHostOrHostAndPort() {
    RegistryOptions options = RegistryOptions.defaults().withInsecure(Set.of("reg.example", "b.example:5000"));
    assertThat(options.isInsecure("reg.example:443")).isTrue();
    assertThat(options.isInsecure("b.example:5000")).isTrue();
    assertThat(options.isInsecure("b.example:5001")).isFalse();
    assertThat(RegistryOptions.isLoopback("localhost:1234")).isTrue();
    assertThat(RegistryOptions.isLoopback("127.0.0.1")).isTrue();
    assertThat(RegistryOptions.isLoopback("10.0.0.1:5000")).isFalse();
    assertThat(RegistryOptions.parseMirror("docker.io=127.0.0.1:5000"))
        .isEqualTo(Map.entry("docker.io", "127.0.0.1:5000"));
  }
}
