package dev.jbuild.build;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.jbuild.build.event.BuildEvent;
import dev.jbuild.build.registry.Credentials;
import dev.jbuild.build.registry.ImageReference;
import dev.jbuild.build.registry.Registries;
import dev.jbuild.build.registry.Registry;
import dev.jbuild.build.registry.RegistryOptions;
import dev.jbuild.build.registry.RetryPolicy;
import dev.jbuild.build.registry.testing.RegistryFixture;
import dev.jbuild.build.registry.testing.TestImages;
import dev.jbuild.build.sandbox.Sandbox;
import dev.jbuild.cache.BlobStore;
import dev.jbuild.cache.ImageStore;
import dev.jbuild.cache.JbuildRoot;
import dev.jbuild.layer.LayerEntry;
import dev.jbuild.layer.LayerReader;
import dev.jbuild.oci.ImageConfig;
import dev.jbuild.oci.ImageManifest;
import dev.jbuild.oci.Platform;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/** Builds on base images served by a real registry on loopback; pushes; exports. */
class BuilderRegistryIT {

  @RegisterExtension static final RegistryFixture REGISTRY = RegistryFixture.plain();

  private static final Platform AMD64 = Platform.of("linux", "amd64", null);
  private static final Platform ARM64 = Platform.of("linux", "arm64", "v8");

  @TempDir static Path seedDir;
  @TempDir Path tmp;

  private final List<BuildEvent> events = new CopyOnWriteArrayList<>();

  private static RegistryOptions options() {
    return RegistryOptions.defaults()
        .withCredentials(new Credentials(List.of()))
        .withRetry(RetryPolicy.NONE);
  }

  @BeforeAll
  static void seed() {
    TestImages.Image index =
        TestImages.index(
            List.of(AMD64, ARM64),
            List.of(TestImages.busybox(AMD64), TestImages.busybox(ARM64)),
            false);
    ImageReference ref = ImageReference.parse(REGISTRY.ref("base/busybox:1"));
    try (Registry r = new Registries(options(), e -> {}).openForPush(ref)) {
      TestImages.push(r, index, "1", seedDir);
    }
  }

  private JbuildRoot root() {
    return new JbuildRoot(tmp.resolve("root"));
  }

  private BuildResult build(String dockerfile, Consumer<BuildRequest.Builder> options)
      throws IOException {
    Path dir = tmp.resolve("ctx");
    Files.createDirectories(dir);
    Files.writeString(dir.resolve("Dockerfile"), dockerfile);
    BuildRequest.Builder b = BuildRequest.builder(dir);
    options.accept(b);
    return new Builder(root(), options(), Sandbox.unavailable(), events::add).build(b.build());
  }

  private ImageConfig config(BuildResult r) {
    return BlobStore.open(root()).readConfig(r.imageId()).value();
  }

  private ImageManifest manifest(BuildResult r) {
    return BlobStore.open(root()).readManifest(r.manifest().digest()).value();
  }

  private long manifestRequests() throws IOException {
    return REGISTRY.requestLog().stream()
        .filter(l -> l.contains("/base/busybox/manifests/"))
        .count();
  }

  @Test
  void buildsOnAPulledImageAndReusesItLocally() throws IOException {
    String df =
        "FROM " + REGISTRY.ref("base/busybox:1") + "\nUSER app\nWORKDIR /home/app/data\n"
            + "ENTRYPOINT [\"/bin/busybox\"]\n";
    BuildResult r = build(df, b -> b.tag("built:1").platform(AMD64));
    ImageConfig c = config(r);
    assertThat(c.architecture()).isEqualTo("amd64");
    assertThat(c.config().labels()).containsEntry("org.example.base", "busybox");
    assertThat(c.config().cmd()).isEmpty();
    assertThat(c.config().entrypoint()).containsExactly("/bin/busybox");
    assertThat(c.rootfs().diffIds()).hasSize(2);
    assertThat(c.history().get(0).createdBy()).isEqualTo("jbuild test image");
    assertThat(events).anyMatch(e -> e instanceof BuildEvent.ManifestResolved);
    // the WORKDIR layer: the directories BuildKit's mkdir -p creates, owned by app
    List<LayerEntry> entries = new ArrayList<>();
    Path blob = BlobStore.open(root()).path(manifest(r).layers().get(1).digest());
    try (LayerReader reader = LayerReader.open(blob)) {
      for (LayerEntry e = reader.next(); e != null; e = reader.next()) {
        entries.add(e);
      }
    }
    LayerEntry data = entries.get(entries.size() - 1);
    assertThat(data.path()).isEqualTo("home/app/data");
    assertThat(data.uid()).isEqualTo(1000);
    assertThat(data.gid()).isEqualTo(1000);

    long before = manifestRequests();
    events.clear();
    BuildResult again = build(df, b -> b.tag("built:1").platform(AMD64));
    assertThat(manifestRequests()).isEqualTo(before);
    assertThat(again.imageId()).isEqualTo(r.imageId());
    assertThat(again.cachedSteps()).isEqualTo(1);

    build(df, b -> b.platform(AMD64).pull(PullPolicy.ALWAYS));
    assertThat(manifestRequests()).isGreaterThan(before);
  }

  @Test
  void platformPicksTheManifestFromTheIndex() throws IOException {
    BuildResult r =
        build("FROM " + REGISTRY.ref("base/busybox:1") + "\nLABEL p=arm\n", b -> b.platform(ARM64));
    ImageConfig c = config(r);
    assertThat(c.architecture()).isEqualTo("arm64");
    assertThat(c.variant()).isEqualTo("v8");
    BuildResult perStage =
        build(
            "FROM --platform=linux/arm64 " + REGISTRY.ref("base/busybox:1") + "\nLABEL p=arm\n",
            b -> b.platform(AMD64));
    assertThat(config(perStage).architecture()).isEqualTo("arm64");
  }

  @Test
  void pushesAndExports() throws IOException {
    String name = REGISTRY.ref("out/app:1");
    Path archive = tmp.resolve("out/image.tar");
    BuildResult r =
        build(
            "FROM " + REGISTRY.ref("base/busybox:1") + "\nWORKDIR /w\n",
            b ->
                b.tag(name)
                    .platform(AMD64)
                    .push(true)
                    .output(OutputSpec.localStore())
                    .output(OutputSpec.parse("type=oci-archive,dest=" + archive)));
    assertThat(r.pushed()).hasSize(1);
    try (Registry reg = new Registries(options(), e -> {}).openForPull(ImageReference.parse(name))) {
      Registry.RemoteManifest m = reg.pullManifest("1");
      assertThat(m.digest()).isEqualTo(r.manifest().digest());
    }
    assertThat(Files.size(archive)).isPositive();
    assertThat(r.tags()).containsExactly(ImageStore.normalizeName(name));
  }

  @Test
  void unreachableBaseImageIsAPositionedErrorAndLeavesNothing() throws IOException {
    int port;
    try (ServerSocket s = new ServerSocket(0)) {
      port = s.getLocalPort();
    }
    int closed = port;
    assertThatThrownBy(() -> build("\nFROM 127.0.0.1:" + closed + "/nothing:1\nWORKDIR /x\n", b -> b.tag("t:1")))
        .isInstanceOf(BuildStepException.class)
        .hasMessageContaining("127.0.0.1:" + closed)
        .satisfies(e -> assertThat(((BuildStepException) e).span().startLine()).isEqualTo(2));
    assertThat(new ImageStore(BlobStore.open(root())).list()).isEmpty();
    assertThat(BlobStore.open(root()).list()).isEmpty();

    assertThatThrownBy(() -> build("FROM " + REGISTRY.ref("base/missing:1") + "\n", b -> b.tag("t:1")))
        .isInstanceOf(BuildStepException.class)
        .hasMessageContaining("base/missing");
    assertThat(new ImageStore(BlobStore.open(root())).list()).isEmpty();
  }

  @Test
  void stagesTheTargetDoesNotNeedResolveNoImage() throws IOException {
    long before = manifestRequests();
    String base = REGISTRY.ref("base/busybox:1");
    build(
        "FROM " + REGISTRY.ref("base/unused:1") + " AS a\nLABEL a=1\nFROM " + base
            + " AS b\nLABEL b=1\nFROM " + base + "\nLABEL c=1\n",
        b -> b.platform(AMD64).pull(PullPolicy.ALWAYS));
    // the index, then the amd64 manifest; never base/unused
    assertThat(manifestRequests() - before).isEqualTo(2);
    assertThat(REGISTRY.requestLog()).noneMatch(l -> l.contains("base/unused"));
  }

  @Test
  void severalPlatformsArePushedAsAnIndex() throws IOException {
    String name = REGISTRY.ref("out/multi:1");
    BuildResult r =
        build(
            "FROM " + REGISTRY.ref("base/busybox:1") + "\nLABEL x=1\n",
            b -> b.tag(name).platform(AMD64).platform(ARM64).push(true));
    try (Registry reg = new Registries(options(), e -> {}).openForPull(ImageReference.parse(name))) {
      Registry.RemoteManifest m = reg.pullManifest("1");
      assertThat(m.digest()).isEqualTo(r.manifest().digest());
      assertThat(m.mediaType()).isEqualTo(dev.jbuild.oci.MediaTypes.OCI_INDEX);
    }
  }

  @Test
  void copyFromAnImageAndTheJavaServiceShape() throws IOException {
    Path dir = tmp.resolve("ctx");
    Files.createDirectories(dir.resolve("lib"));
    Files.write(dir.resolve("app.jar"), new byte[] {1, 2, 3});
    Files.write(dir.resolve("lib/dep.jar"), new byte[] {4, 5});
    BuildResult r =
        build(
            "FROM " + REGISTRY.ref("base/busybox:1") + "\nWORKDIR /app\nCOPY lib/ /app/lib/\n"
                + "COPY --chown=app:app app.jar /app/app.jar\n"
                + "COPY --from=" + REGISTRY.ref("base/busybox:1") + " /etc/passwd /copied/passwd\n"
                + "USER app\nENTRYPOINT [\"java\", \"-jar\", \"/app/app.jar\"]\n",
            b -> b.platform(AMD64).tag("svc:1"));
    ImageConfig c = config(r);
    assertThat(c.config().entrypoint()).containsExactly("java", "-jar", "/app/app.jar");
    assertThat(c.config().user()).isEqualTo("app");
    assertThat(manifest(r).layers()).hasSize(5);
    List<LayerEntry> appLayer = new ArrayList<>();
    try (LayerReader reader =
        LayerReader.open(BlobStore.open(root()).path(manifest(r).layers().get(3).digest()))) {
      for (LayerEntry e = reader.next(); e != null; e = reader.next()) {
        appLayer.add(e);
      }
    }
    LayerEntry jar = appLayer.get(appLayer.size() - 1);
    assertThat(jar.path()).isEqualTo("app/app.jar");
    assertThat(jar.uid()).isEqualTo(1000);
  }
}
