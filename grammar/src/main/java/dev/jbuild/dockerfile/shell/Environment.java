package dev.jbuild.dockerfile.shell;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * An immutable, ordered list of environment variables, as an image config's {@code Env} or
 * BuildKit's {@code llb.EnvList}. Setting a name that is present replaces its value in place;
 * a new name is appended. Keys are case-sensitive.
 */
public final class Environment implements VariableLookup {

  private static final Environment EMPTY = new Environment(new LinkedHashMap<>());

  private final Map<String, String> entries;

  private Environment(LinkedHashMap<String, String> entries) {
    this.entries = Collections.unmodifiableMap(entries);
  }

  public static Environment empty() {
    return EMPTY;
  }

  /**
   * Reads {@code KEY=VALUE} strings (an image config's {@code Env}). An entry without {@code =}
   * sets the key to the empty string; a later duplicate key replaces an earlier one.
   */
  public static Environment fromList(List<String> keyValues) {
    LinkedHashMap<String, String> map = new LinkedHashMap<>();
    for (String kv : keyValues) {
      int eq = kv.indexOf('=');
      if (eq < 0) {
        map.put(kv, "");
      } else {
        map.put(kv.substring(0, eq), kv.substring(eq + 1));
      }
    }
    return new Environment(map);
  }

  /** Builds an environment from alternating keys and values: {@code of("A", "1", "B", "2")}. */
  public static Environment of(String... keysAndValues) {
    if (keysAndValues.length % 2 != 0) {
      throw new IllegalArgumentException("keys and values must come in pairs");
    }
    LinkedHashMap<String, String> map = new LinkedHashMap<>();
    for (int i = 0; i < keysAndValues.length; i += 2) {
      map.put(
          Objects.requireNonNull(keysAndValues[i], "key"),
          Objects.requireNonNull(keysAndValues[i + 1], "value"));
    }
    return new Environment(map);
  }

  @Override
  public Optional<String> lookup(String name) {
    return Optional.ofNullable(entries.get(name));
  }

  public boolean contains(String name) {
    return entries.containsKey(name);
  }

  /** The names in order of first definition. */
  public Set<String> names() {
    return entries.keySet();
  }

  /** This environment with {@code name} set to {@code value} (replaced in place or appended). */
  public Environment with(String name, String value) {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(value, "value");
    if (value.equals(entries.get(name))) {
      return this;
    }
    LinkedHashMap<String, String> copy = new LinkedHashMap<>(entries);
    copy.put(name, value);
    return new Environment(copy);
  }

  /** This environment without {@code name}. */
  public Environment without(String name) {
    if (!entries.containsKey(name)) {
      return this;
    }
    LinkedHashMap<String, String> copy = new LinkedHashMap<>(entries);
    copy.remove(name);
    return new Environment(copy);
  }

  /** Every entry of {@code other} set on top of this one, in {@code other}'s order. */
  public Environment withAll(Environment other) {
    Environment result = this;
    for (Map.Entry<String, String> e : other.entries.entrySet()) {
      result = result.with(e.getKey(), e.getValue());
    }
    return result;
  }

  /** The entries as a read-only ordered map. */
  public Map<String, String> asMap() {
    return entries;
  }

  /** The entries as {@code KEY=VALUE} strings, in order: the shape of an image config. */
  public List<String> toList() {
    List<String> out = new ArrayList<>(entries.size());
    entries.forEach((k, v) -> out.add(k + "=" + v));
    return List.copyOf(out);
  }

  public int size() {
    return entries.size();
  }

  public boolean isEmpty() {
    return entries.isEmpty();
  }

  @Override
  public boolean equals(Object o) {
    // Order is part of the value: an image config lists Env in order.
    return o instanceof Environment
        && new ArrayList<>(entries.entrySet())
            .equals(new ArrayList<>(((Environment) o).entries.entrySet()));
  }

  @Override
  public int hashCode() {
    return entries.hashCode();
  }

  @Override
  public String toString() {
    return toList().toString();
  }
}
