package dev.jbuild.oci;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * The members of a JSON object that a model does not know, kept in document order so that a
 * read → modify → write cycle does not drop them (Docker's {@code container_config}, vendor
 * extensions, fields from newer spec versions). Immutable: the nodes are deep-copied in and
 * out.
 */
public final class UnknownFields {

  private static final UnknownFields NONE = new UnknownFields(Map.of());

  private final Map<String, JsonNode> fields;

  private UnknownFields(Map<String, JsonNode> fields) {
    this.fields = fields;
  }

  public static UnknownFields none() {
    return NONE;
  }

  /** Copies the given members; the order of the map is kept. */
  public static UnknownFields of(Map<String, JsonNode> fields) {
    if (fields.isEmpty()) {
      return NONE;
    }
    Map<String, JsonNode> copy = new LinkedHashMap<>();
    fields.forEach((k, v) -> copy.put(k, v.deepCopy()));
    return new UnknownFields(Collections.unmodifiableMap(copy));
  }

  /** The members of {@code object} whose names are not in {@code known}. */
  static UnknownFields from(JsonNode object, Set<String> known) {
    Map<String, JsonNode> rest = new LinkedHashMap<>();
    object.fields().forEachRemaining(e -> {
      if (!known.contains(e.getKey())) {
        rest.put(e.getKey(), e.getValue());
      }
    });
    return of(rest);
  }

  public boolean isEmpty() {
    return fields.isEmpty();
  }

  public Set<String> names() {
    return fields.keySet();
  }

  /** A copy of one member, or null. */
  public JsonNode get(String name) {
    JsonNode node = fields.get(name);
    return node == null ? null : node.deepCopy();
  }

  Map<String, JsonNode> asMap() {
    return fields;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof UnknownFields && ((UnknownFields) o).fields.equals(fields);
  }

  @Override
  public int hashCode() {
    return fields.hashCode();
  }

  @Override
  public String toString() {
    return fields.toString();
  }
}
