package dev.jbuild.dockerfile.instructions;

import dev.jbuild.dockerfile.ir.Suggestions;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * The {@code --flag[=value]} words of one instruction, checked against the flags it declares:
 * BuildKit's {@code BFlags} rules and messages (spec §1.4).
 */
final class BuilderFlags {

  enum Kind {
    BOOL,
    STRING,
    STRINGS
  }

  /** A flag word that does not parse; {@code word} is the offending flag as written. */
  static final class FlagException extends Exception {
    final String word;

    FlagException(String message, String word) {
      super(message, null, false, false);
      this.word = word;
    }
  }

  private final List<String> args;
  private final Map<String, Kind> declared = new LinkedHashMap<>();
  private final Map<String, String> values = new HashMap<>();
  private final Map<String, List<String>> multi = new HashMap<>();

  BuilderFlags(List<String> args) {
    this.args = List.copyOf(args);
  }

  BuilderFlags declare(String name, Kind kind) {
    declared.put(name, kind);
    return this;
  }

  void parse() throws FlagException {
    for (String a : args) {
      if (a.equals("--")) {
        return;
      }
      if (!a.startsWith("--")) {
        throw new FlagException("arg should start with -- : " + a, a);
      }
      int eq = a.indexOf('=');
      String flagName = eq < 0 ? a : a.substring(0, eq);
      String value = eq < 0 ? "" : a.substring(eq + 1);
      boolean hasValue = eq >= 0;
      String name = flagName.substring(2);
      Kind kind = declared.get(name);
      if (kind == null) {
        throw new FlagException(
            Suggestions.wrap("unknown flag: " + flagName, name, new ArrayList<>(declared.keySet()), true), a);
      }
      if (kind != Kind.STRINGS && (values.containsKey(name))) {
        throw new FlagException("duplicate flag specified: " + flagName, a);
      }
      switch (kind) {
        case BOOL:
          if (hasValue && value.isEmpty()) {
            throw new FlagException("missing a value on flag: " + flagName, a);
          }
          String lower = value.toLowerCase(Locale.ROOT);
          if (lower.isEmpty() || lower.equals("true")) {
            values.put(name, "true");
          } else if (lower.equals("false")) {
            values.put(name, "false");
          } else {
            throw new FlagException("expecting boolean value for flag " + flagName + ", not: " + value, a);
          }
          break;
        case STRING:
          if (!hasValue) {
            throw new FlagException("missing a value on flag: " + flagName, a);
          }
          values.put(name, value);
          break;
        case STRINGS:
          if (!hasValue) {
            throw new FlagException("missing a value on flag: " + flagName, a);
          }
          multi.computeIfAbsent(name, k -> new ArrayList<>()).add(value);
          break;
        default:
          throw new IllegalStateException(kind.toString());
      }
    }
  }

  /** Whether the flag was given. */
  boolean used(String name) {
    return values.containsKey(name) || multi.containsKey(name);
  }

  /** A string flag's value; empty when not given or given empty (BuildKit treats both alike). */
  Optional<String> string(String name) {
    String v = values.get(name);
    return v == null || v.isEmpty() ? Optional.empty() : Optional.of(v);
  }

  /** A string flag's value as given, empty string included. */
  Optional<String> raw(String name) {
    return Optional.ofNullable(values.get(name));
  }

  boolean bool(String name) {
    return "true".equals(values.get(name));
  }

  List<String> strings(String name) {
    return multi.getOrDefault(name, List.of());
  }
}
