package dev.jbuild.layer;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Walks a directory (an overlayfs upper dir, normally) depth-first in layer order and turns
 * each file into a {@link LayerEntry}: lstat through {@link Posix#lstat}, xattrs through
 * {@link Posix}, hard links by (dev, inode), whiteouts and opaque markers converted.
 */
final class DirectoryWalk {
  private final Path root;
  private final boolean overlayUpper;
  private final Map<List<Object>, String> inodes = new HashMap<>();

  DirectoryWalk(Path root, boolean overlayUpper) {
    this.root = root;
    this.overlayUpper = overlayUpper;
  }

  void walk(LayerWriter.Sink sink) throws IOException {
    walkChildren(root, "", overlayUpper && isOpaque(root, Posix.lxattrNames(root)), sink);
  }

  private void walkChildren(Path dir, String rel, boolean dirIsOpaque, LayerWriter.Sink sink)
      throws IOException {
    // lstat every child first: a whiteout device sorts by its ".wh." name, not its own.
    List<Child> children = new ArrayList<>();
    try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir)) {
      for (Path p : ds) {
        String name = p.getFileName().toString();
        if (overlayUpper && name.startsWith(Whiteouts.PREFIX)) {
          throw new IOException("\"" + LayerPaths.join(rel, name) + "\" in " + root + " starts with "
              + Whiteouts.PREFIX + ", which a layer cannot hold (it would read as a whiteout)");
        }
        FileStat a = Posix.lstat(p);
        int fmt = a.mode() & Posix.S_IFMT;
        boolean whiteout = overlayUpper && fmt == Posix.S_IFCHR && a.rdev() == 0;
        children.add(new Child(p, whiteout ? Whiteouts.PREFIX + name : name, whiteout, a));
      }
    }
    children.sort((x, y) -> LayerPaths.compareName(x.layerName, y.layerName));
    if (dirIsOpaque) {
      // The marker carries fixed metadata and the directory's mtime, so that applying the layer
      // as an overlay lower dir and writing that dir again gives the same bytes.
      sink.add(LayerEntry.file(LayerPaths.join(rel, Whiteouts.OPAQUE), 0, 0, Content.EMPTY)
          .withMtime(Files.getLastModifiedTime(dir, LinkOption.NOFOLLOW_LINKS).toInstant()));
    }
    for (Child child : children) {
      Path p = child.path;
      String path = LayerPaths.join(rel, child.layerName);
      FileStat a = child.attrs;
      int mode = a.mode();
      int fmt = mode & Posix.S_IFMT;
      long uid = a.uid();
      long gid = a.gid();
      Instant mtime = a.mtime();
      long rdev = a.rdev();
      if (child.whiteout) {
        if (!dirIsOpaque) { // inside an opaque dir nothing below shows: the whiteout is redundant
          sink.add(new LayerEntry(path, EntryType.FILE, mode & 07777, uid, gid, mtime, 0, "",
              Map.of(), 0, 0, null));
        }
        continue;
      }
      if (fmt == Posix.S_IFSOCK) {
        continue; // sockets cannot be archived (tar and Docker skip them too)
      }
      // one listing per file: most of an upper dir's files carry only the kernel's
      // user.overlay.origin (every copy-up), whose value is never read
      List<String> names = Posix.lxattrNames(p);
      Map<String, byte[]> xattrs = xattrs(p, path, names);
      int perm = mode & 07777;
      switch (fmt) {
        case Posix.S_IFDIR: {
          boolean opaque = overlayUpper && isOpaque(p, names);
          sink.add(new LayerEntry(path, EntryType.DIRECTORY, perm, uid, gid, mtime, 0, "", xattrs,
              0, 0, null));
          walkChildren(p, path, opaque, sink);
          break;
        }
        case Posix.S_IFREG: {
          if (a.nlink() > 1) {
            List<Object> key = List.of(a.dev(), a.ino());
            String first = inodes.putIfAbsent(key, path);
            if (first != null) {
              sink.add(new LayerEntry(path, EntryType.HARDLINK, perm, uid, gid, mtime, 0, first,
                  xattrs, 0, 0, null));
              break;
            }
          }
          long size = a.size();
          sink.add(new LayerEntry(path, EntryType.FILE, perm, uid, gid, mtime, size, "", xattrs,
              0, 0, Content.ofFile(p)));
          break;
        }
        case Posix.S_IFLNK:
          sink.add(new LayerEntry(path, EntryType.SYMLINK, perm, uid, gid, mtime, 0,
              Files.readSymbolicLink(p).toString(), xattrs, 0, 0, null));
          break;
        case Posix.S_IFCHR:
        case Posix.S_IFBLK:
          sink.add(new LayerEntry(path, fmt == Posix.S_IFCHR ? EntryType.CHAR_DEVICE
              : EntryType.BLOCK_DEVICE, perm, uid, gid, mtime, 0, "", xattrs, Posix.major(rdev),
              Posix.minor(rdev), null));
          break;
        case Posix.S_IFIFO:
          sink.add(new LayerEntry(path, EntryType.FIFO, perm, uid, gid, mtime, 0, "", xattrs, 0, 0,
              null));
          break;
        default:
          break; // unknown kinds: nothing a layer can carry
      }
    }
  }

  /** A directory entry, lstat'ed, with the name it has in the layer. */
  private static final class Child {
    final Path path;
    final String layerName;
    final boolean whiteout;
    final FileStat attrs;

    Child(Path path, String layerName, boolean whiteout, FileStat attrs) {
      this.path = path;
      this.layerName = layerName;
      this.whiteout = whiteout;
      this.attrs = attrs;
    }
  }

  /** Whether {@code dir}, whose xattrs are {@code names}, is an opaque overlay directory. */
  private static boolean isOpaque(Path dir, List<String> names) throws IOException {
    for (String name : List.of(Whiteouts.USER_OVERLAY_OPAQUE, Whiteouts.TRUSTED_OVERLAY_OPAQUE)) {
      if (!names.contains(name)) {
        continue; // unlisted: not there, or trusted.* that this process may not see
      }
      byte[] v;
      try {
        v = Posix.lgetxattr(dir, name);
      } catch (Posix.PosixException e) {
        if (e.notPermitted()) {
          continue; // trusted.* is invisible without CAP_SYS_ADMIN; such a mount uses user.*
        }
        throw e;
      }
      if (v != null && v.length == 1 && v[0] == 'y') {
        return true;
      }
    }
    return false;
  }

  /** The xattrs of {@code p} that the layer carries, of those named {@code names}. */
  private Map<String, byte[]> xattrs(Path p, String path, List<String> names) throws IOException {
    if (names.isEmpty()) {
      return Map.of();
    }
    Map<String, byte[]> kept = new LinkedHashMap<>();
    for (String name : names) {
      if (overlayUpper && Whiteouts.isOverlayXattr(name)) {
        if (name.endsWith(".overlay.metacopy") || name.endsWith(".overlay.redirect")) {
          throw new IOException("\"" + path + "\" in " + root + " carries " + name
              + ": the overlay was mounted with metacopy or redirect_dir, whose upper dir is not a"
              + " complete diff; mount with metacopy=off,redirect_dir=off");
        }
        continue;
      }
      byte[] value = Posix.lgetxattr(p, name);
      if (value != null) { // removed since the listing: as if never there
        kept.put(name, value);
      }
    }
    return kept.isEmpty() ? Map.of() : kept;
  }
}
