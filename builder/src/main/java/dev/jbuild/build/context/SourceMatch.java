package dev.jbuild.build.context;

import java.util.Objects;

/**
 * One path a COPY/ADD source selected in the build context.
 *
 * @param source the source as written in the Dockerfile
 * @param path the matched path relative to the context root, before a final symbolic link is
 *     followed; its last element names a copied file ({@code ""} is the root)
 * @param resolved the real path relative to the context root after following symbolic links
 *     inside the context
 * @param type {@link EntryType#FILE} or {@link EntryType#DIRECTORY} (of {@code resolved})
 */
public record SourceMatch(String source, String path, String resolved, EntryType type) {

  public SourceMatch {
    Objects.requireNonNull(source, "source");
    Objects.requireNonNull(path, "path");
    Objects.requireNonNull(resolved, "resolved");
    Objects.requireNonNull(type, "type");
    if (type == EntryType.SYMLINK) {
      throw new IllegalArgumentException("a source match is resolved past symbolic links");
    }
  }

  /** The name a copied file takes: the last element of {@link #path()}. */
  public String name() {
    return SlashPath.baseName(path);
  }

  /** Whether the source is a directory (whose contents are copied, not itself). */
  public boolean isDirectory() {
    return type == EntryType.DIRECTORY;
  }
}
