package dev.jbuild.cache;

import dev.jbuild.oci.Descriptor;
import dev.jbuild.oci.Digest;
import dev.jbuild.oci.HistoryEntry;
import dev.jbuild.oci.ImageConfig;
import dev.jbuild.oci.ImageManifest;
import dev.jbuild.oci.MediaTypes;
import dev.jbuild.oci.Platform;
import dev.jbuild.oci.RawJson;
import java.nio.charset.StandardCharsets;
import java.util.List;

/** Small images put straight into a store: one fake layer, a config, a manifest. */
final class TestImages {
  private TestImages() {}

  record Image(Descriptor manifest, Descriptor config, Descriptor layer) {}

  static Image put(BlobStore store, String seed) {
    byte[] layer = ("layer " + seed).getBytes(StandardCharsets.UTF_8);
    Descriptor layerDesc = store.put(layer).descriptor(MediaTypes.OCI_LAYER);
    ImageConfig config = ImageConfig.scratch(Platform.parse("linux/amd64"))
        .withLayer(Digest.of(layer), HistoryEntry.of(null, "COPY " + seed, null, false));
    Descriptor configDesc = store.put(RawJson.of(config));
    Descriptor manifest = store.put(RawJson.of(ImageManifest.oci(configDesc, List.of(layerDesc))));
    return new Image(manifest, configDesc, layerDesc);
  }
}
