package dev.jbuild.build.registry.testing;

import com.github.luben.zstd.ZstdOutputStream;
import dev.jbuild.build.registry.Registry;
import dev.jbuild.layer.Compression;
import dev.jbuild.layer.LayerEntry;
import dev.jbuild.layer.LayerWriter;
import dev.jbuild.oci.Descriptor;
import dev.jbuild.oci.Digest;
import dev.jbuild.oci.MediaTypes;
import dev.jbuild.oci.Platform;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.zip.GZIPOutputStream;

/**
 * Test base images made from the machine's busybox-static: one layer with {@code /bin/busybox},
 * a symlink per applet ({@code busybox --list}), and {@code /etc/passwd} / {@code /etc/group}
 * with root, nobody and an {@code app} user (uid/gid 1000), written by {@link LayerWriter}, so
 * the same machine always makes the same layer. Images are pushed to a
 * registry through {@link Registry} (blobs first, manifest last), as OCI or Docker v2.2, with
 * gzip or zstd layers, alone or in a multi-platform index.
 */
public final class TestImages {

  /** Where Debian's busybox-static installs the binary. */
  public static final Path BUSYBOX = Path.of("/bin/busybox");

  private static byte[] busyboxTar;

  private TestImages() {}

  /** A blob with its media type. */
  public record Blob(String mediaType, byte[] bytes) {
    public Digest digest() {
      return Digest.of(bytes);
    }

    public Descriptor descriptor() {
      return Descriptor.of(mediaType, bytes);
    }
  }

  /**
   * An image ready to push.
   *
   * @param manifest the manifest (or index) bytes and media type
   * @param blobs every blob the manifest needs (configs and layers, for an index all children's)
   * @param children for an index, the child manifests
   */
  public record Image(Blob manifest, List<Blob> blobs, List<Blob> children) {
    public Digest digest() {
      return manifest.digest();
    }
  }

  /** The busybox layer as an uncompressed tar, written by the layer writer (once per JVM). */
  public static synchronized byte[] busyboxTar() {
    if (busyboxTar == null) {
      if (!Files.isExecutable(BUSYBOX)) {
        throw new IllegalStateException(BUSYBOX + " is missing: install busybox-static");
      }
      try {
        List<LayerEntry> entries = new ArrayList<>();
        entries.add(LayerEntry.directory("bin", 0755));
        entries.add(LayerEntry.file("bin/busybox", 0755, Files.readAllBytes(BUSYBOX)));
        for (String applet : applets()) {
          if (!applet.equals("busybox")) {
            entries.add(LayerEntry.symlink("bin/" + applet, "busybox"));
          }
        }
        entries.add(LayerEntry.directory("etc", 0755));
        entries.add(
            LayerEntry.file(
                "etc/passwd",
                0644,
                ("root:x:0:0:root:/root:/bin/sh\n"
                        + "nobody:x:65534:65534:nobody:/nonexistent:/bin/false\n"
                        + "app:x:1000:1000:app:/home/app:/bin/sh\n")
                    .getBytes(StandardCharsets.UTF_8)));
        entries.add(
            LayerEntry.file(
                "etc/group",
                0644,
                "root:x:0:\nnogroup:x:65534:\napp:x:1000:\n".getBytes(StandardCharsets.UTF_8)));
        entries.add(LayerEntry.directory("home", 0755));
        entries.add(LayerEntry.directory("home/app", 0755));
        entries.add(LayerEntry.directory("root", 0700));
        entries.add(LayerEntry.directory("tmp", 01777));
        busyboxTar = tar(entries);
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException(e);
      }
    }
    return busyboxTar.clone();
  }

  /** A tar with one small file, for platform-specific layers and tests that need many images. */
  public static byte[] fileTar(String name, String content) {
    try {
      return tar(List.of(LayerEntry.file(name, 0644, content.getBytes(StandardCharsets.UTF_8))));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static byte[] tar(List<LayerEntry> entries) throws IOException {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    new LayerWriter(LayerWriter.Options.of(Compression.NONE)).write(entries, bytes);
    return bytes.toByteArray();
  }

  private static List<String> applets() throws IOException, InterruptedException {
    Process p = new ProcessBuilder(BUSYBOX.toString(), "--list").redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (p.waitFor() != 0) {
      throw new IllegalStateException("busybox --list failed: " + out);
    }
    return out.lines().filter(l -> !l.isBlank()).sorted().toList();
  }

  /** gzip-compressed layer (OCI or Docker media type). */
  public static Blob gzipLayer(byte[] tar, boolean docker) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (GZIPOutputStream gz = new GZIPOutputStream(out)) {
      gz.write(tar);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return new Blob(docker ? MediaTypes.DOCKER_LAYER_GZIP : MediaTypes.OCI_LAYER_GZIP, out.toByteArray());
  }

  /** zstd-compressed OCI layer. */
  public static Blob zstdLayer(byte[] tar) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (ZstdOutputStream z = new ZstdOutputStream(out)) {
      z.write(tar);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return new Blob(MediaTypes.OCI_LAYER_ZSTD, out.toByteArray());
  }

  /**
   * A single-platform image.
   *
   * @param tars the uncompressed layer tars (for the diff_ids)
   * @param layers the same layers compressed
   * @param docker Docker v2.2 media types instead of OCI
   */
  public static Image image(Platform platform, List<byte[]> tars, List<Blob> layers, boolean docker) {
    StringBuilder diffIds = new StringBuilder();
    for (byte[] tar : tars) {
      diffIds.append(diffIds.length() == 0 ? "" : ",").append('"').append(Digest.of(tar)).append('"');
    }
    String config =
        "{\"architecture\":\"" + platform.architecture() + "\","
            + (platform.variant() == null ? "" : "\"variant\":\"" + platform.variant() + "\",")
            + "\"os\":\"" + platform.os() + "\","
            + "\"created\":\"2024-01-02T03:04:05Z\","
            + "\"config\":{\"Env\":[\"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\"],"
            + "\"Cmd\":[\"sh\"],\"Labels\":{\"org.example.base\":\"busybox\"}},"
            + "\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[" + diffIds + "]},"
            + "\"history\":[{\"created\":\"2024-01-02T03:04:05Z\",\"created_by\":\"jbuild test image\"}]}";
    Blob configBlob =
        new Blob(docker ? MediaTypes.DOCKER_CONFIG : MediaTypes.OCI_CONFIG, config.getBytes(StandardCharsets.UTF_8));
    StringBuilder layerJson = new StringBuilder();
    for (Blob layer : layers) {
      layerJson.append(layerJson.length() == 0 ? "" : ",").append(descriptorJson(layer, null));
    }
    String mediaType = docker ? MediaTypes.DOCKER_MANIFEST : MediaTypes.OCI_MANIFEST;
    String manifest =
        "{\"schemaVersion\":2,\"mediaType\":\"" + mediaType + "\",\"config\":"
            + descriptorJson(configBlob, null) + ",\"layers\":[" + layerJson + "]}";
    List<Blob> blobs = new ArrayList<>();
    blobs.add(configBlob);
    blobs.addAll(layers);
    return new Image(new Blob(mediaType, manifest.getBytes(StandardCharsets.UTF_8)), blobs, List.of());
  }

  /** The busybox image for one platform, gzip, OCI. */
  public static Image busybox(Platform platform) {
    byte[] tar = busyboxTar();
    return image(platform, List.of(tar), List.of(gzipLayer(tar, false)), false);
  }

  /** An index (OCI, or a Docker manifest list) over single-platform images. */
  public static Image index(List<Platform> platforms, List<Image> images, boolean docker) {
    StringBuilder entries = new StringBuilder();
    List<Blob> blobs = new ArrayList<>();
    List<Blob> children = new ArrayList<>();
    for (int i = 0; i < images.size(); i++) {
      Image child = images.get(i);
      entries.append(i == 0 ? "" : ",").append(descriptorJson(child.manifest(), platforms.get(i)));
      blobs.addAll(child.blobs());
      children.add(child.manifest());
    }
    String mediaType = docker ? MediaTypes.DOCKER_MANIFEST_LIST : MediaTypes.OCI_INDEX;
    String index = "{\"schemaVersion\":2,\"mediaType\":\"" + mediaType + "\",\"manifests\":[" + entries + "]}";
    return new Image(new Blob(mediaType, index.getBytes(StandardCharsets.UTF_8)), blobs, children);
  }

  private static String descriptorJson(Blob blob, Platform platform) {
    String p =
        platform == null
            ? ""
            : ",\"platform\":{\"architecture\":\"" + platform.architecture() + "\",\"os\":\""
                + platform.os() + "\""
                + (platform.variant() == null ? "" : ",\"variant\":\"" + platform.variant() + "\"")
                + "}";
    return "{\"mediaType\":\"" + blob.mediaType() + "\",\"digest\":\"" + blob.digest()
        + "\",\"size\":" + blob.bytes().length + p + "}";
  }

  /** Pushes an image: blobs, child manifests by digest, then the manifest under {@code tag}. */
  public static Digest push(Registry registry, Image image, String tag, Path tmp) {
    try {
      for (Blob blob : image.blobs()) {
        if (registry.checkBlob(blob.digest()).isEmpty()) {
          Path file = Files.createTempFile(tmp, "blob", "");
          Files.write(file, blob.bytes());
          registry.pushBlob(blob.digest(), file, Optional.empty(), n -> {});
          Files.delete(file);
        }
      }
      for (Blob child : image.children()) {
        registry.pushManifest(child.bytes(), child.mediaType(), child.digest().toString());
      }
      return registry.pushManifest(image.manifest().bytes(), image.manifest().mediaType(), tag);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
