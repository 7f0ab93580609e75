package dev.jbuild.build.context;

import dev.jbuild.layer.FileStat;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;

/**
 * What one {@code lstat} told about a context file: the entry's metadata and the identity the
 * stat cache compares. It keeps its path both ways, as the directory read made them, so that a
 * walk of tens of thousands of entries builds no path again: the same {@code path} string is
 * the key of every map it is looked up in (an identity hit, its hash already cached).
 *
 * @param name the last element of {@code path}
 * @param path the real path relative to the context root, {@code ""} for the root
 * @param file where it is on disk
 */
record Node(
    String name,
    String path,
    Path file,
    EntryType type,
    int mode,
    long size,
    Instant mtime,
    long mtimeNanos,
    long ctimeNanos,
    long ino,
    long dev,
    int nlink,
    String linkTarget) {

  private static final int S_IFMT = 0170000;
  private static final int S_IFDIR = 0040000;
  private static final int S_IFREG = 0100000;
  private static final int S_IFLNK = 0120000;

  /**
   * Stats {@code file} without following a final symbolic link; null for sockets and such.
   * Through statx where it works ({@link FileStat#lstat}), the same values as the JDK's
   * {@code readAttributes("unix:…")} at a fraction of its cost per file: the stat of 30,000
   * files was the largest part of a cached rebuild of a big context.
   *
   * @param path {@code file} relative to the context root
   * @param name the last element of {@code path}
   */
  static Node stat(Path file, String path, String name) throws IOException {
    FileStat a = FileStat.lstat(file);
    int mode = a.mode();
    EntryType type;
    switch (mode & S_IFMT) {
      case S_IFDIR:
        type = EntryType.DIRECTORY;
        break;
      case S_IFREG:
        type = EntryType.FILE;
        break;
      case S_IFLNK:
        type = EntryType.SYMLINK;
        break;
      default:
        return null;
    }
    String target = type == EntryType.SYMLINK ? Files.readSymbolicLink(file).toString() : null;
    return new Node(
        name,
        path,
        file,
        type,
        mode,
        type == EntryType.FILE ? a.size() : 0L,
        a.mtime(),
        a.mtimeNanos(),
        a.ctimeNanos(),
        a.ino(),
        a.dev(),
        a.nlink(),
        target);
  }

  /** The permission bits, set-id and sticky bits included. */
  int permissions() {
    return mode & 07777;
  }
}
