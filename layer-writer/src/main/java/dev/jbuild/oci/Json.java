package dev.jbuild.oci;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.SerializableString;
import com.fasterxml.jackson.core.io.CharacterEscapes;
import com.fasterxml.jackson.core.io.SerializedString;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Reading and canonical writing of the OCI JSON documents. Reading is lenient about unknown
 * members (they are kept) and strict about the types of known ones. Writing follows Go's
 * {@code encoding/json} as containerd and BuildKit use it: no whitespace, struct field order,
 * map keys sorted, {@code omitempty} fields left out when empty, and {@code <}, {@code >},
 * {@code &}, U+2028, U+2029 and control characters written as Go's six-character escapes.
 */
final class Json {

  static final ObjectMapper MAPPER =
      new ObjectMapper()
          .setNodeFactory(JsonNodeFactory.withExactBigDecimals(true))
          .enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS)
          .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
          .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION);

  private Json() {}

  /** Parses a document that must be a JSON object. */
  static JsonNode readObject(byte[] bytes, String what) {
    JsonNode node;
    try {
      node = MAPPER.readTree(bytes);
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      throw new InvalidDocumentException(
          what + " is not valid JSON: " + e.getOriginalMessage(), e);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    if (node == null || !node.isObject()) {
      throw new InvalidDocumentException(what + " is not a JSON object");
    }
    return node;
  }

  /** Writes one document with the given writer; the bytes are the canonical form. */
  static byte[] write(Writer writer) {
    ByteArrayOutputStream out = new ByteArrayOutputStream(512);
    try (JsonGenerator g = MAPPER.getFactory().createGenerator(out)) {
      g.setCharacterEscapes(GoEscapes.INSTANCE);
      writer.write(new Out(g));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out.toByteArray();
  }

  // ---- reading known members, with the document kind and member named in errors ----

  static String string(JsonNode obj, String field, String where) {
    JsonNode n = obj.get(field);
    if (n == null || n.isNull()) {
      return null;
    }
    if (!n.isTextual()) {
      throw wrongType(where, field, "a string");
    }
    return n.textValue();
  }

  static String requiredString(JsonNode obj, String field, String where) {
    String s = string(obj, field, where);
    if (s == null) {
      throw new InvalidDocumentException(where + " has no \"" + field + "\"");
    }
    return s;
  }

  static long longValue(JsonNode obj, String field, String where, long absent) {
    JsonNode n = obj.get(field);
    if (n == null || n.isNull()) {
      return absent;
    }
    if (!n.isIntegralNumber() || !n.canConvertToLong()) {
      throw wrongType(where, field, "an integer");
    }
    return n.longValue();
  }

  static boolean bool(JsonNode obj, String field, String where) {
    JsonNode n = obj.get(field);
    if (n == null || n.isNull()) {
      return false;
    }
    if (!n.isBoolean()) {
      throw wrongType(where, field, "true or false");
    }
    return n.booleanValue();
  }

  /** A string array; null and absent both read as an empty list. */
  static List<String> stringList(JsonNode obj, String field, String where) {
    JsonNode n = obj.get(field);
    if (n == null || n.isNull()) {
      return List.of();
    }
    if (!n.isArray()) {
      throw wrongType(where, field, "an array of strings");
    }
    List<String> out = new ArrayList<>(n.size());
    for (JsonNode e : n) {
      if (!e.isTextual()) {
        throw wrongType(where, field, "an array of strings");
      }
      out.add(e.textValue());
    }
    return out;
  }

  /** A string-to-string object; null and absent both read as an empty map. */
  static Map<String, String> stringMap(JsonNode obj, String field, String where) {
    JsonNode n = obj.get(field);
    if (n == null || n.isNull()) {
      return Map.of();
    }
    if (!n.isObject()) {
      throw wrongType(where, field, "an object of strings");
    }
    Map<String, String> out = new LinkedHashMap<>();
    n.fields().forEachRemaining(e -> {
      if (!e.getValue().isTextual()) {
        throw wrongType(where, field + "." + e.getKey(), "a string");
      }
      out.put(e.getKey(), e.getValue().textValue());
    });
    return out;
  }

  /** The member names of an object whose values are empty objects ({@code ExposedPorts}). */
  static List<String> keySet(JsonNode obj, String field, String where) {
    JsonNode n = obj.get(field);
    if (n == null || n.isNull()) {
      return List.of();
    }
    if (!n.isObject()) {
      throw wrongType(where, field, "an object");
    }
    List<String> out = new ArrayList<>();
    n.fieldNames().forEachRemaining(out::add);
    return out;
  }

  static JsonNode object(JsonNode obj, String field, String where) {
    JsonNode n = obj.get(field);
    if (n == null || n.isNull()) {
      return null;
    }
    if (!n.isObject()) {
      throw wrongType(where, field, "an object");
    }
    return n;
  }

  static List<JsonNode> objects(JsonNode obj, String field, String where) {
    JsonNode n = obj.get(field);
    if (n == null || n.isNull()) {
      return List.of();
    }
    if (!n.isArray()) {
      throw wrongType(where, field, "an array of objects");
    }
    List<JsonNode> out = new ArrayList<>(n.size());
    for (JsonNode e : n) {
      if (!e.isObject()) {
        throw wrongType(where, field, "an array of objects");
      }
      out.add(e);
    }
    return out;
  }

  private static InvalidDocumentException wrongType(String where, String field, String expected) {
    return new InvalidDocumentException(where + ": \"" + field + "\" must be " + expected);
  }

  // ---- immutable copies for record components ----

  static List<String> copy(List<String> list) {
    return list == null ? List.of() : List.copyOf(list);
  }

  /** Sorted, as Go marshals maps; null becomes empty. */
  static Map<String, String> sortedCopy(Map<String, String> map) {
    if (map == null || map.isEmpty()) {
      return Map.of();
    }
    return Collections.unmodifiableMap(new TreeMap<>(map));
  }

  static String emptyToNull(String s) {
    return s == null || s.isEmpty() ? null : s;
  }

  /** Writes one document or object body. */
  @FunctionalInterface
  interface Writer {
    void write(Out out) throws IOException;
  }

  /** A JSON generator with Go's omitempty rules built in. */
  static final class Out {
    private final JsonGenerator g;

    Out(JsonGenerator g) {
      this.g = g;
    }

    void startObject() throws IOException {
      g.writeStartObject();
    }

    void endObject() throws IOException {
      g.writeEndObject();
    }

    void name(String name) throws IOException {
      g.writeFieldName(name);
    }

    /** Always written ({@code json:"x"} without omitempty); null is written as "". */
    void string(String name, String value) throws IOException {
      g.writeStringField(name, value == null ? "" : value);
    }

    void stringOmitEmpty(String name, String value) throws IOException {
      if (value != null && !value.isEmpty()) {
        g.writeStringField(name, value);
      }
    }

    void number(String name, long value) throws IOException {
      g.writeNumberField(name, value);
    }

    void numberOmitEmpty(String name, long value) throws IOException {
      if (value != 0) {
        g.writeNumberField(name, value);
      }
    }

    void boolOmitEmpty(String name, boolean value) throws IOException {
      if (value) {
        g.writeBooleanField(name, true);
      }
    }

    void stringList(String name, List<String> values) throws IOException {
      g.writeArrayFieldStart(name);
      for (String v : values) {
        g.writeString(v);
      }
      g.writeEndArray();
    }

    void stringListOmitEmpty(String name, List<String> values) throws IOException {
      if (values != null && !values.isEmpty()) {
        stringList(name, values);
      }
    }

    void stringMapOmitEmpty(String name, Map<String, String> values) throws IOException {
      if (values == null || values.isEmpty()) {
        return;
      }
      g.writeObjectFieldStart(name);
      for (Map.Entry<String, String> e : new TreeMap<>(values).entrySet()) {
        g.writeStringField(e.getKey(), e.getValue());
      }
      g.writeEndObject();
    }

    /** {@code map[string]struct{}}, as ExposedPorts and Volumes are. */
    void keySetOmitEmpty(String name, List<String> keys) throws IOException {
      if (keys == null || keys.isEmpty()) {
        return;
      }
      g.writeObjectFieldStart(name);
      for (String k : new java.util.TreeSet<>(keys)) {
        g.writeObjectFieldStart(k);
        g.writeEndObject();
      }
      g.writeEndObject();
    }

    void tree(String name, JsonNode node) throws IOException {
      g.writeFieldName(name);
      g.writeTree(node);
    }

    void unknown(UnknownFields fields) throws IOException {
      for (Map.Entry<String, JsonNode> e : fields.asMap().entrySet()) {
        tree(e.getKey(), e.getValue());
      }
    }

    void startArray(String name) throws IOException {
      g.writeArrayFieldStart(name);
    }

    void endArray() throws IOException {
      g.writeEndArray();
    }
  }

  /** Go's encoding/json escapes HTML-significant characters and the JS line separators. */
  private static final class GoEscapes extends CharacterEscapes {
    static final GoEscapes INSTANCE = new GoEscapes();
    private final int[] table;

    private GoEscapes() {
      table = standardAsciiEscapesForJSON();
      // Go writes other control characters as six-character escapes in lower-case hex
      for (int c = 0; c < 0x20; c++) {
        if (c != '\b' && c != '\t' && c != '\n' && c != '\f' && c != '\r') {
          table[c] = ESCAPE_CUSTOM;
        }
      }
      table['<'] = ESCAPE_CUSTOM;
      table['>'] = ESCAPE_CUSTOM;
      table['&'] = ESCAPE_CUSTOM;
    }

    @Override
    public int[] getEscapeCodesForAscii() {
      return table;
    }

    @Override
    public SerializableString getEscapeSequence(int ch) {
      if (ch < 0x20 || ch == '<' || ch == '>' || ch == '&' || ch == 0x2028 || ch == 0x2029) {
        // by hand, not String.format("\\u%04x"): the first config of a build with "&&" in a RUN
        // line initialised java.util.Formatter for it, on the build's last step
        String hex = Integer.toHexString(ch);
        return new SerializedString("\\u" + "0000".substring(hex.length()) + hex);
      }
      return null;
    }
  }
}
