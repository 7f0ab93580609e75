package dev.jbuild.layer;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** Test shorthands over the writer and reader. */
final class Layers {
  private Layers() {}

  static final LayerWriter PLAIN = new LayerWriter(LayerWriter.Options.of(Compression.NONE));

  static byte[] tar(List<LayerEntry> entries) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    PLAIN.write(entries, out);
    return out.toByteArray();
  }

  static byte[] tar(Path dir) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    PLAIN.writeDirectory(dir, out);
    return out.toByteArray();
  }

  /** Every entry of a blob, contents read into memory as "content" xattr-free records. */
  static List<LayerEntry> read(byte[] blob) throws IOException {
    List<LayerEntry> out = new ArrayList<>();
    try (LayerReader r = LayerReader.open(new ByteArrayInputStream(blob))) {
      for (LayerEntry e = r.next(); e != null; e = r.next()) {
        byte[] content = e.content().open().readAllBytes();
        out.add(new LayerEntry(e.path(), e.type(), e.mode(), e.uid(), e.gid(), e.mtime(), e.size(),
            e.linkTarget(), e.xattrs(), e.devMajor(), e.devMinor(), Content.ofBytes(content)));
      }
    }
    return out;
  }

  static byte[] contentOf(LayerEntry e) {
    try {
      return e.content().open().readAllBytes();
    } catch (IOException x) {
      throw new UncheckedIOException(x);
    }
  }

  static Path writeBlob(Path dir, String name, byte[] blob) throws IOException {
    Path p = dir.resolve(name);
    Files.write(p, blob);
    return p;
  }

  static long uid(Path p) throws IOException {
    return ((Number) Files.getAttribute(p, "unix:uid")).longValue() & 0xffffffffL;
  }

  static long gid(Path p) throws IOException {
    return ((Number) Files.getAttribute(p, "unix:gid")).longValue() & 0xffffffffL;
  }

  static boolean root() {
    return Posix.isRoot();
  }
}
