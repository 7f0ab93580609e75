package dev.jbuild.layer;

import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A tar reader for ustar, PAX and GNU archives that keeps PAX values as raw bytes (binary
 * xattrs survive) and bounds every header it buffers. Yields raw records; {@link LayerReader}
 * turns them into checked {@link LayerEntry} values.
 */
final class TarInput {
  /** Largest PAX or GNU long-name header accepted (Go's archive/tar uses the same 1 MiB). */
  static final int MAX_SPECIAL = 1 << 20;

  /** One header as found in the archive, extended headers applied. */
  static final class Record {
    String name;
    String linkName;
    char typeflag;
    int mode;
    long uid;
    long gid;
    long size;
    long mtime;
    long mtimeNanos;
    long devMajor;
    long devMinor;
    final Map<String, byte[]> xattrs = new LinkedHashMap<>();
    long index;
    long headerOffset;
    long dataOffset;
  }

  private final InputStream in;
  private final byte[] block = new byte[TarOutput.BLOCK];
  /** For skipping; small until content is skipped (the header index parses one header each). */
  private byte[] scratch = new byte[TarOutput.BLOCK];
  private long position;
  private long remaining;
  private long padding;
  private long count;
  private boolean done;

  TarInput(InputStream in) {
    this.in = in;
  }

  /** Bytes consumed so far (offsets are positions in the uncompressed tar). */
  long position() {
    return position;
  }

  /** The next entry, or null at the end of the archive. */
  Record next() throws IOException {
    skipRest();
    if (done) {
      return null;
    }
    Map<String, byte[]> pax = null;
    String longName = null;
    String longLink = null;
    while (true) {
      long headerOffset = position;
      if (!readBlock(true)) {
        done = true;
        return null;
      }
      if (isZero(block)) {
        // End of archive: one or two zero blocks (some writers stop after the first).
        done = true;
        return null;
      }
      verifyChecksum(headerOffset);
      char type = (char) (block[156] & 0xff);
      long size = number(block, 124, 12, "size");
      if (size < 0) {
        throw new LayerFormatException(at(headerOffset) + "negative size");
      }
      if (type == 'x' || type == 'g') {
        byte[] data = readSpecial(size, headerOffset, "PAX header");
        Map<String, byte[]> records = parsePax(data, headerOffset);
        if (type == 'x') {
          pax = records; // global headers ('g') carry nothing layers use; Docker ignores them too
        }
        continue;
      }
      if (type == 'L') {
        longName = cString(readSpecial(size, headerOffset, "GNU long name"));
        continue;
      }
      if (type == 'K') {
        longLink = cString(readSpecial(size, headerOffset, "GNU long link"));
        continue;
      }
      Record r = new Record();
      r.headerOffset = headerOffset;
      r.index = count++;
      r.typeflag = type == 0 ? '0' : type;
      boolean ustar = block[257] == 'u' && block[258] == 's' && block[259] == 't'
          && block[260] == 'a' && block[261] == 'r' && block[262] == 0;
      String name = cString(block, 0, 100);
      if (ustar && block[345] != 0) {
        name = cString(block, 345, 155) + "/" + name;
      }
      r.name = longName != null ? longName : name;
      r.linkName = longLink != null ? longLink : cString(block, 157, 100);
      r.mode = (int) (number(block, 100, 8, "mode") & 07777);
      r.uid = number(block, 108, 8, "uid");
      r.gid = number(block, 116, 8, "gid");
      r.size = size;
      r.mtime = number(block, 136, 12, "mtime");
      if (r.typeflag == '3' || r.typeflag == '4') {
        r.devMajor = number(block, 329, 8, "devmajor");
        r.devMinor = number(block, 337, 8, "devminor");
      }
      if (pax != null) {
        applyPax(r, pax);
      }
      if (r.typeflag == 'S') {
        throw new LayerFormatException(at(headerOffset) + "\"" + r.name
            + "\" is a GNU sparse file, which jbuild does not read; rebuild the layer without --sparse");
      }
      // Only regular files carry content in a layer; data declared by others is skipped.
      remaining = r.size;
      padding = (TarOutput.BLOCK - r.size % TarOutput.BLOCK) % TarOutput.BLOCK;
      r.dataOffset = position;
      if (r.typeflag != '0' && r.typeflag != '7') {
        skipRest();
        r.size = 0;
      }
      return r;
    }
  }

  /** Reads content of the current entry; -1 at its end. */
  int read(byte[] b, int off, int len) throws IOException {
    if (remaining <= 0) {
      return -1;
    }
    int n = in.read(b, off, (int) Math.min(len, remaining));
    if (n < 0) {
      throw new EOFException("tar ends inside an entry's content");
    }
    remaining -= n;
    position += n;
    return n;
  }

  private void skipRest() throws IOException {
    skipFully(remaining);
    remaining = 0;
    skipFully(padding);
    padding = 0;
  }

  /** Skips by reading (never InputStream.skip), so that a hashing stream below sees every byte. */
  private void skipFully(long n) throws IOException {
    while (n > 0) {
      if (n > scratch.length && scratch.length < 64 * 1024) {
        scratch = new byte[64 * 1024];
      }
      int r = in.read(scratch, 0, (int) Math.min(scratch.length, n));
      if (r < 0) {
        throw new EOFException("tar ends inside an entry's content");
      }
      n -= r;
      position += r;
    }
  }

  private boolean readBlock(boolean eofAllowed) throws IOException {
    int off = 0;
    while (off < block.length) {
      int n = in.read(block, off, block.length - off);
      if (n < 0) {
        if (off == 0 && eofAllowed) {
          return false;
        }
        throw new EOFException("tar ends inside a header");
      }
      off += n;
    }
    position += block.length;
    return true;
  }

  private byte[] readSpecial(long size, long headerOffset, String what) throws IOException {
    if (size > MAX_SPECIAL) {
      throw new LayerFormatException(at(headerOffset) + what + " of " + size
          + " bytes exceeds the limit of " + MAX_SPECIAL);
    }
    byte[] data = in.readNBytes((int) size);
    if (data.length != size) {
      throw new EOFException("tar ends inside a " + what);
    }
    position += size;
    skipFully((TarOutput.BLOCK - size % TarOutput.BLOCK) % TarOutput.BLOCK);
    return data;
  }

  /** Parses "%d key=value\n" records, values kept as bytes. */
  static Map<String, byte[]> parsePax(byte[] data, long headerOffset) throws LayerFormatException {
    Map<String, byte[]> out = new LinkedHashMap<>();
    int pos = 0;
    while (pos < data.length) {
      if (data[pos] == 0) {
        break; // some writers pad with NULs
      }
      int sp = pos;
      long len = 0;
      while (sp < data.length && data[sp] >= '0' && data[sp] <= '9' && sp - pos < 10) {
        len = len * 10 + (data[sp] - '0');
        sp++;
      }
      if (sp == pos || sp >= data.length || data[sp] != ' ' || len <= sp - pos + 1
          || pos + len > data.length || data[(int) (pos + len - 1)] != '\n') {
        throw new LayerFormatException(at(headerOffset) + "malformed PAX record at byte " + pos);
      }
      int end = (int) (pos + len - 1);
      int eq = -1;
      for (int i = sp + 1; i < end; i++) {
        if (data[i] == '=') {
          eq = i;
          break;
        }
      }
      if (eq <= sp + 1) {
        throw new LayerFormatException(at(headerOffset) + "PAX record without a keyword at byte " + pos);
      }
      String key = new String(data, sp + 1, eq - sp - 1, StandardCharsets.UTF_8);
      byte[] value = java.util.Arrays.copyOfRange(data, eq + 1, end);
      out.put(key, value);
      pos += (int) len;
    }
    return out;
  }

  private void applyPax(Record r, Map<String, byte[]> pax) throws LayerFormatException {
    for (Map.Entry<String, byte[]> e : pax.entrySet()) {
      String key = e.getKey();
      byte[] v = e.getValue();
      switch (key) {
        case "path": r.name = utf8(v); break;
        case "linkpath": r.linkName = utf8(v); break;
        case "size": r.size = paxLong(key, v, r); break;
        case "uid": r.uid = paxLong(key, v, r); break;
        case "gid": r.gid = paxLong(key, v, r); break;
        case "mtime": paxTime(v, r); break;
        default:
          if (key.startsWith("SCHILY.xattr.")) {
            r.xattrs.put(key.substring("SCHILY.xattr.".length()), v);
          } else if (key.startsWith("GNU.sparse.")) {
            throw new LayerFormatException(at(r.headerOffset) + "\"" + r.name
                + "\" is a PAX sparse file, which jbuild does not read; rebuild the layer without --sparse");
          }
          // atime, ctime, uname, gname, comment, charset, vendor keys: not part of a layer's meaning
      }
    }
  }

  private long paxLong(String key, byte[] v, Record r) throws LayerFormatException {
    try {
      long n = Long.parseLong(utf8(v));
      if (n < 0) {
        throw new NumberFormatException();
      }
      return n;
    } catch (NumberFormatException e) {
      throw new LayerFormatException(at(r.headerOffset) + "PAX " + key + " is not a number: " + utf8(v));
    }
  }

  private void paxTime(byte[] v, Record r) throws LayerFormatException {
    String s = utf8(v);
    try {
      int dot = s.indexOf('.');
      String whole = dot < 0 ? s : s.substring(0, dot);
      r.mtime = Long.parseLong(whole);
      if (dot >= 0) {
        String frac = (s.substring(dot + 1) + "000000000").substring(0, 9);
        r.mtimeNanos = Long.parseLong(frac);
        if (s.startsWith("-") && r.mtimeNanos != 0) {
          r.mtime -= 1;
          r.mtimeNanos = 1_000_000_000L - r.mtimeNanos;
        }
      }
    } catch (NumberFormatException | IndexOutOfBoundsException e) {
      throw new LayerFormatException(at(r.headerOffset) + "PAX mtime is not a time: " + s);
    }
  }

  private void verifyChecksum(long headerOffset) throws LayerFormatException {
    long stored = number(block, 148, 8, "checksum");
    long unsigned = 0;
    long signed = 0;
    for (int i = 0; i < block.length; i++) {
      int b = (i >= 148 && i < 156) ? ' ' : block[i];
      unsigned += b & 0xff;
      signed += b;
    }
    if (stored != unsigned && stored != signed) {
      throw new LayerFormatException(at(headerOffset) + "header checksum mismatch (not a tar, or corrupt)");
    }
  }

  /** Octal (space or NUL terminated) or GNU base-256. */
  private long number(byte[] h, int off, int len, String field) throws LayerFormatException {
    if ((h[off] & 0x80) != 0) {
      boolean negative = (h[off] & 0x40) != 0;
      long v = negative ? -1 : 0;
      v = (v << 6) | (h[off] & 0x3f);
      for (int i = 1; i < len; i++) {
        if (!negative && (v >>> 55) != 0) {
          throw new LayerFormatException(at(position - TarOutput.BLOCK) + field + " overflows");
        }
        v = (v << 8) | (h[off + i] & 0xff);
      }
      return v;
    }
    long v = 0;
    int i = off;
    int end = off + len;
    while (i < end && (h[i] == ' ' || h[i] == 0)) {
      i++;
    }
    for (; i < end; i++) {
      byte b = h[i];
      if (b == ' ' || b == 0) {
        break;
      }
      if (b < '0' || b > '7') {
        throw new LayerFormatException(at(position - TarOutput.BLOCK) + field + " field is not octal");
      }
      v = (v << 3) | (b - '0');
    }
    return v;
  }

  private static String at(long offset) {
    return "tar header at byte " + offset + ": ";
  }

  private static boolean isZero(byte[] b) {
    for (byte x : b) {
      if (x != 0) {
        return false;
      }
    }
    return true;
  }

  private static String cString(byte[] b, int off, int len) {
    int end = off;
    while (end < off + len && b[end] != 0) {
      end++;
    }
    return new String(b, off, end - off, StandardCharsets.UTF_8);
  }

  /** A long name: up to its first NUL; a NUL inside is kept visible to the checks. */
  private static String cString(byte[] b) {
    int end = b.length;
    while (end > 0 && b[end - 1] == 0) {
      end--;
    }
    return new String(b, 0, end, StandardCharsets.UTF_8);
  }

  private static String utf8(byte[] v) {
    return new String(v, StandardCharsets.UTF_8);
  }
}
