package dev.jbuild.cache;

import dev.jbuild.oci.Descriptor;
import dev.jbuild.oci.Digest;

/** A blob that is in the store: its digest and size. */
public record StoredBlob(Digest digest, long size) {

  public StoredBlob {
    java.util.Objects.requireNonNull(digest, "digest");
  }

  /** A descriptor of this blob under the given media type. */
  public Descriptor descriptor(String mediaType) {
    return Descriptor.of(mediaType, digest, size);
  }
}
