package dev.jbuild.oci;

import java.util.Arrays;
import java.util.function.Function;

/**
 * A parsed document together with the exact bytes it was read from (or canonically written
 * to). The digest is the digest of those bytes, so a manifest pulled and stored again keeps
 * its digest however the model would re-serialise it.
 */
public final class RawJson<T extends OciDocument> {

  private final T value;
  private final byte[] bytes;
  private final Digest digest;

  private RawJson(T value, byte[] bytes) {
    this.value = value;
    this.bytes = bytes;
    this.digest = Digest.of(bytes);
  }

  /** A new document, serialised canonically. */
  public static <T extends OciDocument> RawJson<T> of(T value) {
    return new RawJson<>(value, value.toJson());
  }

  /** Parses bytes with the given parser, keeping the bytes. */
  public static <T extends OciDocument> RawJson<T> parse(
      byte[] bytes, Function<byte[], T> parser) {
    byte[] copy = bytes.clone();
    return new RawJson<>(parser.apply(copy), copy);
  }

  public static RawJson<ImageManifest> manifest(byte[] bytes) {
    return parse(bytes, ImageManifest::parse);
  }

  public static RawJson<ImageIndex> index(byte[] bytes) {
    return parse(bytes, ImageIndex::parse);
  }

  public static RawJson<ImageConfig> config(byte[] bytes) {
    return parse(bytes, ImageConfig::parse);
  }

  /**
   * Parses a manifest or an index: by {@code mediaTypeHint} when it names one (a registry's
   * Content-Type, a descriptor's mediaType), else by the document's own mediaType, else by
   * shape ({@code manifests} means an index).
   */
  public static RawJson<? extends OciDocument> manifestOrIndex(byte[] bytes, String mediaTypeHint) {
    if (mediaTypeHint != null && MediaTypes.isIndex(mediaTypeHint)) {
      return index(bytes);
    }
    if (mediaTypeHint != null && MediaTypes.isManifest(mediaTypeHint)) {
      return manifest(bytes);
    }
    var node = Json.readObject(bytes, "manifest or index");
    String own = node.path("mediaType").asText("");
    if (MediaTypes.isIndex(own) || (own.isEmpty() && node.has("manifests"))) {
      return index(bytes);
    }
    return manifest(bytes);
  }

  public T value() {
    return value;
  }

  /** A copy of the bytes. */
  public byte[] bytes() {
    return bytes.clone();
  }

  public Digest digest() {
    return digest;
  }

  public long size() {
    return bytes.length;
  }

  /** A descriptor of these bytes under the document's media type. */
  public Descriptor descriptor() {
    return Descriptor.of(value.effectiveMediaType(), digest, bytes.length);
  }

  /** A descriptor of these bytes under an explicit media type (a Docker config, say). */
  public Descriptor descriptor(String mediaType) {
    return Descriptor.of(mediaType, digest, bytes.length);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof RawJson && Arrays.equals(((RawJson<?>) o).bytes, bytes);
  }

  @Override
  public int hashCode() {
    return Arrays.hashCode(bytes);
  }

  @Override
  public String toString() {
    return value.getClass().getSimpleName() + "@" + digest;
  }
}
