package dev.jbuild.build;

import dev.jbuild.cache.BlobStore;
import dev.jbuild.cache.BlobWriter;
import dev.jbuild.cache.ImageStore;
import dev.jbuild.cache.JbuildRoot;
import dev.jbuild.layer.Compression;
import dev.jbuild.layer.LayerBlob;
import dev.jbuild.layer.LayerEntry;
import dev.jbuild.layer.LayerWriter;
import dev.jbuild.oci.ContainerConfig;
import dev.jbuild.oci.Descriptor;
import dev.jbuild.oci.HistoryEntry;
import dev.jbuild.oci.ImageConfig;
import dev.jbuild.oci.ImageManifest;
import dev.jbuild.oci.MediaTypes;
import dev.jbuild.oci.Platform;
import dev.jbuild.oci.RawJson;
import dev.jbuild.oci.RootFs;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * Base images for builder tests, written straight into a local store: one layer of the given
 * entries and the given container config, tagged, for builds with {@code --pull=never}.
 */
final class StoreImages {

  private StoreImages() {}

  /** A root filesystem with /etc/passwd and /etc/group naming an app user (1000:1001). */
  static List<LayerEntry> withUsers() {
    return List.of(
        LayerEntry.directory("etc", 0755),
        LayerEntry.file(
            "etc/passwd",
            0644,
            ("root:x:0:0:root:/root:/bin/sh\n"
                    + "app:x:1000:1001:app:/home/app:/bin/sh\n"
                    + "nobody:x:65534:65534:nobody:/:/bin/false\n")
                .getBytes(StandardCharsets.UTF_8)),
        LayerEntry.file(
            "etc/group",
            0644,
            "root:x:0:\napp:x:1001:\nstaff:x:50:app\n".getBytes(StandardCharsets.UTF_8)),
        LayerEntry.directory("srv", 0750).withOwner(7, 8),
        LayerEntry.symlink("link", "srv"));
  }

  /** Stores and tags an image; returns its manifest descriptor. */
  static Descriptor put(JbuildRoot root, String name, List<LayerEntry> entries, ContainerConfig config)
      throws IOException {
    BlobStore blobs = BlobStore.open(root);
    LayerBlob layer;
    try (BlobWriter w = blobs.writer(null)) {
      layer = new LayerWriter(LayerWriter.Options.of(Compression.GZIP)).write(entries, w);
      w.commit();
    }
    return put(blobs, name, layer, config);
  }

  /**
   * Stores and tags an image of one uncompressed layer of any bytes, even a tar that jbuild's
   * writer would refuse to make.
   */
  static Descriptor putTar(JbuildRoot root, String name, byte[] tar) throws IOException {
    BlobStore blobs = BlobStore.open(root);
    dev.jbuild.cache.StoredBlob stored;
    try (BlobWriter w = blobs.writer(null)) {
      w.write(tar);
      stored = w.commit();
    }
    LayerBlob layer = new LayerBlob(
        stored.digest(), stored.digest(), stored.size(), dev.jbuild.oci.MediaTypes.OCI_LAYER);
    return put(blobs, name, layer, ContainerConfig.empty());
  }

  private static Descriptor put(BlobStore blobs, String name, LayerBlob layer,
      ContainerConfig config) throws IOException {
    Platform p = Builder.defaultPlatform();
    List<HistoryEntry> history = new ArrayList<>();
    history.add(HistoryEntry.of(Instant.EPOCH, "base layer", null, false));
    ImageConfig c =
        new ImageConfig(
            Instant.EPOCH, null, p.architecture(), p.os(), null, null, p.variant(), config,
            RootFs.layers(List.of(layer.diffId())), history, null);
    Descriptor cd = blobs.put(RawJson.of(c));
    RawJson<ImageManifest> m =
        RawJson.of(
            ImageManifest.oci(
                Descriptor.of(MediaTypes.OCI_CONFIG, cd.digest(), cd.size()),
                List.of(Descriptor.of(layer.mediaType(), layer.digest(), layer.size()))));
    Descriptor md = blobs.put(m);
    new ImageStore(blobs).tag(name, md);
    return md;
  }
}
