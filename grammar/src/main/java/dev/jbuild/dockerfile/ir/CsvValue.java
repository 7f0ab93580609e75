package dev.jbuild.dockerfile.ir;

import java.util.ArrayList;
import java.util.List;

/**
 * Splits one CSV record the way {@code go-csvvalue} does for {@code --mount} and
 * {@code --device}: comma separated, a field starting with {@code "} is quoted ({@code ""} is a
 * literal quote), a quote inside an unquoted field is an error.
 */
final class CsvValue {
  private CsvValue() {}

  /**
   * @param what named in the error ({@code mounts}, {@code devices})
   */
  static List<String> fields(String line, String what) {
    String prefix = "failed to parse csv " + what + ": ";
    if (line.isEmpty()) {
      throw new InvalidValueException(prefix + "EOF");
    }
    List<String> out = new ArrayList<>();
    int pos = 0;
    int n = line.length();
    while (true) {
      if (pos >= n || line.charAt(pos) != '"') {
        int comma = line.indexOf(',', pos);
        String field = comma >= 0 ? line.substring(pos, comma) : line.substring(pos);
        int quote = field.indexOf('"');
        if (quote >= 0) {
          throw new InvalidValueException(
              prefix + "parse error on line 1, column " + (pos + quote + 1) + ": bare \" in non-quoted field");
        }
        out.add(field);
        if (comma < 0) {
          return out;
        }
        pos = comma + 1;
        continue;
      }
      // quoted field
      pos++;
      StringBuilder field = new StringBuilder();
      while (true) {
        int q = line.indexOf('"', pos);
        if (q < 0) {
          throw new InvalidValueException(
              prefix + "parse error on line 1, column " + (pos + 1) + ": extraneous or missing \" in quoted field");
        }
        field.append(line, pos, q);
        pos = q + 1;
        if (pos < n && line.charAt(pos) == '"') {
          field.append('"');
          pos++;
        } else if (pos < n && line.charAt(pos) == ',') {
          out.add(field.toString());
          pos++;
          break;
        } else if (pos >= n) {
          out.add(field.toString());
          return out;
        } else {
          throw new InvalidValueException(
              prefix + "parse error on line 1, column " + pos + ": extraneous or missing \" in quoted field");
        }
      }
    }
  }

  /** Quotes a field when it needs it, so that {@link #fields} gives it back. */
  static String quote(String field) {
    if (field.indexOf(',') < 0 && field.indexOf('"') < 0) {
      return field;
    }
    return '"' + field.replace("\"", "\"\"") + '"';
  }
}
