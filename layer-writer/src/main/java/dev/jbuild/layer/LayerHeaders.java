package dev.jbuild.layer;

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
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The headers of one layer tar (each entry as {@link LayerReader} returns it, without content,
 * and the offset of its data in the uncompressed tar), kept in a small file beside the store so
 * that a layer is decompressed for its file tree once, not on every build that asks. The file
 * is a pure function of the blob (same blob, same bytes), written to a temporary name and
 * renamed into place; one that cannot be read is ignored and written again. Whoever produces
 * or reads a whole blob anyway (the writer, a RUN step's worker, an extraction) records it with
 * a {@link Recorder}, so that no build decompresses a layer only to learn its headers.
 */
public final class LayerHeaders {
  private static final String MAGIC = "jbuild-layer-headers-1";

  /**
   * One entry of the layer and where its bytes start; or, from a read through a {@link
   * PathFilter}, an entry left out that lies in the wanted directory {@code touched} (entry
   * null).
   */
  record Header(LayerEntry entry, long dataOffset, String touched) {
    Header(LayerEntry entry, long dataOffset) {
      this(entry, dataOffset, null);
    }
  }

  /**
   * Chooses, from the UTF-8 bytes of an entry's path alone, what a partial read makes of the
   * entry: most entries of a large layer are passed over without an object made for them.
   */
  interface PathFilter {
    /** Build the entry. */
    String KEEP = "";

    /**
     * {@link #KEEP}, null to leave the entry out, or the path of the deepest wanted directory
     * the entry lies in (a {@link Header} with no entry that says so).
     */
    String select(byte[] path, int from, int to);
  }

  private LayerHeaders() {}

  /**
   * Collects the headers of one layer while it is written or read in full, for {@link
   * #writeIndex} once its blob is stored. One recorder per layer; not thread-safe.
   */
  public static final class Recorder {
    private final List<Header> headers = new ArrayList<>();
    private boolean broken;

    public Recorder() {}

    /**
     * An entry as the writer emitted it: its header blocks, starting at {@code offset} of the
     * tar, parsed by the reader's own code so that the index equals what reading the blob gives.
     */
    void written(byte[] header, long offset) {
      if (broken) {
        return;
      }
      try {
        TarInput.Record r = new TarInput(new java.io.ByteArrayInputStream(header)).next();
        LayerEntry e = r == null ? null : LayerReader.toEntry(r, null);
        if (e != null) {
          headers.add(new Header(e, offset + r.dataOffset));
        }
      } catch (IOException | RuntimeException e) {
        // the reader will reject the blob too; leave that to the lazy path's error
        broken = true;
        headers.clear();
      }
    }

    /** An entry as {@link LayerReader} returned it, with {@link LayerReader#dataOffset()}. */
    void read(LayerEntry e, long dataOffset) {
      headers.add(new Header(withoutContent(e), dataOffset));
    }

    /** The index file's bytes; null when an entry could not be recorded. */
    public byte[] toBytes() {
      if (broken) {
        return null;
      }
      java.io.ByteArrayOutputStream b = new java.io.ByteArrayOutputStream(64 + 96 * headers.size());
      try {
        encode(headers, b);
      } catch (IOException e) {
        throw new IllegalStateException(e); // in memory
      }
      return b.toByteArray();
    }

    /**
     * Writes the index of the recorded layer to {@code index} (temporary name, rename) unless
     * one is there; returns whether it wrote one.
     */
    public boolean writeIndex(Path index) throws IOException {
      if (broken || Files.exists(index)) {
        return false;
      }
      write(index, headers);
      return true;
    }
  }

  /**
   * Installs index bytes another process recorded ({@link Recorder#toBytes}: a RUN step's
   * worker) at {@code index}, unless one is there. Bytes that do not start as an index are
   * refused: the lazy path makes the index then.
   */
  public static boolean install(Path index, byte[] bytes) throws IOException {
    if (bytes == null || Files.exists(index)) {
      return false;
    }
    try (DataInputStream in = new DataInputStream(new java.io.ByteArrayInputStream(bytes))) {
      if (!MAGIC.equals(string(in))) {
        return false;
      }
    } catch (EOFException e) {
      return false;
    }
    writeFile(index, out -> out.write(bytes));
    return true;
  }

  private static LayerEntry withoutContent(LayerEntry e) {
    return new LayerEntry(e.path(), e.type(), e.mode(), e.uid(), e.gid(), e.mtime(), e.size(),
        e.linkTarget(), e.xattrs(), e.devMajor(), e.devMinor(), null);
  }

  /** Reads the headers of {@code blob} from {@code index} when it is there, else from the blob. */
  static List<Header> of(Path blob, Path index) throws IOException {
    return of(blob, index, null);
  }

  /**
   * As {@link #of(Path, Path)}, with only the entries {@code filter} keeps built (null: all).
   * A run of entries touching the same directory gives one header: marking it again changes
   * nothing.
   */
  static List<Header> of(Path blob, Path index, PathFilter filter) throws IOException {
    if (index != null) {
      try {
        return parse(Files.readAllBytes(index), filter);
      } catch (java.nio.file.NoSuchFileException e) {
        // first use of this layer
      } catch (IOException | RuntimeException e) {
        // damaged or from another version: read the blob and write it again
      }
    }
    List<Header> all = readBlob(blob, index);
    if (filter == null) {
      return all;
    }
    List<Header> out = new ArrayList<>();
    for (Header h : all) {
      byte[] path = h.entry().path().getBytes(StandardCharsets.UTF_8);
      select(out, filter.select(path, 0, path.length), h);
    }
    return out;
  }

  private static void select(List<Header> out, String verdict, Header h) {
    if (verdict == PathFilter.KEEP) {
      out.add(h);
    } else if (verdict != null) {
      Header last = out.isEmpty() ? null : out.get(out.size() - 1);
      if (last == null || last.touched() == null || !last.touched().equals(verdict)) {
        out.add(new Header(null, 0, verdict));
      }
    }
  }

  private static List<Header> readBlob(Path blob, Path index) throws IOException {
    List<Header> out = new ArrayList<>();
    try (LayerReader r = LayerReader.open(blob)) {
      for (LayerEntry e = r.next(); e != null; e = r.next()) {
        out.add(new Header(withoutContent(e), r.dataOffset()));
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

  /**
   * Decodes an index from its bytes, read in one go: an entry the filter leaves out is skipped
   * over by its lengths, its path never decoded. Throws (a runtime exception too) on an index
   * that is not whole, before anything is returned.
   */
  static List<Header> parse(byte[] bytes, PathFilter filter) throws IOException {
    Cursor in = new Cursor(bytes);
    if (!MAGIC.equals(in.string())) {
      throw new IOException("not a layer header index");
    }
    int n = in.i32();
    List<Header> out = new ArrayList<>(filter != null ? 16 : Math.min(Math.max(n, 0), 1 << 20));
    for (int i = 0; i < n; i++) {
      int len = in.length();
      int from = in.pos;
      in.pos += len;
      String verdict = filter == null ? PathFilter.KEEP : filter.select(bytes, from, from + len);
      if (verdict != PathFilter.KEEP) {
        in.skipString(); // type
        in.pos += 4 + 8 + 8 + 8 + 4 + 8;
        in.skipString(); // link
        int nx = in.i32();
        for (int k = 0; k < nx; k++) {
          in.skipString();
          in.skipString();
        }
        in.pos += 8 + 8 + 8;
        if (verdict != null) {
          select(out, verdict, null);
        }
        continue;
      }
      String path = new String(bytes, from, len, StandardCharsets.UTF_8);
      EntryType type = EntryType.valueOf(in.string());
      int mode = in.i32();
      long uid = in.i64();
      long gid = in.i64();
      long seconds = in.i64();
      Instant mtime = Instant.ofEpochSecond(seconds, in.i32());
      long size = in.i64();
      String link = in.string();
      int nx = in.i32();
      Map<String, byte[]> xattrs = nx == 0 ? Map.of() : new LinkedHashMap<>();
      for (int k = 0; k < nx; k++) {
        String key = in.string();
        int vlen = in.length();
        xattrs.put(key, Arrays.copyOfRange(bytes, in.pos, in.pos + vlen));
        in.pos += vlen;
      }
      long major = in.i64();
      long minor = in.i64();
      long offset = in.i64();
      out.add(new Header(
          new LayerEntry(path, type, mode, uid, gid, mtime, size, link, xattrs, major, minor,
              null),
          offset));
    }
    if (in.pos != bytes.length) {
      throw new IOException("an index of " + bytes.length + " bytes ends at " + in.pos);
    }
    return out;
  }

  /** Reads big-endian numbers and length-prefixed strings, as DataOutputStream wrote them. */
  private static final class Cursor {
    final byte[] b;
    int pos;

    Cursor(byte[] b) {
      this.b = b;
    }

    int i32() {
      int p = pos;
      if (p < 0 || p + 4 > b.length) {
        throw new IndexOutOfBoundsException("index cut short at " + p);
      }
      pos = p + 4;
      return (b[p] & 0xff) << 24 | (b[p + 1] & 0xff) << 16 | (b[p + 2] & 0xff) << 8 | (b[p + 3] & 0xff);
    }

    long i64() {
      return (long) i32() << 32 | (i32() & 0xffffffffL);
    }

    /** A string's length, checked against what is left. */
    int length() throws EOFException {
      int len = i32();
      if (len < 0 || len > b.length - pos) {
        throw new EOFException("bad string length " + len);
      }
      return len;
    }

    String string() throws EOFException {
      int len = length();
      String s = new String(b, pos, len, StandardCharsets.UTF_8);
      pos += len;
      return s;
    }

    void skipString() throws EOFException {
      int len = length(); // before pos is read: length() moves it
      pos += len;
    }
  }

  private static void write(Path index, List<Header> headers) throws IOException {
    writeFile(index, out -> encode(headers, out));
  }

  private interface Body {
    void writeTo(OutputStream out) throws IOException;
  }

  private static void writeFile(Path index, Body body) throws IOException {
    Files.createDirectories(index.getParent());
    // random: a sandbox worker in its own PID namespace may share a pid with the build
    Path tmp = index.resolveSibling(index.getFileName() + ".tmp-" + ProcessHandle.current().pid()
        + "-" + Long.toHexString(java.util.concurrent.ThreadLocalRandom.current().nextLong()));
    try {
      try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE_NEW,
              StandardOpenOption.WRITE)) {
        OutputStream out = new BufferedOutputStream(Channels.newOutputStream(ch), 1 << 16);
        body.writeTo(out);
        out.flush();
        ch.force(true);
      }
      Files.move(tmp, index, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    } finally {
      Files.deleteIfExists(tmp);
    }
  }

  private static void encode(List<Header> headers, OutputStream raw) throws IOException {
    DataOutputStream out = new DataOutputStream(raw);
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

  private static void string(DataOutputStream out, String s) throws IOException {
    byte[] b = s.getBytes(StandardCharsets.UTF_8);
    out.writeInt(b.length);
    out.write(b);
  }
}
