package dev.jbuild.oci;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * An image manifest, OCI ({@code application/vnd.oci.image.manifest.v1+json}) or Docker
 * schema 2 ({@code application/vnd.docker.distribution.manifest.v2+json}); both have the same
 * shape. {@code mediaType} is what the document says (OCI manifests may omit it).
 */
public record ImageManifest(
    int schemaVersion,
    String mediaType,
    String artifactType,
    Descriptor config,
    List<Descriptor> layers,
    Descriptor subject,
    Map<String, String> annotations,
    UnknownFields unknown)
    implements OciDocument {

  private static final Set<String> KNOWN =
      Set.of("schemaVersion", "mediaType", "artifactType", "config", "layers", "subject",
          "annotations");

  public ImageManifest {
    java.util.Objects.requireNonNull(config, "config");
    mediaType = Json.emptyToNull(mediaType);
    artifactType = Json.emptyToNull(artifactType);
    layers = List.copyOf(layers);
    annotations = Json.sortedCopy(annotations);
    unknown = unknown == null ? UnknownFields.none() : unknown;
  }

  /** A new OCI manifest. */
  public static ImageManifest oci(Descriptor config, List<Descriptor> layers) {
    return new ImageManifest(
        2, MediaTypes.OCI_MANIFEST, null, config, layers, null, Map.of(), null);
  }

  /** A new Docker schema 2 manifest. */
  public static ImageManifest docker(Descriptor config, List<Descriptor> layers) {
    return new ImageManifest(
        2, MediaTypes.DOCKER_MANIFEST, null, config, layers, null, Map.of(), null);
  }

  /** Parses a manifest; throws {@link InvalidDocumentException} naming what is wrong. */
  public static ImageManifest parse(byte[] json) {
    String where = "image manifest";
    JsonNode n = Json.readObject(json, where);
    long version = Json.longValue(n, "schemaVersion", where, -1);
    if (version != 2) {
      throw new InvalidDocumentException(
          where + " has schemaVersion " + version + "; only schema 2 (OCI, Docker v2.2) is"
              + " supported");
    }
    String mediaType = Json.string(n, "mediaType", where);
    if (mediaType != null && MediaTypes.isIndex(mediaType)) {
      throw new InvalidDocumentException(where + " is an index (" + mediaType + ")");
    }
    JsonNode config = Json.object(n, "config", where);
    if (config == null) {
      throw new InvalidDocumentException(where + " has no \"config\"");
    }
    JsonNode subject = Json.object(n, "subject", where);
    return new ImageManifest(
        2,
        mediaType,
        Json.string(n, "artifactType", where),
        Descriptor.fromJson(config, where + " config"),
        Descriptor.listFromJson(n, "layers", where),
        subject == null ? null : Descriptor.fromJson(subject, where + " subject"),
        Json.stringMap(n, "annotations", where),
        UnknownFields.from(n, KNOWN));
  }

  /** The media type, with OCI's as the default for documents that omit it. */
  @Override
  public String effectiveMediaType() {
    return mediaType != null ? mediaType : MediaTypes.OCI_MANIFEST;
  }

  public boolean isDocker() {
    return MediaTypes.DOCKER_MANIFEST.equals(mediaType);
  }

  public ImageManifest withLayers(List<Descriptor> newLayers) {
    return new ImageManifest(
        schemaVersion, mediaType, artifactType, config, newLayers, subject, annotations, unknown);
  }

  public ImageManifest withConfig(Descriptor newConfig) {
    return new ImageManifest(
        schemaVersion, mediaType, artifactType, newConfig, layers, subject, annotations, unknown);
  }

  public ImageManifest withAnnotations(Map<String, String> newAnnotations) {
    return new ImageManifest(
        schemaVersion, mediaType, artifactType, config, layers, subject, newAnnotations, unknown);
  }

  @Override
  public byte[] toJson() {
    return Json.write(out -> {
      out.startObject();
      out.number("schemaVersion", schemaVersion);
      out.stringOmitEmpty("mediaType", mediaType);
      out.stringOmitEmpty("artifactType", artifactType);
      out.name("config");
      config.write(out);
      out.startArray("layers");
      for (Descriptor d : layers) {
        d.write(out);
      }
      out.endArray();
      if (subject != null) {
        out.name("subject");
        subject.write(out);
      }
      out.stringMapOmitEmpty("annotations", annotations);
      out.unknown(unknown);
      out.endObject();
    });
  }
}
