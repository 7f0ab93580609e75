package dev.jbuild.dockerfile.ir;

import java.util.List;
import java.util.Locale;
import java.util.Objects;

/**
 * {@code RUN --device=<name>[,required[=<bool>]]} (BuildKit labs): a CDI device.
 *
 * @param name the CDI device name, as written
 * @param required fail when the device is not available
 */
public record Device(String name, boolean required) {
  public Device {
    Objects.requireNonNull(name, "name");
  }

  /** Parses a {@code --device} value with BuildKit's rules and messages. */
  public static Device parse(String value) {
    List<String> fields = CsvValue.fields(value, "devices");
    String name = "";
    boolean required = false;
    for (String field : fields) {
      int eq = field.indexOf('=');
      String key = (eq < 0 ? field : field.substring(0, eq)).toLowerCase(Locale.ROOT);
      if (eq < 0) {
        if (key.equals("required")) {
          required = true;
          continue;
        }
        if (name.isEmpty()) {
          name = field;
          continue;
        }
        throw new InvalidValueException("invalid field '" + field + "' must be a key=value pair");
      }
      String v = field.substring(eq + 1);
      switch (key) {
        case "name":
          if (!name.isEmpty()) {
            throw new InvalidValueException("device name already set to " + name);
          }
          name = v;
          break;
        case "required":
          required = GoSyntax.parseBool(v, key);
          break;
        default:
          if (name.isEmpty()) {
            name = field;
            break;
          }
          throw new InvalidValueException(
              Suggestions.wrap(
                  "unexpected key '" + key + "' in '" + field + "'", key, List.of("name", "required"), true));
      }
    }
    return new Device(name, required);
  }
}
