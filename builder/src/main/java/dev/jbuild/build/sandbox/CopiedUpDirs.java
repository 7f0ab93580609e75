package dev.jbuild.build.sandbox;

import dev.jbuild.layer.FileStat;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * Removes from an overlay upper dir the directories that are there only because overlayfs
 * copied them up and that hold no change: empty, not opaque, and with the same mode, owner,
 * mtime and xattrs as the directory they cover. Creating a mount point (a stub for {@code
 * /etc/hosts}) and removing it again, or a {@code chmod} to the same mode, leaves such a
 * directory behind; a layer has no use for it (BuildKit's overlay differ skips unchanged
 * directories too). Directories with content stay: they are the parents of changes.
 */
final class CopiedUpDirs {
  private final Path upper;
  private final List<Path> lowersTopFirst;

  CopiedUpDirs(Path upper, List<Path> lowersTopFirst) {
    this.upper = upper;
    this.lowersTopFirst = List.copyOf(lowersTopFirst);
  }

  void prune() throws IOException {
    pruneChildren(upper, "", FileStat.lstat(upper).nlink());
  }

  /**
   * Prunes below {@code dir}, whose link count is {@code nlink}; true when {@code dir} is empty
   * afterwards.
   *
   * <p>A directory's link count is 2 plus its subdirectories where the filesystem counts them
   * (ext4, xfs; 1 where it does not, as btrfs): a directory of 2 has no subdirectory to prune,
   * and is empty exactly when it has no entry at all. That spares the stat of every file of a
   * step that wrote 20,000 of them into 200 new directories (90 ms of the step's critical path
   * before its successor could start).
   */
  private boolean pruneChildren(Path dir, String rel, int nlink) throws IOException {
    if (nlink == 2) {
      try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir)) {
        return !ds.iterator().hasNext();
      }
    }
    boolean empty = true;
    List<Path> children = new ArrayList<>();
    try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir)) {
      ds.forEach(children::add);
    }
    for (Path child : children) {
      FileStat st = FileStat.lstat(child);
      if ((st.mode() & 0170000) == 0040000) {
        String childRel = rel.isEmpty() ? child.getFileName().toString()
            : rel + "/" + child.getFileName();
        if (pruneChildren(child, childRel, st.nlink()) && unchanged(child, childRel)) {
          Files.delete(child);
          continue;
        }
      }
      empty = false;
    }
    return empty;
  }

  /** Whether an (empty) upper directory equals the directory it covers in the lower dirs. */
  private boolean unchanged(Path dir, String rel) throws IOException {
    Map<String, byte[]> xattrs = Kernel.xattrs(dir);
    if (xattrs.containsKey("user.overlay.opaque") || xattrs.containsKey("trusted.overlay.opaque")) {
      return false;
    }
    Path lower = lowerDir(rel);
    if (lower == null) {
      return false;
    }
    FileStat a = FileStat.lstat(dir);
    FileStat b = FileStat.lstat(lower);
    if (a.mode() != b.mode() || a.uid() != b.uid() || a.gid() != b.gid()
        || a.mtimeNanos() != b.mtimeNanos()) {
      return false;
    }
    return sameXattrs(withoutOverlay(xattrs), withoutOverlay(Kernel.xattrs(lower)));
  }

  /**
   * The directory {@code rel} of the merged lower layers: the topmost lower dir that has it,
   * unless a whiteout, a non-directory or an opaque directory on the way hides it; null when
   * no directory shows there.
   */
  private Path lowerDir(String rel) throws IOException {
    String[] parts = rel.split("/");
    for (Path lower : lowersTopFirst) {
      Path p = lower;
      for (int i = 0; i < parts.length; i++) {
        p = p.resolve(parts[i]);
        int fmt;
        try {
          fmt = FileStat.lstat(p).mode() & 0170000;
        } catch (NoSuchFileException e) {
          break; // not in this layer: look below
        }
        if (fmt != 0040000) {
          return null; // a whiteout or a file hides everything below it
        }
        if (i == parts.length - 1) {
          return p;
        }
        if (Kernel.xattrs(p).containsKey("user.overlay.opaque")) {
          // an opaque directory on the way: nothing below this layer shows
          Path rest = p;
          for (int j = i + 1; j < parts.length; j++) {
            rest = rest.resolve(parts[j]);
          }
          return Files.isDirectory(rest, LinkOption.NOFOLLOW_LINKS) ? rest : null;
        }
      }
    }
    return null;
  }

  private static Map<String, byte[]> withoutOverlay(Map<String, byte[]> x) {
    Map<String, byte[]> out = new java.util.TreeMap<>(x);
    out.keySet().removeIf(k -> k.startsWith("user.overlay.") || k.startsWith("trusted.overlay."));
    return out;
  }

  private static boolean sameXattrs(Map<String, byte[]> a, Map<String, byte[]> b) {
    if (!a.keySet().equals(b.keySet())) {
      return false;
    }
    for (Map.Entry<String, byte[]> e : a.entrySet()) {
      if (!Arrays.equals(e.getValue(), b.get(e.getKey()))) {
        return false;
      }
    }
    return true;
  }
}
