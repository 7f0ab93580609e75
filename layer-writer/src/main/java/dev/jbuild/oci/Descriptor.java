package dev.jbuild.oci;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * An OCI content descriptor: what a manifest says about its config and layers, and an index
 * about its manifests. Optional members are null or empty; {@code data} and any other member
 * the spec adds later are kept in {@link #unknown()}.
 */
public record Descriptor(
    String mediaType,
    Digest digest,
    long size,
    List<String> urls,
    Map<String, String> annotations,
    Platform platform,
    String artifactType,
    UnknownFields unknown) {

  /** The annotation naming a tag in an image layout's index.json. */
  public static final String REF_NAME = "org.opencontainers.image.ref.name";

  /** The annotation containerd and BuildKit put beside {@link #REF_NAME}: the full image name. */
  public static final String CONTAINERD_IMAGE_NAME = "io.containerd.image.name";

  private static final Set<String> KNOWN =
      Set.of("mediaType", "digest", "size", "urls", "annotations", "platform", "artifactType");

  public Descriptor {
    if (mediaType == null || mediaType.isEmpty()) {
      throw new IllegalArgumentException("descriptor media type is required");
    }
    java.util.Objects.requireNonNull(digest, "digest");
    if (size < 0) {
      throw new IllegalArgumentException("descriptor size must not be negative: " + size);
    }
    urls = Json.copy(urls);
    annotations = Json.sortedCopy(annotations);
    artifactType = Json.emptyToNull(artifactType);
    unknown = unknown == null ? UnknownFields.none() : unknown;
  }

  public static Descriptor of(String mediaType, Digest digest, long size) {
    return new Descriptor(mediaType, digest, size, List.of(), Map.of(), null, null, null);
  }

  /** The descriptor of some bytes. */
  public static Descriptor of(String mediaType, byte[] content) {
    return of(mediaType, Digest.of(content), content.length);
  }

  public Descriptor withAnnotations(Map<String, String> newAnnotations) {
    return new Descriptor(
        mediaType, digest, size, urls, newAnnotations, platform, artifactType, unknown);
  }

  /** This descriptor with one annotation added or replaced. */
  public Descriptor withAnnotation(String key, String value) {
    Map<String, String> m = new HashMap<>(annotations);
    m.put(key, value);
    return withAnnotations(m);
  }

  public Descriptor withPlatform(Platform newPlatform) {
    return new Descriptor(
        mediaType, digest, size, urls, annotations, newPlatform, artifactType, unknown);
  }

  public Descriptor withMediaType(String newMediaType) {
    return new Descriptor(
        newMediaType, digest, size, urls, annotations, platform, artifactType, unknown);
  }

  /** An annotation's value, or null. */
  public String annotation(String key) {
    return annotations.get(key);
  }

  static Descriptor fromJson(JsonNode n, String where) {
    String digestText = Json.requiredString(n, "digest", where);
    Digest digest;
    try {
      digest = Digest.parse(digestText);
    } catch (IllegalArgumentException e) {
      throw new InvalidDocumentException(where + ": " + e.getMessage());
    }
    long size = Json.longValue(n, "size", where, -1);
    if (size < 0) {
      throw new InvalidDocumentException(where + " has no valid \"size\"");
    }
    JsonNode platform = Json.object(n, "platform", where);
    return new Descriptor(
        Json.requiredString(n, "mediaType", where),
        digest,
        size,
        Json.stringList(n, "urls", where),
        Json.stringMap(n, "annotations", where),
        platform == null ? null : Platform.fromJson(platform, where),
        Json.string(n, "artifactType", where),
        UnknownFields.from(n, KNOWN));
  }

  static List<Descriptor> listFromJson(JsonNode n, String field, String where) {
    List<JsonNode> nodes = Json.objects(n, field, where);
    java.util.ArrayList<Descriptor> out = new java.util.ArrayList<>(nodes.size());
    for (int i = 0; i < nodes.size(); i++) {
      out.add(fromJson(nodes.get(i), where + " " + field + "[" + i + "]"));
    }
    return out;
  }

  void write(Json.Out out) throws IOException {
    // specs-go order: mediaType, digest, size, urls, annotations, data, platform, artifactType
    out.startObject();
    out.string("mediaType", mediaType);
    out.string("digest", digest.toString());
    out.number("size", size);
    out.stringListOmitEmpty("urls", urls);
    out.stringMapOmitEmpty("annotations", annotations);
    JsonNode data = unknown.get("data");
    if (data != null) {
      out.tree("data", data);
    }
    if (platform != null) {
      out.name("platform");
      platform.write(out);
    }
    out.stringOmitEmpty("artifactType", artifactType);
    for (String name : unknown.names()) {
      if (!name.equals("data")) {
        out.tree(name, unknown.get(name));
      }
    }
    out.endObject();
  }
}
