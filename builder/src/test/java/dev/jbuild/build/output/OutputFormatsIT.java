package dev.jbuild.build.output;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.jbuild.cache.ImageStore;
import dev.jbuild.cache.JbuildRoot;
import dev.jbuild.oci.Descriptor;
import dev.jbuild.oci.ImageIndex;
import dev.jbuild.oci.Platform;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Builds a small busybox image into the store, writes every output format, and has skopeo and
 * umoci read each one.
 */
class OutputFormatsIT {

  static final ObjectMapper JSON = new ObjectMapper();

  @TempDir Path tmp;
  ImageStore store;
  BusyboxImage image;
  ImageExporter exporter;
  Path policy;

  @BeforeEach
  void setUp() throws IOException {
    Tools.require("skopeo");
    Tools.require("umoci");
    store = ImageStore.open(new JbuildRoot(tmp.resolve("root")));
    image = new BusyboxImage(store.blobs());
    store.tag("app:1", image.manifest);
    exporter = new ImageExporter(store.blobs());
    // skopeo copy needs a signature policy; CI machines may have none in /etc/containers
    policy = tmp.resolve("policy.json");
    Files.writeString(policy, "{\"default\":[{\"type\":\"insecureAcceptAnything\"}]}");
  }

  private JsonNode inspect(String ref) throws Exception {
    return JSON.readTree(Tools.ok(tmp, "skopeo", "inspect", ref));
  }

  private void copyAndCheck(String from) throws Exception {
    Path fresh = tmp.resolve("fresh-" + Math.abs(from.hashCode()));
    Tools.ok(tmp, "skopeo", "--policy", policy.toString(), "copy", from, "oci:" + fresh + ":copy");
    JsonNode copied = inspect("oci:" + fresh + ":copy");
    assertThat(copied.get("Layers")).hasSize(2);
    unpackAndCheck(fresh, "copy");
  }

  private void unpackAndCheck(Path layout, String tag) throws Exception {
    Path bundle = tmp.resolve("bundle-" + Math.abs((layout + tag).hashCode()));
    Tools.ok(tmp, "umoci", "unpack", "--rootless", "--image", layout + ":" + tag,
        bundle.toString());
    Path rootfs = bundle.resolve("rootfs");
    Path busybox = rootfs.resolve("bin/busybox");
    assertThat(busybox).isRegularFile();
    assertThat(Files.isExecutable(busybox)).isTrue();
    assertThat(Files.mismatch(busybox, BusyboxImage.BUSYBOX)).isEqualTo(-1L);
    for (String applet : BusyboxImage.APPLETS) {
      Path link = rootfs.resolve("bin/" + applet);
      assertThat(Files.isSymbolicLink(link)).as(applet).isTrue();
      assertThat(Files.readSymbolicLink(link)).isEqualTo(Path.of("busybox"));
    }
    assertThat(Files.readString(rootfs.resolve("etc/motd"))).isEqualTo(BusyboxImage.MOTD);
    // it is the real static busybox: run an applet from the unpacked tree
    assertThat(Tools.ok(tmp, busybox.toString(), "echo", "hello from the image"))
        .isEqualTo("hello from the image\n");
    assertThat(JSON.readTree(bundle.resolve("config.json").toFile()).at("/process/args/0")
        .asText()).isEqualTo("/bin/sh");
  }

  @Test
  void theStoreItselfIsAnOciLayoutSkopeoReads() throws Exception {
    Path root = store.blobs().root().dir();
    JsonNode info = inspect("oci:" + root + ":docker.io/library/app:1");
    assertThat(info.get("Digest").asText()).isEqualTo(image.manifest.digest().toString());
    assertThat(info.get("Architecture").asText()).isEqualTo(Platform.host().architecture());
    assertThat(info.get("Layers").get(0).asText())
        .isEqualTo(image.busyboxLayer.digest().toString());
    assertThat(info.get("Env").get(0).asText()).isEqualTo("PATH=/bin");
    unpackAndCheck(root, "docker.io/library/app:1");
  }

  @Test
  void skopeoAndTheStoreShareIndexJson() throws Exception {
    Path root = store.blobs().root().dir();
    Path dir = tmp.resolve("layout");
    exporter.export(image.manifest, List.of("app:1"), null, new ExportTarget.OciDirectory(dir));
    // skopeo writes a tag into the store the way jbuild names them
    Tools.ok(tmp, "skopeo", "--policy", policy.toString(), "copy", "oci:" + dir + ":1",
        "oci:" + root + ":docker.io/library/other:7");
    assertThat(store.resolve("other:7")).map(Descriptor::digest)
        .contains(image.manifest.digest());
    // and jbuild's next tag keeps skopeo's entry
    store.tag("third:1", image.manifest);
    assertThat(store.list()).extracting(t -> t.name()).contains("docker.io/library/app:1",
        "docker.io/library/other:7", "docker.io/library/third:1");
    assertThat(inspect("oci:" + root + ":docker.io/library/third:1").get("Digest").asText())
        .isEqualTo(image.manifest.digest().toString());
  }

  @Test
  void archivesStreamToAnOutputStream() throws Exception {
    Path oci = tmp.resolve("stream-oci.tar");
    Path docker = tmp.resolve("stream-docker.tar");
    try (var out = Files.newOutputStream(oci)) {
      exporter.exportTo(image.manifest, List.of("app:1"), null,
          ImageExporter.ArchiveFormat.OCI_ARCHIVE, out);
    }
    try (var out = Files.newOutputStream(docker)) {
      exporter.exportTo(image.manifest, List.of("app:1"), null,
          ImageExporter.ArchiveFormat.DOCKER_ARCHIVE, out);
    }
    Path file = tmp.resolve("file-oci.tar");
    exporter.export(image.manifest, List.of("app:1"), null, new ExportTarget.OciArchive(file));
    assertThat(Files.mismatch(oci, file)).isEqualTo(-1L);
    assertThat(inspect("oci-archive:" + oci + ":1").get("Digest").asText())
        .isEqualTo(image.manifest.digest().toString());
    assertThat(inspect("docker-archive:" + docker + ":app:1").get("Layers")).hasSize(2);
    try (Stream<Path> s = Files.list(store.blobs().root().tmp())) {
      assertThat(s.toList()).isEmpty();
    }
  }

  @Test
  void ociDirectory() throws Exception {
    Path dir = tmp.resolve("out/layout");
    exporter.export(image.manifest, List.of("app:1", "registry.example.com/team/app:rc"), null,
        new ExportTarget.OciDirectory(dir));
    assertThat(Files.readString(dir.resolve("oci-layout")))
        .isEqualTo("{\"imageLayoutVersion\":\"1.0.0\"}");
    ImageIndex index = ImageIndex.parse(Files.readAllBytes(dir.resolve("index.json")));
    assertThat(index.manifests()).extracting(d -> d.annotation(Descriptor.REF_NAME))
        .containsExactly("1", "rc");
    assertThat(index.manifests()).extracting(d -> d.annotation(Descriptor.CONTAINERD_IMAGE_NAME))
        .containsExactly("docker.io/library/app:1", "registry.example.com/team/app:rc");
    try (Stream<Path> s = Files.list(dir.resolve("blobs/sha256"))) {
      assertThat(s.count()).isEqualTo(4);
    }
    JsonNode info = inspect("oci:" + dir + ":1");
    assertThat(info.get("Digest").asText()).isEqualTo(image.manifest.digest().toString());
    assertThat(inspect("oci:" + dir + ":rc").get("Digest").asText())
        .isEqualTo(image.manifest.digest().toString());
    unpackAndCheck(dir, "1");
    copyAndCheck("oci:" + dir + ":1");

    // writing again into the existing layout adds a tag and keeps the others
    exporter.export(image.manifest, List.of("app:2"), null, new ExportTarget.OciDirectory(dir));
    ImageIndex after = ImageIndex.parse(Files.readAllBytes(dir.resolve("index.json")));
    assertThat(after.manifests()).extracting(d -> d.annotation(Descriptor.REF_NAME))
        .containsExactly("1", "rc", "2");
    assertThat(inspect("oci:" + dir + ":2").get("Digest").asText())
        .isEqualTo(image.manifest.digest().toString());
    assertNoTempFiles(dir.getParent());
  }

  @Test
  void ociArchive() throws Exception {
    Path file = tmp.resolve("out/image.tar");
    exporter.export(image.manifest, List.of("app:1"), null, new ExportTarget.OciArchive(file));
    JsonNode info = inspect("oci-archive:" + file + ":1");
    assertThat(info.get("Digest").asText()).isEqualTo(image.manifest.digest().toString());
    // one image in the archive: no tag needed
    assertThat(inspect("oci-archive:" + file).get("Layers")).hasSize(2);
    copyAndCheck("oci-archive:" + file + ":1");
    // deterministic: the same image gives the same bytes
    Path again = tmp.resolve("out/again.tar");
    exporter.export(image.manifest, List.of("app:1"), null, new ExportTarget.OciArchive(again));
    assertThat(Files.mismatch(file, again)).isEqualTo(-1L);
    assertNoTempFiles(file.getParent());
  }

  @Test
  void dockerArchive() throws Exception {
    // a zstd layer too: docker-archive stores layers uncompressed, whatever the store holds
    image = new BusyboxImage(store.blobs(), true);
    Path file = tmp.resolve("out/docker.tar");
    exporter.export(image.manifest, List.of("app:1", "localhost:5000/x/app:2"), null,
        new ExportTarget.DockerArchive(file));
    JsonNode info = inspect("docker-archive:" + file);
    // docker-archive layers are the uncompressed tars: skopeo reports their diffIDs
    List<String> layers = new ArrayList<>();
    info.get("Layers").forEach(n -> layers.add(n.asText()));
    assertThat(layers).containsExactly(image.busyboxDiffId.toString(),
        image.motdDiffId.toString());
    assertThat(info.get("RepoTags")).isNotNull();
    assertThat(inspect("docker-archive:" + file + ":app:1").get("Env").get(0).asText())
        .isEqualTo("PATH=/bin");
    assertThat(inspect("docker-archive:" + file + ":localhost:5000/x/app:2")).isNotNull();
    copyAndCheck("docker-archive:" + file);
    // Docker 25 layout: the same file reads as an OCI archive too
    assertThat(inspect("oci-archive:" + file + ":1").get("Layers")).hasSize(2);
    // deterministic, like the OCI archive
    Path again = tmp.resolve("out/docker-again.tar");
    exporter.export(image.manifest, List.of("app:1", "localhost:5000/x/app:2"), null,
        new ExportTarget.DockerArchive(again));
    assertThat(Files.mismatch(file, again)).isEqualTo(-1L);
    assertNoTempFiles(file.getParent());
  }

  @Test
  void aFailedExportLeavesNothing() throws Exception {
    image = new BusyboxImage(store.blobs(), true);
    Path out = Files.createDirectories(tmp.resolve("fail"));
    // corrupt the zstd layer in the store: every format must fail and write nothing
    Path layer = store.blobs().path(image.motdLayer.digest());
    byte[] bytes = Files.readAllBytes(layer);
    bytes[bytes.length / 2] ^= 0x55;
    Files.write(layer, bytes);
    for (ExportTarget target : List.of(
        new ExportTarget.OciDirectory(out.resolve("dir")),
        new ExportTarget.OciArchive(out.resolve("oci.tar")),
        new ExportTarget.DockerArchive(out.resolve("docker.tar")))) {
      assertThatThrownBy(() -> exporter.export(image.manifest, List.of("app:1"), null, target))
          .as(target.toString())
          .isInstanceOf(ExportException.class)
          .hasMessageContaining(image.motdLayer.digest().hex());
      assertThat(target.dest()).doesNotExist();
    }
    try (Stream<Path> s = Files.list(out)) {
      assertThat(s.toList()).isEmpty();
    }

    // a missing blob is named, and the destination not created
    Files.delete(layer);
    assertThatThrownBy(() -> exporter.export(image.manifest, List.of(), null,
        new ExportTarget.OciDirectory(out.resolve("dir"))))
        .isInstanceOf(ExportException.class)
        .hasMessageContaining("not in the local store");
    try (Stream<Path> s = Files.list(out)) {
      assertThat(s.toList()).isEmpty();
    }
  }

  @Test
  void aNonLayoutDirectoryIsNotOverwritten() throws Exception {
    Path dir = Files.createDirectories(tmp.resolve("precious"));
    Files.writeString(dir.resolve("notes.txt"), "keep me");
    assertThatThrownBy(() -> exporter.export(image.manifest, List.of(), null,
        new ExportTarget.OciDirectory(dir)))
        .isInstanceOf(ExportException.class)
        .hasMessageContaining("not an OCI image layout");
    assertThat(Files.readString(dir.resolve("notes.txt"))).isEqualTo("keep me");
    assertThatThrownBy(() -> exporter.export(image.manifest, List.of(), null,
        new ExportTarget.OciArchive(dir)))
        .isInstanceOf(ExportException.class).hasMessageContaining("is a directory");
  }

  private static void assertNoTempFiles(Path dir) throws IOException {
    try (Stream<Path> s = Files.list(dir)) {
      assertThat(s.map(p -> p.getFileName().toString()).filter(n -> n.contains(".tmp")))
          .isEmpty();
    }
  }

}
