package dev.jbuild.build.context;

import java.nio.file.Path;
import java.time.Instant;
import java.util.Objects;

/**
 * One file of a COPY/ADD source selection, as a walk of the build context yields it.
 * Ownership is not read from disk: build-context files are always owned by 0:0 (BuildKit's
 * client resets them), see {@link #uid()}.
 *
 * @param path the path relative to the copied source root, slash-separated; {@code ""} for
 *     the source itself (the directory whose contents are copied, or the single file)
 * @param contextPath the real path relative to the context root (symbolic links on the way to
 *     the source resolved), {@code ""} for the root
 * @param type file, directory or symbolic link
 * @param mode permission bits including set-user-ID, set-group-ID and sticky ({@code 07777})
 * @param size the byte size of a file, 0 for others
 * @param mtime the modification time, to nanoseconds where the file system keeps them
 * @param linkTarget the target of a symbolic link as stored, else null
 * @param file where to read the content on disk
 * @param hardlinkKey equal for entries that are hard links to one file (files with more than
 *     one link only), else null
 */
public record ContextEntry(
    String path,
    String contextPath,
    EntryType type,
    int mode,
    long size,
    Instant mtime,
    String linkTarget,
    Path file,
    String hardlinkKey) {

  public ContextEntry {
    Objects.requireNonNull(path, "path");
    Objects.requireNonNull(contextPath, "contextPath");
    Objects.requireNonNull(type, "type");
    Objects.requireNonNull(mtime, "mtime");
    Objects.requireNonNull(file, "file");
    if (type == EntryType.SYMLINK) {
      Objects.requireNonNull(linkTarget, "linkTarget");
    }
  }

  /** Always 0: context files arrive owned by root. */
  public int uid() {
    return 0;
  }

  /** Always 0: context files arrive owned by root. */
  public int gid() {
    return 0;
  }

  /** Whether this is a directory. */
  public boolean isDirectory() {
    return type == EntryType.DIRECTORY;
  }
}
