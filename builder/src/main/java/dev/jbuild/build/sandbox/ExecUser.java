package dev.jbuild.build.sandbox;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The user a step runs as: the USER value resolved against the root filesystem's {@code
 * /etc/passwd} and {@code /etc/group} the way runc (and so BuildKit) does it. Names must
 * exist; a numeric id without an entry is used as it is (group 0, home {@code /}).
 *
 * <p>Supplementary groups as runc's {@code GetExecUser}: without an explicit group, every
 * {@code /etc/group} entry that lists the user's passwd name as a member (the primary group
 * only when it lists it too); with {@code user:group}, or for a uid without a passwd entry, none.
 *
 * @param uid user id
 * @param gid primary group id
 * @param home the home directory (HOME when the environment has none)
 * @param groups the supplementary group ids, in /etc/group order
 */
record ExecUser(long uid, long gid, String home, List<Long> groups) {

  ExecUser {
    groups = List.copyOf(groups);
  }

  /** Resolves {@code spec} ({@code user}, {@code user:group}, names or ids) in {@code root}. */
  static ExecUser resolve(String spec, Path root) throws IOException {
    String userPart = spec.isEmpty() ? "0" : spec;
    String groupPart = null;
    int colon = userPart.indexOf(':');
    if (colon >= 0) {
      groupPart = userPart.substring(colon + 1);
      userPart = userPart.substring(0, colon);
    }
    List<String[]> passwd = read(root, "etc/passwd");
    long uid;
    long gid = 0;
    String home = "/";
    String[] entry = null;
    if (isId(userPart)) {
      uid = Long.parseLong(userPart);
      for (String[] f : passwd) {
        if (f.length >= 4 && isId(f[2]) && Long.parseLong(f[2]) == uid) {
          entry = f;
          break;
        }
      }
    } else {
      for (String[] f : passwd) {
        if (f.length >= 4 && f[0].equals(userPart)) {
          entry = f;
          break;
        }
      }
      if (entry == null || !isId(entry[2])) {
        throw new IOException(
            "unable to find user " + userPart + ": no matching entries in passwd file");
      }
      uid = Long.parseLong(entry[2]);
    }
    if (entry != null) {
      if (isId(entry[3])) {
        gid = Long.parseLong(entry[3]);
      }
      if (entry.length >= 6 && !entry[5].isEmpty()) {
        home = entry[5];
      }
    }
    List<Long> groups = new ArrayList<>();
    if ((groupPart == null || groupPart.isEmpty()) && entry != null) {
      for (String[] f : read(root, "etc/group")) {
        if (f.length >= 4 && isId(f[2]) && List.of(f[3].split(",")).contains(entry[0])) {
          long g = Long.parseLong(f[2]);
          if (!groups.contains(g)) {
            groups.add(g);
          }
        }
      }
    }
    if (groupPart != null && !groupPart.isEmpty()) {
      if (isId(groupPart)) {
        gid = Long.parseLong(groupPart);
      } else {
        Long found = null;
        for (String[] f : read(root, "etc/group")) {
          if (f.length >= 3 && f[0].equals(groupPart) && isId(f[2])) {
            found = Long.parseLong(f[2]);
            break;
          }
        }
        if (found == null) {
          throw new IOException(
              "unable to find group " + groupPart + ": no matching entries in group file");
        }
        gid = found;
      }
    }
    return new ExecUser(uid, gid, home, groups);
  }

  private static boolean isId(String s) {
    if (s.isEmpty() || s.length() > 10) {
      return false;
    }
    for (int i = 0; i < s.length(); i++) {
      if (s.charAt(i) < '0' || s.charAt(i) > '9') {
        return false;
      }
    }
    return Long.parseLong(s) <= 0xffffffffL;
  }

  /** The colon-separated lines of a file in the root (symlinks resolved inside it). */
  private static List<String[]> read(Path root, String rel) throws IOException {
    Path p = InRoot.resolve(root, "/" + rel, true);
    if (p == null || !Files.isRegularFile(p)) {
      return List.of();
    }
    try {
      return Files.readAllLines(p, StandardCharsets.ISO_8859_1).stream()
          .filter(l -> !l.isEmpty() && !l.startsWith("#"))
          .map(l -> l.split(":", -1))
          .toList();
    } catch (NoSuchFileException e) {
      return List.of();
    }
  }
}
