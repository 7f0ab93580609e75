package dev.jbuild.layer;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The headers of one layer tar (each entry as {@link LayerReader} returns it, without content,
 * and the offset of its data in the uncompressed tar), kept in a small file beside the store so
 * that a layer is decompressed for its file tree once, not on every build that asks. The file
 * is a pure function of the blob (same blob, same bytes), written to a temporary name and
 * renamed into place; one that cannot be read is ignored and written again.
 */
final class LayerHeaders {
  private static final String MAGIC = "jbuild-layer-headers-1";

  /** One entry of the layer and where its bytes start. */
  record Header(LayerEntry entry, long dataOffset, String skippedPath) {
    Header(LayerEntry entry, long dataOffset) {
      this(entry, dataOffset, null);
    }
  }

  private LayerHeaders() {}

  /** Reads the headers of {@code blob} from {@code index} when it is there, else from the blob. */
  static List<Header> of(Path blob, Path index) throws IOException {
    return of(blob, index, null);
  }

  /**
   * As {@link #of(Path, Path)}; entries whose path {@code keep} rejects come back as a header
   * with a null entry and the path alone in {@code skippedPath} (read from an index, they cost
   * no entry object).
   */
  static List<Header> of(Path blob, Path index, java.util.function.Predicate<String> keep)
      throws IOException {
    if (index != null) {
      try {
        return read(index, keep);
      } catch (java.nio.file.NoSuchFileException e) {
        // first use of this layer
      } catch (IOException | RuntimeException e) {
        // damaged or from another version: read the blob and write it again
      }
    }
    List<Header> all = readBlob(blob, index);
    if (keep == null) {
      return all;
    }
    List<Header> out = new ArrayList<>(all.size());
    for (Header h : all) {
      out.add(keep.test(h.entry().path()) ? h : new Header(null, 0, h.entry().path()));
    }
    return out;
  }

  private static List<Header> readBlob(Path blob, Path index) throws IOException {
    List<Header> out = new ArrayList<>();
    try (LayerReader r = LayerReader.open(blob)) {
      for (LayerEntry e = r.next(); e != null; e = r.next()) {
        out.add(new Header(new LayerEntry(e.path(), e.type(), e.mode(), e.uid(), e.gid(),
            e.mtime(), e.size(), e.linkTarget(), e.xattrs(), e.devMajor(), e.devMinor(), null),
            r.dataOffset()));
      }
    }
    if (index != null) {
      try {
        write(index, out);
      } catch (IOException e) {
        // a read-only store still works, reading the blob each time
      }
    }
    return out;
  }

  static List<Header> read(Path index) throws IOException {
    return read(index, null);
  }

  static List<Header> read(Path index, java.util.function.Predicate<String> keep)
      throws IOException {
    try (DataInputStream in =
        new DataInputStream(new BufferedInputStream(Files.newInputStream(index), 1 << 16))) {
      if (!MAGIC.equals(string(in))) {
        throw new IOException("not a layer header index: " + index);
      }
      int n = in.readInt();
      List<Header> out = new ArrayList<>(Math.min(n, 1 << 20));
      for (int i = 0; i < n; i++) {
        String path = string(in);
        if (keep != null && !keep.test(path)) {
          skip(in); // type
          in.skipNBytes(4 + 8 + 8 + 8 + 4 + 8);
          skip(in); // link
          int nx = in.readInt();
          for (int k = 0; k < nx; k++) {
            skip(in);
            in.skipNBytes(in.readInt());
          }
          in.skipNBytes(8 + 8 + 8);
          out.add(new Header(null, 0, path));
          continue;
        }
        EntryType type = EntryType.valueOf(string(in));
        int mode = in.readInt();
        long uid = in.readLong();
        long gid = in.readLong();
        Instant mtime = Instant.ofEpochSecond(in.readLong(), in.readInt());
        long size = in.readLong();
        String link = string(in);
        int nx = in.readInt();
        Map<String, byte[]> xattrs = nx == 0 ? Map.of() : new LinkedHashMap<>();
        for (int k = 0; k < nx; k++) {
          String key = string(in);
          byte[] value = new byte[in.readInt()];
          in.readFully(value);
          xattrs.put(key, value);
        }
        long major = in.readLong();
        long minor = in.readLong();
        long offset = in.readLong();
        out.add(new Header(
            new LayerEntry(path, type, mode, uid, gid, mtime, size, link, xattrs, major, minor,
                null),
            offset));
      }
      if (in.read() != -1) {
        throw new IOException("trailing bytes in " + index);
      }
      return out;
    }
  }

  private static void write(Path index, List<Header> headers) throws IOException {
    Files.createDirectories(index.getParent());
    Path tmp = index.resolveSibling(index.getFileName() + ".tmp-" + ProcessHandle.current().pid()
        + "-" + Thread.currentThread().getId());
    try {
      try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE,
              StandardOpenOption.TRUNCATE_EXISTING, StandardOpenOption.WRITE)) {
        OutputStream raw = Channels.newOutputStream(ch);
        DataOutputStream out = new DataOutputStream(new BufferedOutputStream(raw, 1 << 16));
        string(out, MAGIC);
        out.writeInt(headers.size());
        for (Header h : headers) {
          LayerEntry e = h.entry();
          string(out, e.path());
          string(out, e.type().name());
          out.writeInt(e.mode());
          out.writeLong(e.uid());
          out.writeLong(e.gid());
          out.writeLong(e.mtime().getEpochSecond());
          out.writeInt(e.mtime().getNano());
          out.writeLong(e.size());
          string(out, e.linkTarget() == null ? "" : e.linkTarget());
          out.writeInt(e.xattrs().size());
          for (Map.Entry<String, byte[]> x : e.xattrs().entrySet()) {
            string(out, x.getKey());
            out.writeInt(x.getValue().length);
            out.write(x.getValue());
          }
          out.writeLong(e.devMajor());
          out.writeLong(e.devMinor());
          out.writeLong(h.dataOffset());
        }
        out.flush();
        ch.force(true);
      }
      Files.move(tmp, index, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    } finally {
      Files.deleteIfExists(tmp);
    }
  }

  private static String string(DataInputStream in) throws IOException {
    int len = in.readInt();
    if (len < 0 || len > (1 << 24)) {
      throw new EOFException("bad string length " + len);
    }
    byte[] b = new byte[len];
    in.readFully(b);
    return new String(b, StandardCharsets.UTF_8);
  }

  private static void skip(DataInputStream in) throws IOException {
    int len = in.readInt();
    if (len < 0 || len > (1 << 24)) {
      throw new EOFException("bad string length " + len);
    }
    in.skipNBytes(len);
  }

  private static void string(DataOutputStream out, String s) throws IOException {
    byte[] b = s.getBytes(StandardCharsets.UTF_8);
    out.writeInt(b.length);
    out.write(b);
  }
}
