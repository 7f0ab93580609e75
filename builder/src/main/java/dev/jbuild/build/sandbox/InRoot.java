package dev.jbuild.build.sandbox;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;

/**
 * Resolves a path of the step's filesystem to a host path inside the root directory, the way
 * runc's {@code securejoin} does for mount targets: component by component, each symlink
 * resolved inside the root (absolute targets from the root, {@code ..} stopping at it), so
 * that a hostile image cannot make the worker touch a host file.
 */
final class InRoot {
  private static final int MAX_LINKS = 255;

  private InRoot() {}

  /**
   * The host path of {@code path} (absolute, in the step's filesystem). Missing components are
   * resolved as plain names (the result may not exist). With {@code followLast} false, a
   * symlink as the last component is not followed.
   */
  static Path resolve(Path root, String path, boolean followLast) throws IOException {
    Deque<String> todo = new ArrayDeque<>(split(path));
    List<String> done = new ArrayList<>();
    int links = 0;
    while (!todo.isEmpty()) {
      String c = todo.pollFirst();
      if (c.equals("..")) {
        if (!done.isEmpty()) {
          done.remove(done.size() - 1);
        }
        continue;
      }
      Path candidate = join(root, done).resolve(c);
      if ((followLast || !todo.isEmpty())
          && Files.isSymbolicLink(candidate)) {
        if (++links > MAX_LINKS) {
          throw new IOException("too many levels of symbolic links in " + path);
        }
        String target = Files.readSymbolicLink(candidate).toString();
        if (target.startsWith("/")) {
          done.clear();
        }
        List<String> parts = split(target);
        for (int i = parts.size() - 1; i >= 0; i--) {
          todo.addFirst(parts.get(i));
        }
        continue;
      }
      done.add(c);
    }
    return join(root, done);
  }

  /**
   * Makes sure {@code path} exists in the root as a directory or an (empty) file to mount on,
   * creating missing parents (0755) and the path itself; every path it creates is added to
   * {@code created} (parents first), so the caller can remove them again.
   */
  static Path mountPoint(Path root, String path, boolean directory, List<Path> created)
      throws IOException {
    Path target = resolve(root, path, true);
    if (Files.exists(target, LinkOption.NOFOLLOW_LINKS)) {
      return target;
    }
    Path parentPath = target.getParent();
    List<Path> missing = new ArrayList<>();
    for (Path p = parentPath; p != null && !p.equals(root) && !Files.exists(p, LinkOption.NOFOLLOW_LINKS); p = p.getParent()) {
      missing.add(0, p);
    }
    for (Path p : missing) {
      Files.createDirectory(p);
      Files.setPosixFilePermissions(p, java.nio.file.attribute.PosixFilePermissions.fromString("rwxr-xr-x"));
      created.add(p);
    }
    if (directory) {
      Files.createDirectory(target);
      Files.setPosixFilePermissions(target, java.nio.file.attribute.PosixFilePermissions.fromString("rwxr-xr-x"));
    } else {
      Files.createFile(target);
    }
    created.add(target);
    return target;
  }

  private static Path join(Path root, List<String> parts) {
    Path p = root;
    for (String s : parts) {
      p = p.resolve(s);
    }
    return p;
  }

  private static List<String> split(String path) {
    List<String> out = new ArrayList<>();
    for (String s : path.split("/")) {
      if (!s.isEmpty() && !s.equals(".")) {
        out.add(s);
      }
    }
    return out;
  }
}
