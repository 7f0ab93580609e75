package dev.jbuild.build.sandbox;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.jbuild.build.BuildRequest;
import dev.jbuild.build.BuildResult;
import dev.jbuild.build.BuildStepException;
import dev.jbuild.build.Builder;
import dev.jbuild.build.PullPolicy;
import dev.jbuild.build.event.BuildEvent;
import dev.jbuild.build.registry.RegistryOptions;
import dev.jbuild.build.registry.testing.TestImages;
import dev.jbuild.cache.BlobStore;
import dev.jbuild.cache.ImageStore;
import dev.jbuild.cache.JbuildRoot;
import dev.jbuild.layer.EntryType;
import dev.jbuild.layer.LayerEntry;
import dev.jbuild.layer.LayerReader;
import dev.jbuild.oci.Descriptor;
import dev.jbuild.oci.ImageManifest;
import dev.jbuild.oci.MediaTypes;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * RUN steps through the real sandbox (worker JVM, namespaces, overlayfs) on the busybox test
 * image: as root in CI and as an unprivileged user in the rootless pass.
 */
@Tag("sandbox")
class SandboxTest {

  @TempDir static Path tmp;

  private static JbuildRoot root;
  private static NamespaceSandbox sandbox;
  private static final List<BuildEvent> events = Collections.synchronizedList(new ArrayList<>());

  @BeforeAll
  static void setUp() throws IOException {
    root = new JbuildRoot(tmp.resolve("root"));
    storeBusybox(root, "busybox:test");
    sandbox = new NamespaceSandbox(root, events::add);
  }

  @AfterAll
  static void tearDown() {
    if (sandbox != null) {
      sandbox.close();
    }
  }

  /** The busybox test image, tagged in the local store. */
  static void storeBusybox(JbuildRoot root, String tag) {
    TestImages.Image image = TestImages.busybox(dev.jbuild.oci.Platform.of("linux", dev.jbuild.oci.Platform.host().architecture(), dev.jbuild.oci.Platform.host().variant()));
    BlobStore blobs = BlobStore.open(root);
    for (TestImages.Blob b : image.blobs()) {
      blobs.put(b.bytes());
    }
    blobs.put(image.manifest().bytes());
    new ImageStore(blobs).tag(tag, Descriptor.of(MediaTypes.OCI_MANIFEST, image.manifest().bytes()));
  }

  private BuildResult build(String name, String dockerfile) throws IOException {
    Path ctx = tmp.resolve("ctx-" + name);
    Files.createDirectories(ctx);
    Files.writeString(ctx.resolve("Dockerfile"), dockerfile);
    return new Builder(root, RegistryOptions.defaults(), sandbox, events::add)
        .build(BuildRequest.builder(ctx).pull(PullPolicy.NEVER).build());
  }

  /** The file contents of the image's last layer, by path (read while the layer streams). */
  private final Map<String, String> contents = new LinkedHashMap<>();

  /** The entries of the image's last layer, by path. */
  private Map<String, LayerEntry> lastLayer(BuildResult r) throws IOException {
    contents.clear();
    BlobStore blobs = BlobStore.open(root);
    ImageManifest m = blobs.readManifest(r.manifest().digest()).value();
    Path blob = blobs.path(m.layers().get(m.layers().size() - 1).digest());
    Map<String, LayerEntry> out = new LinkedHashMap<>();
    try (LayerReader reader = LayerReader.open(blob)) {
      for (LayerEntry e = reader.next(); e != null; e = reader.next()) {
        out.put(e.path(), e);
        if (e.type() == EntryType.FILE && e.content() != null) {
          try (InputStream in = e.content().open()) {
            contents.put(e.path(), new String(in.readAllBytes(), StandardCharsets.UTF_8));
          }
        }
      }
    }
    return out;
  }

  private String content(LayerEntry e) {
    return contents.get(e.path());
  }

  @Test
  void runCreatesAFile() throws IOException {
    BuildResult r = build("create", "FROM busybox:test\nRUN echo hi > /f\n");
    Map<String, LayerEntry> layer = lastLayer(r);
    assertThat(layer).containsKey("f");
    assertThat(content(layer.get("f"))).isEqualTo("hi\n");
    // the mount points made for /dev, /proc and the /etc files are not part of the layer
    assertThat(layer.keySet()).doesNotContain("dev/", "proc/", "etc/hosts", "etc/resolv.conf",
        "etc/hostname");
  }
}
