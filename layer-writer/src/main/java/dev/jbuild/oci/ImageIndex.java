package dev.jbuild.oci;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * An image index: OCI ({@code application/vnd.oci.image.index.v1+json}, also the
 * {@code index.json} of an image layout) or a Docker manifest list.
 */
public record ImageIndex(
    int schemaVersion,
    String mediaType,
    String artifactType,
    List<Descriptor> manifests,
    Descriptor subject,
    Map<String, String> annotations,
    UnknownFields unknown)
    implements OciDocument {

  private static final Set<String> KNOWN =
      Set.of("schemaVersion", "mediaType", "artifactType", "manifests", "subject", "annotations");

  public ImageIndex {
    mediaType = Json.emptyToNull(mediaType);
    artifactType = Json.emptyToNull(artifactType);
    manifests = List.copyOf(manifests);
    annotations = Json.sortedCopy(annotations);
    unknown = unknown == null ? UnknownFields.none() : unknown;
  }

  /** A new OCI index. */
  public static ImageIndex oci(List<Descriptor> manifests) {
    return new ImageIndex(2, MediaTypes.OCI_INDEX, null, manifests, null, Map.of(), null);
  }

  /** Parses an index or manifest list; throws {@link InvalidDocumentException}. */
  public static ImageIndex parse(byte[] json) {
    String where = "image index";
    JsonNode n = Json.readObject(json, where);
    long version = Json.longValue(n, "schemaVersion", where, -1);
    if (version != 2) {
      throw new InvalidDocumentException(where + " has schemaVersion " + version
          + "; only schema 2 is supported");
    }
    String mediaType = Json.string(n, "mediaType", where);
    if (mediaType != null && MediaTypes.isManifest(mediaType)) {
      throw new InvalidDocumentException(where + " is an image manifest (" + mediaType + ")");
    }
    if (n.get("manifests") == null) {
      throw new InvalidDocumentException(where + " has no \"manifests\"");
    }
    JsonNode subject = Json.object(n, "subject", where);
    return new ImageIndex(
        2,
        mediaType,
        Json.string(n, "artifactType", where),
        Descriptor.listFromJson(n, "manifests", where),
        subject == null ? null : Descriptor.fromJson(subject, where + " subject"),
        Json.stringMap(n, "annotations", where),
        UnknownFields.from(n, KNOWN));
  }

  @Override
  public String effectiveMediaType() {
    return mediaType != null ? mediaType : MediaTypes.OCI_INDEX;
  }

  public ImageIndex withManifests(List<Descriptor> newManifests) {
    return new ImageIndex(
        schemaVersion, mediaType, artifactType, newManifests, subject, annotations, unknown);
  }

  /**
   * The manifest for {@code wanted}: the best match by {@link Platform#rank} (an exact variant
   * before an older compatible one); among equals the first listed, as containerd picks.
   * Entries without a platform, and attestation manifests, are never chosen.
   */
  public Optional<Descriptor> select(Platform wanted) {
    Descriptor best = null;
    int bestRank = -1;
    for (Descriptor d : manifests) {
      if (d.platform() == null || !MediaTypes.isManifest(d.mediaType())) {
        continue;
      }
      // BuildKit attestations: platform unknown/unknown, annotated reference type
      if ("attestation-manifest".equals(d.annotation("vnd.docker.reference.type"))) {
        continue;
      }
      int r = wanted.rank(d.platform());
      if (r > bestRank) {
        best = d;
        bestRank = r;
      }
    }
    return Optional.ofNullable(best);
  }

  /** The platforms listed, for an error that says which ones exist. */
  public List<Platform> platforms() {
    return manifests.stream().map(Descriptor::platform).filter(p -> p != null).toList();
  }

  @Override
  public byte[] toJson() {
    return Json.write(out -> {
      out.startObject();
      out.number("schemaVersion", schemaVersion);
      out.stringOmitEmpty("mediaType", mediaType);
      out.stringOmitEmpty("artifactType", artifactType);
      out.startArray("manifests");
      for (Descriptor d : manifests) {
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
