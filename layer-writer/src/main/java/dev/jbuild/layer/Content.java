package dev.jbuild.layer;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.Objects;

/**
 * Where a file entry's bytes come from. Opened once, when the writer reaches the entry, so a
 * layer of any size is written without holding file contents in memory.
 */
@FunctionalInterface
public interface Content {

  /** Opens a fresh stream over the bytes; the writer closes it. */
  InputStream open() throws IOException;

  /** No bytes: directories, links, devices, empty files. */
  Content EMPTY = () -> InputStream.nullInputStream();

  /** The bytes of a file on disk (a symlink is not followed). */
  static Content ofFile(Path file) {
    Objects.requireNonNull(file, "file");
    return () -> Files.newInputStream(file, LinkOption.NOFOLLOW_LINKS);
  }

  /** Bytes held in memory (small generated files: heredocs, configs). */
  static Content ofBytes(byte[] bytes) {
    byte[] copy = bytes.clone();
    return () -> new ByteArrayInputStream(copy);
  }
}
