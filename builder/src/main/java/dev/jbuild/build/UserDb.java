package dev.jbuild.build;

import dev.jbuild.layer.EntryType;
import dev.jbuild.layer.LayerEntry;
import dev.jbuild.layer.LayerStack;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Optional;

/**
 * Resolves a {@code user[:group]} the way BuildKit's file operations do ({@code readUser} in
 * {@code solver/llbsolver/file}): numbers are ids (a uid alone gives the same gid), {@code root}
 * is 0, names are looked up in the stage's own {@code /etc/passwd} and {@code /etc/group}
 * (read from its layers); a name alone takes the user's primary group, and a name that is not
 * found gives 0, as BuildKit's implementation does.
 */
final class UserDb {

  /** A resolved owner. */
  record Owner(long uid, long gid) {}

  private final LayerStack stack;

  UserDb(LayerStack stack) {
    this.stack = stack;
  }

  private static final String PASSWD = "etc/passwd";
  private static final String GROUP = "etc/group";

  /**
   * The files {@link #resolve} reads for {@code spec} (relative to the root): none when it
   * gives ids or is empty, so that a step reads only the part of the layers it needs.
   */
  static List<String> filesRead(String spec) {
    return spec.isEmpty() || !needsLookup(spec) ? List.of() : List.of(PASSWD, GROUP);
  }

  /** Whether {@code spec} needs the passwd or group file (it names a user or group). */
  static boolean needsLookup(String spec) {
    int colon = spec.indexOf(':');
    String user = colon < 0 ? spec : spec.substring(0, colon);
    String group = colon < 0 ? "" : spec.substring(colon + 1);
    return !isId(user) || (!group.isEmpty() && !isId(group));
  }

  /** The owner for {@code spec}; an empty spec is root. */
  Owner resolve(String spec) throws IOException {
    if (spec.isEmpty()) {
      return new Owner(0, 0);
    }
    int colon = spec.indexOf(':');
    String user = colon < 0 ? spec : spec.substring(0, colon);
    String group = colon < 0 ? null : spec.substring(colon + 1);
    long uid = 0;
    long gid = 0;
    if (isId(user)) {
      uid = id(user);
      gid = uid;
    } else {
      Optional<String[]> entry = find(PASSWD, user);
      if (entry.isPresent() && entry.get().length >= 4) {
        uid = parseOr(entry.get()[2]);
        gid = parseOr(entry.get()[3]);
      }
    }
    if (group != null && !group.isEmpty()) {
      if (isId(group)) {
        gid = id(group);
      } else {
        Optional<String[]> entry = find(GROUP, group);
        gid = entry.isPresent() && entry.get().length >= 3 ? parseOr(entry.get()[2]) : 0;
      }
    }
    return new Owner(uid, gid);
  }

  private static boolean isId(String s) {
    if (s.equals("root")) {
      return true;
    }
    if (s.isEmpty() || s.length() > 10) {
      return false;
    }
    for (int i = 0; i < s.length(); i++) {
      if (s.charAt(i) < '0' || s.charAt(i) > '9') {
        return false;
      }
    }
    return Long.parseLong(s) <= 0xFFFFFFFFL;
  }

  private static long id(String s) {
    return s.equals("root") ? 0 : Long.parseLong(s);
  }

  private static long parseOr(String s) {
    try {
      return Long.parseLong(s.trim());
    } catch (NumberFormatException e) {
      return 0;
    }
  }

  /** The first line of a colon-separated database whose first field is {@code name}. */
  private Optional<String[]> find(String file, String name) throws IOException {
    Optional<LayerEntry> e = stack.statFollow(file);
    if (e.isEmpty() || e.get().type() != EntryType.FILE) {
      return Optional.empty();
    }
    String text;
    try (InputStream in = stack.open(file)) {
      text = new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
    for (String line : text.split("\n")) {
      line = line.strip();
      if (line.isEmpty() || line.startsWith("#")) {
        continue;
      }
      String[] fields = line.split(":", -1);
      if (fields[0].equals(name)) {
        return Optional.of(fields);
      }
    }
    return Optional.empty();
  }
}
