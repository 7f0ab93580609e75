package dev.jbuild.layer;

import dev.jbuild.oci.Digest;
import java.util.Objects;

/**
 * A written layer.
 *
 * @param diffId sha256 of the uncompressed tar (goes into the image config's rootfs)
 * @param digest sha256 of the blob as stored and pushed (the manifest's layer descriptor)
 * @param size blob size in bytes
 * @param mediaType OCI layer media type matching the compression
 */
public record LayerBlob(Digest diffId, Digest digest, long size, String mediaType) {
  public LayerBlob {
    Objects.requireNonNull(diffId, "diffId");
    Objects.requireNonNull(digest, "digest");
    Objects.requireNonNull(mediaType, "mediaType");
    if (size < 0) {
      throw new IllegalArgumentException("negative size");
    }
  }
}
