package dev.jbuild.build.registry;

import com.fasterxml.jackson.annotation.JsonValue;
import com.fasterxml.jackson.databind.util.RawValue;
import com.google.cloud.tools.jib.image.json.ManifestTemplate;
import java.nio.charset.StandardCharsets;

/**
 * A manifest or index that Jib pushes byte for byte: Jib serialises templates with Jackson, and
 * {@code @JsonValue} on a {@link RawValue} makes that serialisation the original bytes, so the
 * digest the registry computes is the digest of our document.
 */
final class RawManifestTemplate implements ManifestTemplate {

  private final String json;
  private final String mediaType;
  private final int schemaVersion;

  RawManifestTemplate(byte[] bytes, String mediaType) {
    this.json = new String(bytes, StandardCharsets.UTF_8);
    if (!java.util.Arrays.equals(json.getBytes(StandardCharsets.UTF_8), bytes)) {
      throw new IllegalArgumentException("a manifest must be UTF-8 JSON");
    }
    this.mediaType = mediaType;
    this.schemaVersion = 2;
  }

  @JsonValue
  RawValue raw() {
    return new RawValue(json);
  }

  @Override
  public int getSchemaVersion() {
    return schemaVersion;
  }

  @Override
  public String getManifestMediaType() {
    return mediaType;
  }
}
