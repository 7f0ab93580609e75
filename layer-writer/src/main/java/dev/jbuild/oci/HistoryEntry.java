package dev.jbuild.oci;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.time.Instant;
import java.util.Set;

/** One {@code history} entry of an image config; {@code emptyLayer} marks config-only steps. */
public record HistoryEntry(
    Instant created,
    String createdBy,
    String author,
    String comment,
    boolean emptyLayer,
    UnknownFields unknown) {

  private static final Set<String> KNOWN =
      Set.of("created", "created_by", "author", "comment", "empty_layer");

  public HistoryEntry {
    createdBy = Json.emptyToNull(createdBy);
    author = Json.emptyToNull(author);
    comment = Json.emptyToNull(comment);
    unknown = unknown == null ? UnknownFields.none() : unknown;
  }

  public static HistoryEntry of(Instant created, String createdBy, String comment,
      boolean emptyLayer) {
    return new HistoryEntry(created, createdBy, null, comment, emptyLayer, null);
  }

  static HistoryEntry fromJson(JsonNode n, String where) {
    String created = Json.string(n, "created", where);
    return new HistoryEntry(
        created == null ? null : GoTime.parse(created, where + " created"),
        Json.string(n, "created_by", where),
        Json.string(n, "author", where),
        Json.string(n, "comment", where),
        Json.bool(n, "empty_layer", where),
        UnknownFields.from(n, KNOWN));
  }

  void write(Json.Out out) throws IOException {
    out.startObject();
    if (created != null) {
      out.string("created", GoTime.format(created));
    }
    out.stringOmitEmpty("created_by", createdBy);
    out.stringOmitEmpty("author", author);
    out.stringOmitEmpty("comment", comment);
    out.boolOmitEmpty("empty_layer", emptyLayer);
    out.unknown(unknown);
    out.endObject();
  }
}
