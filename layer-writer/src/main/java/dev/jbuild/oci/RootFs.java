package dev.jbuild.oci;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/** The {@code rootfs} of an image config: the diffIDs (uncompressed digests) of the layers. */
public record RootFs(String type, List<Digest> diffIds, UnknownFields unknown) {

  private static final Set<String> KNOWN = Set.of("type", "diff_ids");

  public RootFs {
    type = type == null || type.isEmpty() ? "layers" : type;
    diffIds = List.copyOf(diffIds);
    unknown = unknown == null ? UnknownFields.none() : unknown;
  }

  public static RootFs layers(List<Digest> diffIds) {
    return new RootFs("layers", diffIds, null);
  }

  static RootFs fromJson(JsonNode n, String where) {
    String w = where + " rootfs";
    List<Digest> ids = new ArrayList<>();
    for (String s : Json.stringList(n, "diff_ids", w)) {
      try {
        ids.add(Digest.parse(s));
      } catch (IllegalArgumentException e) {
        throw new InvalidDocumentException(w + ": " + e.getMessage());
      }
    }
    return new RootFs(Json.string(n, "type", w), ids, UnknownFields.from(n, KNOWN));
  }

  void write(Json.Out out) throws IOException {
    out.startObject();
    out.string("type", type);
    out.stringList("diff_ids", diffIds.stream().map(Digest::toString).toList());
    out.unknown(unknown);
    out.endObject();
  }
}
