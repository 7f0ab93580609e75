package dev.jbuild.build.registry;

import dev.jbuild.oci.Digest;
import java.nio.file.Path;
import java.util.Optional;
import java.util.function.LongConsumer;

/**
 * One repository on one registry, as the builder needs it: manifests as exact bytes, blobs by
 * digest. Implementations retry transient failures and throw {@link RegistryException} with a
 * message that names the registry, the repository, the HTTP status and what to do.
 * Thread-safe: blobs may move in parallel.
 */
public interface Registry extends AutoCloseable {

  /** {@code host[:port]/repository}, for messages and events. */
  String name();

  /**
   * Fetches a manifest or index by tag or digest, exactly as the registry stores it. When asked
   * by digest the bytes are checked against it.
   *
   * @throws RegistryException with status 404 when there is no such tag or digest
   */
  RemoteManifest pullManifest(String tagOrDigest);

  /** The size of a blob if the repository has it (a HEAD request). */
  Optional<Long> checkBlob(Digest digest);

  /**
   * Downloads a blob into {@code target}, verifying its digest. The file is rewritten from the
   * start on every attempt; the caller moves it into place (or deletes it) afterwards.
   *
   * @param progress receives the number of bytes written so far (cumulative)
   */
  void pullBlob(Digest digest, Path target, LongConsumer progress);

  /**
   * Uploads a blob from a file, or mounts it from {@code mountFrom} (another repository on the
   * same registry) when given and the registry agrees.
   *
   * @param progress receives the number of bytes sent so far (cumulative)
   * @return true when the blob was mounted rather than uploaded
   */
  boolean pushBlob(Digest digest, Path file, Optional<String> mountFrom, LongConsumer progress);

  /**
   * Stores a manifest or index under a tag or its digest, byte for byte.
   *
   * @return the digest of the bytes, which is what the registry now serves
   */
  Digest pushManifest(byte[] manifest, String mediaType, String tagOrDigest);

  /** Releases connections. */
  @Override
  void close();

  /**
   * A manifest or index as served.
   *
   * @param bytes the exact bytes
   * @param mediaType the media type from the {@code Content-Type} header, or from the document
   * @param digest the sha256 of the bytes
   */
  record RemoteManifest(byte[] bytes, String mediaType, Digest digest) {
    public RemoteManifest {
      bytes = bytes.clone();
    }

    @Override
    public byte[] bytes() {
      return bytes.clone();
    }
  }
}
