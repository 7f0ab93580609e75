package dev.jbuild.dockerfile.ir;

import java.util.Objects;

/**
 * One ENV or LABEL pair, both words as written (quotes and escapes kept for expansion).
 *
 * @param key the key word, never empty
 * @param value the value word; in the legacy form {@code ENV k v w} the raw rest of the line
 */
public record KeyValue(String key, String value) {
  public KeyValue {
    Objects.requireNonNull(key, "key");
    Objects.requireNonNull(value, "value");
    if (key.isEmpty()) {
      throw new IllegalArgumentException("key must not be empty");
    }
  }
}
