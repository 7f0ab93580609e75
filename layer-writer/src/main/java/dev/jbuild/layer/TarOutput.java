package dev.jbuild.layer;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.TreeMap;

/**
 * A PAX tar writer in which every header byte is chosen here: ustar headers with empty
 * uname/gname, and an extended header only where ustar cannot hold a value (long or non-ASCII
 * names, huge ids, sizes and times) or for xattrs, whose values go out as raw bytes.
 */
final class TarOutput {
  static final int BLOCK = 512;
  private static final long MAX_OCTAL_7 = 07777777L;
  private static final long MAX_OCTAL_11 = 077777777777L;
  private static final byte[] ZEROS = new byte[BLOCK];
  private static final byte[] MAGIC = {'u', 's', 't', 'a', 'r', 0, '0', '0'};

  private final OutputStream out;
  private long remaining;
  private long written;
  private long offset;

  TarOutput(OutputStream out) {
    this.out = out;
  }

  /**
   * Writes the header(s) of an entry and returns them; a FILE's {@code size} bytes must
   * follow.
   */
  byte[] putEntry(LayerEntry e, long mtimeSeconds) throws IOException {
    if (remaining != 0) {
      throw new IllegalStateException("previous entry short by " + remaining + " bytes");
    }
    byte[] h = header(e, mtimeSeconds);
    out.write(h);
    offset += h.length;
    remaining = e.type() == EntryType.FILE ? e.size() : 0;
    written = 0;
    return h;
  }

  /** Bytes of the archive written so far (offsets are positions in the uncompressed tar). */
  long offset() {
    return offset;
  }

  void write(byte[] b, int off, int len) throws IOException {
    if (len > remaining) {
      throw new IOException("more content than the declared size");
    }
    out.write(b, off, len);
    remaining -= len;
    written += len;
    offset += len;
  }

  /**
   * Reads up to {@code max} bytes of the current entry's content from {@code in} into the
   * archive, through {@code scratch} unless the stream below can take them into its own buffer.
   * Returns what the read returned. A read of more than the entry has left is not counted here
   * and is for the caller to refuse: the stream below may hold those bytes already, so the layer
   * is broken and must be abandoned.
   */
  int writeFrom(InputStream in, int max, byte[] scratch) throws IOException {
    int n;
    if (out instanceof HashingOutputStream && ((HashingOutputStream) out).bufferSize() >= max) {
      n = ((HashingOutputStream) out).writeFrom(in, max);
    } else {
      n = in.read(scratch, 0, Math.min(max, scratch.length));
      if (n > 0 && n <= remaining) {
        out.write(scratch, 0, n);
      }
    }
    if (n > remaining) {
      return n;
    }
    if (n > 0) {
      remaining -= n;
      written += n;
      offset += n;
    }
    return n;
  }

  long remaining() {
    return remaining;
  }

  /** Pads the entry's content to a block boundary. */
  void closeEntry() throws IOException {
    if (remaining != 0) {
      throw new IllegalStateException("entry short by " + remaining + " bytes");
    }
    int pad = (int) ((BLOCK - written % BLOCK) % BLOCK);
    out.write(ZEROS, 0, pad);
    offset += pad;
    written = 0;
  }

  /** Two zero blocks end the archive (no padding to a 10 KiB record, as Go and BuildKit). */
  void finish() throws IOException {
    out.write(ZEROS);
    out.write(ZEROS);
    offset += 2 * BLOCK;
  }

  /** The PAX extended header (if any) and the ustar header of one entry. */
  static byte[] header(LayerEntry e, long mtime) {
    String name = e.path() + (e.type() == EntryType.DIRECTORY ? "/" : "");
    byte[] nameBytes = name.getBytes(StandardCharsets.UTF_8);
    byte[] linkBytes = e.linkTarget().getBytes(StandardCharsets.UTF_8);
    long size = e.type() == EntryType.FILE ? e.size() : 0;

    Map<String, byte[]> pax = new TreeMap<>();
    if (nameBytes.length > 100 || !isAscii(nameBytes)) {
      pax.put("path", nameBytes);
    }
    if (linkBytes.length > 100 || !isAscii(linkBytes)) {
      pax.put("linkpath", linkBytes);
    }
    if (e.uid() > MAX_OCTAL_7) {
      pax.put("uid", ascii(Long.toString(e.uid())));
    }
    if (e.gid() > MAX_OCTAL_7) {
      pax.put("gid", ascii(Long.toString(e.gid())));
    }
    if (size > MAX_OCTAL_11) {
      pax.put("size", ascii(Long.toString(size)));
    }
    if (mtime < 0 || mtime > MAX_OCTAL_11) {
      pax.put("mtime", ascii(Long.toString(mtime)));
    }
    e.xattrs().forEach((k, v) -> pax.put("SCHILY.xattr." + k, v));

    byte[] ustar = ustar(nameBytes, e.mode(), Math.min(e.uid(), MAX_OCTAL_7 + 1) % (MAX_OCTAL_7 + 1),
        Math.min(e.gid(), MAX_OCTAL_7 + 1) % (MAX_OCTAL_7 + 1),
        size > MAX_OCTAL_11 ? 0 : size,
        mtime < 0 || mtime > MAX_OCTAL_11 ? 0 : mtime,
        e.type().typeflag(), linkBytes, e.devMajor(), e.devMinor());
    if (pax.isEmpty()) {
      return ustar; // most entries
    }
    ByteArrayOutputStream buf = new ByteArrayOutputStream(3 * BLOCK);
    byte[] records = paxRecords(pax);
    byte[] paxName = ascii(sanitize("PaxHeaders.0/" + LayerPaths.name(e.path())));
    buf.writeBytes(ustar(paxName, 0, 0, 0, records.length, Math.max(0, Math.min(mtime, MAX_OCTAL_11)),
        'x', new byte[0], 0, 0));
    buf.writeBytes(records);
    buf.write(ZEROS, 0, (BLOCK - records.length % BLOCK) % BLOCK);
    buf.writeBytes(ustar);
    return buf.toByteArray();
  }

  /** Encodes "%d key=value\n" records, the length counting itself. */
  static byte[] paxRecords(Map<String, byte[]> records) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    records.forEach((k, v) -> {
      byte[] key = k.getBytes(StandardCharsets.UTF_8);
      int body = 1 + key.length + 1 + v.length + 1; // " key=value\n"
      int len = body + Integer.toString(body).length();
      if (Integer.toString(len).length() != Integer.toString(body).length()) {
        len = body + Integer.toString(len).length();
      }
      out.writeBytes(ascii(Integer.toString(len)));
      out.write(' ');
      out.writeBytes(key);
      out.write('=');
      out.writeBytes(v);
      out.write('\n');
    });
    return out.toByteArray();
  }

  private static byte[] ustar(byte[] name, int mode, long uid, long gid, long size, long mtime,
      char type, byte[] link, long devMajor, long devMinor) {
    byte[] h = new byte[BLOCK];
    System.arraycopy(name, 0, h, 0, Math.min(100, name.length));
    octal(h, 100, 8, mode);
    octal(h, 108, 8, uid);
    octal(h, 116, 8, gid);
    octal(h, 124, 12, size);
    octal(h, 136, 12, mtime);
    h[156] = (byte) type;
    System.arraycopy(link, 0, h, 157, Math.min(100, link.length));
    System.arraycopy(MAGIC, 0, h, 257, MAGIC.length);
    numeric(h, 329, 8, devMajor);
    numeric(h, 337, 8, devMinor);
    for (int i = 148; i < 156; i++) {
      h[i] = ' ';
    }
    long sum = 0;
    for (byte b : h) {
      sum += b & 0xff;
    }
    octal(h, 148, 7, sum); // six digits, NUL, then the space kept from above
    h[155] = ' ';
    return h;
  }

  /**
   * Zero-padded octal digits followed by a NUL, filling {@code len} bytes. Digit by digit, with
   * no strings: this runs several times per entry.
   */
  private static void octal(byte[] h, int off, int len, long value) {
    int digits = len - 1;
    if (value < 0 || (value >>> (3 * digits)) != 0) {
      throw new IllegalArgumentException("value " + value + " does not fit " + digits + " octal digits");
    }
    for (int i = digits - 1; i >= 0; i--) {
      h[off + i] = (byte) ('0' + (value & 7));
      value >>>= 3;
    }
    h[off + digits] = 0;
  }

  /** Octal when it fits, else GNU base-256 (PAX has no keyword for device numbers). */
  private static void numeric(byte[] h, int off, int len, long value) {
    if (value >= 0 && value <= MAX_OCTAL_7) {
      octal(h, off, len, value);
      return;
    }
    h[off] = (byte) 0x80;
    for (int i = len - 1; i > 0; i--) {
      h[off + i] = (byte) value;
      value >>>= 8;
    }
  }

  private static boolean isAscii(byte[] b) {
    for (byte x : b) {
      if (x < 0x20 || x >= 0x7f) {
        return false;
      }
    }
    return true;
  }

  private static String sanitize(String s) {
    StringBuilder b = new StringBuilder();
    for (int i = 0; i < s.length() && b.length() < 100; i++) {
      char c = s.charAt(i);
      b.append(c >= 0x20 && c < 0x7f ? c : '_');
    }
    return b.toString();
  }

  private static byte[] ascii(String s) {
    return s.getBytes(StandardCharsets.US_ASCII);
  }
}
