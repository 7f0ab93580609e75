package dev.jbuild.layer;

import dev.jbuild.oci.Digest;
import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.time.Instant;

/**
 * Iterates the entries of a layer blob (gzip, zstd or plain, told apart by magic bytes) as
 * checked {@link LayerEntry} values: names cleaned, names that climb out of the root, hold a
 * NUL or white out nothing rejected with the entry named, the root entry skipped. A FILE
 * entry's {@link LayerEntry#content()} reads its bytes until {@link #next()} is called again.
 */
public final class LayerReader implements Closeable {
  private final InputStream source;
  private final MessageDigest sha = Digest.newSha256();
  private final InputStream hashed;
  private final TarInput tar;
  private TarInput.Record current;
  private boolean finished;

  private LayerReader(InputStream blob) throws IOException {
    this.source = blob;
    this.hashed = new DigestInputStream(Compression.decompressed(blob), sha);
    this.tar = new TarInput(hashed);
  }

  /** Reads a layer from a stream, which is closed with the reader. */
  public static LayerReader open(InputStream blob) throws IOException {
    return new LayerReader(blob);
  }

  /** Reads a layer blob file. */
  public static LayerReader open(Path blob) throws IOException {
    return new LayerReader(Files.newInputStream(blob));
  }

  /** The next entry, or null at the end of the layer. */
  public LayerEntry next() throws IOException {
    while (true) {
      current = tar.next();
      if (current == null) {
        finished = true;
        return null;
      }
      LayerEntry e = toEntry(current, this::entryStream);
      if (e != null) {
        return e;
      }
    }
  }

  /** Index (0-based, headers only) of the entry last returned. */
  long index() {
    return current.index;
  }

  /** Offset of the last entry's content within the uncompressed tar. */
  long dataOffset() {
    return current.dataOffset;
  }

  /**
   * sha256 of the whole uncompressed tar: the layer's diffID. Reads what is left of the
   * stream first (trailing blocks and padding count too).
   */
  public Digest diffId() throws IOException {
    while (!finished && next() != null) {
      // consume
    }
    hashed.transferTo(java.io.OutputStream.nullOutputStream());
    return Digest.sha256(sha.digest());
  }

  /**
   * The checked entry of a tar record, or null for the root; {@code fileContent} becomes a
   * FILE's content (the header index passes null: no content).
   */
  static LayerEntry toEntry(TarInput.Record r, Content fileContent) throws IOException {
    String what = "layer entry #" + r.index + " \"" + printable(r.name) + "\": ";
    String path = LayerPaths.clean(r.name);
    if (path == null) {
      throw new LayerFormatException(what + (r.name.indexOf('\0') >= 0 ? "name holds a NUL character"
          : "climbs above the layer root"));
    }
    if (path.isEmpty()) {
      return null; // "./" or "/": the root itself carries nothing a layer applies
    }
    EntryType type;
    switch (r.typeflag) {
      case '0':
      case '7':
        type = r.name.endsWith("/") ? EntryType.DIRECTORY : EntryType.FILE;
        break;
      case '1': type = EntryType.HARDLINK; break;
      case '2': type = EntryType.SYMLINK; break;
      case '3': type = EntryType.CHAR_DEVICE; break;
      case '4': type = EntryType.BLOCK_DEVICE; break;
      case '5': type = EntryType.DIRECTORY; break;
      case '6': type = EntryType.FIFO; break;
      default:
        throw new LayerFormatException(what + "unsupported tar entry type '" + printable(
            String.valueOf(r.typeflag)) + "'");
    }
    String link = r.linkName;
    if (type == EntryType.HARDLINK) {
      link = LayerPaths.clean(r.linkName);
      if (link == null || link.isEmpty()) {
        throw new LayerFormatException(what + "hard link to \"" + printable(r.linkName)
            + "\", which is outside the layer root");
      }
    } else if (type == EntryType.SYMLINK) {
      if (link.isEmpty() || link.indexOf('\0') >= 0) {
        throw new LayerFormatException(what + "symlink with an empty target or a NUL in it");
      }
    } else {
      link = "";
    }
    if (r.uid < 0 || r.gid < 0 || r.uid > 0xffffffffL || r.gid > 0xffffffffL) {
      throw new LayerFormatException(what + "uid/gid " + r.uid + "/" + r.gid + " out of range");
    }
    if (Whiteouts.kindOf(path) == Whiteouts.Kind.WHITEOUT) {
      String hidden = LayerPaths.name(path).substring(Whiteouts.PREFIX.length());
      if (hidden.isEmpty() || hidden.equals(".") || hidden.equals("..")) {
        throw new LayerFormatException(what + "whiteout that names no file");
      }
    }
    try {
      return new LayerEntry(path, type, r.mode, r.uid, r.gid, Instant.ofEpochSecond(r.mtime,
          r.mtimeNanos), type == EntryType.FILE ? r.size : 0, link, r.xattrs, r.devMajor,
          r.devMinor, type == EntryType.FILE ? fileContent : Content.EMPTY);
    } catch (IllegalArgumentException e) {
      throw new LayerFormatException(what + e.getMessage());
    }
  }

  private InputStream entryStream() {
    TarInput.Record owner = current;
    return new InputStream() {
      @Override
      public int read() throws IOException {
        byte[] one = new byte[1];
        int n = read(one, 0, 1);
        return n < 0 ? -1 : one[0] & 0xff;
      }

      @Override
      public int read(byte[] b, int off, int len) throws IOException {
        if (owner != current) {
          throw new IOException("content of \"" + owner.name + "\" read after moving to the next entry");
        }
        return len == 0 ? 0 : tar.read(b, off, len);
      }
    };
  }

  static String printable(String s) {
    StringBuilder b = new StringBuilder();
    for (int i = 0; i < s.length() && i < 300; i++) {
      char c = s.charAt(i);
      if (c < 0x20 || c == 0x7f) {
        b.append(String.format("\\x%02x", (int) c));
      } else {
        b.append(c);
      }
    }
    return s.length() > 300 ? b + "…" : b.toString();
  }

  @Override
  public void close() throws IOException {
    source.close();
  }
}
