package dev.jbuild.layer;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;

/**
 * Resolves layer paths inside a root directory the way {@code securejoin} and BuildKit's
 * {@code fs.RootPath} do: component by component with lstat, each symlink met on the way
 * re-read and resolved <em>inside</em> the root (absolute targets from the root, ".." stopping
 * at the root), so that no resolved path leaves the root. The last component is never
 * followed.
 */
final class RootPath {
  private static final int MAX_LINKS = 255;

  private final Path root;

  /** Called for each directory this resolution creates. */
  interface Created {
    void directory(Path dir) throws IOException;
  }

  RootPath(Path root) throws IOException {
    this.root = root.toRealPath();
  }

  Path root() {
    return root;
  }

  /**
   * The directory {@code dir} (a cleaned layer path, "" for the root) resolved inside the
   * root. Missing directories are created when {@code create} is non-null, otherwise null is
   * returned. Throws when a component is neither directory nor symlink.
   */
  Path directory(String dir, Created create) throws IOException {
    Deque<String> todo = new ArrayDeque<>();
    for (String c : dir.split("/")) {
      if (!c.isEmpty()) {
        todo.addLast(c);
      }
    }
    List<String> done = new ArrayList<>();
    int links = 0;
    while (!todo.isEmpty()) {
      String c = todo.removeFirst();
      if (c.equals(".")) {
        continue;
      }
      if (c.equals("..")) {
        if (!done.isEmpty()) {
          done.remove(done.size() - 1);
        }
        continue;
      }
      Path p = at(done).resolve(c);
      BasicFileAttributes a = lstat(p);
      if (a == null) {
        if (create == null) {
          return null;
        }
        Files.createDirectory(p);
        create.directory(p);
        done.add(c);
      } else if (a.isSymbolicLink()) {
        if (++links > MAX_LINKS) {
          throw new IOException("too many levels of symbolic links resolving \"" + dir + "\" in " + root);
        }
        String target = Files.readSymbolicLink(p).toString();
        if (target.startsWith("/")) {
          done.clear();
        }
        String[] parts = target.split("/");
        for (int i = parts.length - 1; i >= 0; i--) {
          if (!parts[i].isEmpty()) {
            todo.addFirst(parts[i]);
          }
        }
      } else if (a.isDirectory()) {
        done.add(c);
      } else {
        throw new IOException("\"" + String.join("/", done) + (done.isEmpty() ? "" : "/") + c
            + "\" in " + root + " is not a directory, but the layer puts files inside it");
      }
    }
    return at(done);
  }

  /** The path of {@code rel} with its parents resolved inside the root, the last name as is. */
  Path entry(String rel, Created create) throws IOException {
    Path parent = directory(LayerPaths.parent(rel), create);
    return parent == null ? null : parent.resolve(LayerPaths.name(rel));
  }

  /** The layer path of a resolved path (for "created in this layer" bookkeeping). */
  String relative(Path resolved) {
    return root.relativize(resolved).toString();
  }

  private Path at(List<String> parts) {
    Path p = root;
    for (String s : parts) {
      p = p.resolve(s);
    }
    return p;
  }

  static BasicFileAttributes lstat(Path p) throws IOException {
    try {
      return Files.readAttributes(p, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
    } catch (java.nio.file.NoSuchFileException e) {
      return null;
    }
  }
}
