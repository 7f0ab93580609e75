package dev.jbuild.layer;

import java.time.Instant;
import java.util.Arrays;
import java.util.Collections;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * One entry of a layer: what COPY and ADD produce, and what the reader yields.
 *
 * @param path relative, '/'-separated, no leading slash or "./", no trailing slash, no "." or
 *     ".." components; whiteouts are ordinary file entries named {@code .wh.<name>}
 * @param type the kind of entry
 * @param mode permission bits including setuid, setgid and sticky (07777)
 * @param uid numeric owner
 * @param gid numeric group
 * @param mtime modification time (written in whole seconds)
 * @param size content length of a FILE, 0 for everything else
 * @param linkTarget symlink target as written, or the path of a hard link's target; "" otherwise
 * @param xattrs extended attributes by name, values as raw bytes (sorted by name)
 * @param devMajor device major number (devices only)
 * @param devMinor device minor number (devices only)
 * @param content the bytes of a FILE
 */
public record LayerEntry(
    String path,
    EntryType type,
    int mode,
    long uid,
    long gid,
    Instant mtime,
    long size,
    String linkTarget,
    Map<String, byte[]> xattrs,
    long devMajor,
    long devMinor,
    Content content) {

  public LayerEntry {
    Objects.requireNonNull(path, "path");
    Objects.requireNonNull(type, "type");
    Objects.requireNonNull(mtime, "mtime");
    linkTarget = linkTarget == null ? "" : linkTarget;
    content = content == null ? Content.EMPTY : content;
    String problem = LayerPaths.problem(path);
    if (problem != null) {
      throw new IllegalArgumentException("layer entry path \"" + path + "\": " + problem);
    }
    if ((mode & ~07777) != 0) {
      throw new IllegalArgumentException("layer entry " + path + ": mode " + Integer.toOctalString(mode)
          + " has bits beyond 07777");
    }
    if (uid < 0 || gid < 0) {
      throw new IllegalArgumentException("layer entry " + path + ": negative uid or gid");
    }
    if (size < 0 || (size != 0 && type != EntryType.FILE)) {
      throw new IllegalArgumentException("layer entry " + path + ": size " + size + " for a " + type);
    }
    if ((type == EntryType.SYMLINK || type == EntryType.HARDLINK) && linkTarget.isEmpty()) {
      throw new IllegalArgumentException("layer entry " + path + ": a " + type + " needs a target");
    }
    if (type == EntryType.HARDLINK) {
      String linkProblem = LayerPaths.problem(linkTarget);
      if (linkProblem != null) {
        throw new IllegalArgumentException(
            "layer entry " + path + ": hard link target \"" + linkTarget + "\": " + linkProblem);
      }
    }
    if (linkTarget.indexOf('\0') >= 0) {
      throw new IllegalArgumentException("layer entry " + path + ": NUL in link target");
    }
    TreeMap<String, byte[]> copy = new TreeMap<>();
    if (xattrs != null) {
      xattrs.forEach((k, v) -> {
        if (k.isEmpty() || k.indexOf('\0') >= 0 || k.indexOf('=') >= 0) {
          throw new IllegalArgumentException("layer entry " + path + ": bad xattr name \"" + k + "\"");
        }
        copy.put(k, v.clone());
      });
    }
    xattrs = Collections.unmodifiableMap(copy);
  }

  /** A regular file. */
  public static LayerEntry file(String path, int mode, long size, Content content) {
    return new LayerEntry(path, EntryType.FILE, mode, 0, 0, Instant.EPOCH, size, "", Map.of(),
        0, 0, content);
  }

  /** A regular file with bytes held in memory. */
  public static LayerEntry file(String path, int mode, byte[] bytes) {
    return file(path, mode, bytes.length, Content.ofBytes(bytes));
  }

  public static LayerEntry directory(String path, int mode) {
    return new LayerEntry(path, EntryType.DIRECTORY, mode, 0, 0, Instant.EPOCH, 0, "", Map.of(),
        0, 0, null);
  }

  public static LayerEntry symlink(String path, String target) {
    return new LayerEntry(path, EntryType.SYMLINK, 0777, 0, 0, Instant.EPOCH, 0, target, Map.of(),
        0, 0, null);
  }

  /** A hard link to {@code target}, another path of the same layer. */
  public static LayerEntry hardlink(String path, String target) {
    return new LayerEntry(path, EntryType.HARDLINK, 0644, 0, 0, Instant.EPOCH, 0, target, Map.of(),
        0, 0, null);
  }

  public static LayerEntry device(String path, EntryType type, int mode, long major, long minor) {
    if (!type.isDevice()) {
      throw new IllegalArgumentException(type + " is not a device type");
    }
    return new LayerEntry(path, type, mode, 0, 0, Instant.EPOCH, 0, "", Map.of(), major, minor, null);
  }

  public static LayerEntry fifo(String path, int mode) {
    return new LayerEntry(path, EntryType.FIFO, mode, 0, 0, Instant.EPOCH, 0, "", Map.of(), 0, 0, null);
  }

  /** The OCI whiteout hiding {@code path} of the layers below. */
  public static LayerEntry whiteout(String path) {
    return file(LayerPaths.whiteoutOf(path), 0, 0, Content.EMPTY);
  }

  /** The OCI opaque marker: {@code dir} shows nothing of the layers below. */
  public static LayerEntry opaque(String dir) {
    return file(LayerPaths.join(dir, Whiteouts.OPAQUE), 0, 0, Content.EMPTY);
  }

  public LayerEntry withOwner(long newUid, long newGid) {
    return new LayerEntry(path, type, mode, newUid, newGid, mtime, size, linkTarget, xattrs,
        devMajor, devMinor, content);
  }

  public LayerEntry withMtime(Instant newMtime) {
    return new LayerEntry(path, type, mode, uid, gid, newMtime, size, linkTarget, xattrs,
        devMajor, devMinor, content);
  }

  public LayerEntry withMode(int newMode) {
    return new LayerEntry(path, type, newMode, uid, gid, mtime, size, linkTarget, xattrs,
        devMajor, devMinor, content);
  }

  public LayerEntry withXattrs(Map<String, byte[]> newXattrs) {
    return new LayerEntry(path, type, mode, uid, gid, mtime, size, linkTarget, newXattrs,
        devMajor, devMinor, content);
  }

  public LayerEntry withPath(String newPath) {
    return new LayerEntry(newPath, type, mode, uid, gid, mtime, size, linkTarget, xattrs,
        devMajor, devMinor, content);
  }

  /** The whiteout meaning of this entry's name. */
  public Whiteouts.Kind whiteoutKind() {
    return Whiteouts.kindOf(path);
  }

  // Records compare arrays by identity; entries compare xattr values by content.
  @Override
  public boolean equals(Object o) {
    if (!(o instanceof LayerEntry)) {
      return false;
    }
    LayerEntry e = (LayerEntry) o;
    return path.equals(e.path) && type == e.type && mode == e.mode && uid == e.uid && gid == e.gid
        && mtime.equals(e.mtime) && size == e.size && linkTarget.equals(e.linkTarget)
        && devMajor == e.devMajor && devMinor == e.devMinor && xattrsEqual(xattrs, e.xattrs);
  }

  private static boolean xattrsEqual(Map<String, byte[]> a, Map<String, byte[]> b) {
    if (!a.keySet().equals(b.keySet())) {
      return false;
    }
    for (Map.Entry<String, byte[]> x : a.entrySet()) {
      if (!Arrays.equals(x.getValue(), b.get(x.getKey()))) {
        return false;
      }
    }
    return true;
  }

  @Override
  public int hashCode() {
    return Objects.hash(path, type, mode, uid, gid, mtime, size, linkTarget);
  }

  @Override
  public String toString() {
    return type + " " + path + " " + Integer.toOctalString(mode) + " " + uid + ":" + gid
        + (linkTarget.isEmpty() ? "" : " -> " + linkTarget) + (type == EntryType.FILE ? " " + size : "")
        + (xattrs.isEmpty() ? "" : " xattrs=" + xattrs.keySet());
  }
}
