package dev.jbuild.layer;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Map;

/**
 * Crafts tar archives byte by byte, independent of {@link TarOutput}: any name, type, link or
 * PAX record, including the malformed and hostile ones a real writer refuses.
 */
final class RawTar {
  private final ByteArrayOutputStream out = new ByteArrayOutputStream();

  RawTar file(String name, String content) {
    return entry(name, '0', content.getBytes(StandardCharsets.UTF_8), "");
  }

  RawTar dir(String name) {
    return header(name.getBytes(StandardCharsets.UTF_8), '5', 0, "", 0755, 0, 0);
  }

  RawTar symlink(String name, String target) {
    return entry(name, '2', new byte[0], target);
  }

  RawTar hardlink(String name, String target) {
    return entry(name, '1', new byte[0], target);
  }

  RawTar entry(String name, char type, byte[] data, String link) {
    return header(name.getBytes(StandardCharsets.UTF_8), type, data.length, link, 0644, 0, 0)
        .data(data);
  }

  RawTar device(String name, char type, int major, int minor) {
    header(name.getBytes(StandardCharsets.UTF_8), type, 0, "", 0666, major, minor);
    return this;
  }

  /** A PAX extended header ('x') with the given raw records. */
  RawTar pax(Map<String, byte[]> records) {
    ByteArrayOutputStream r = new ByteArrayOutputStream();
    records.forEach((k, v) -> {
      byte[] key = k.getBytes(StandardCharsets.UTF_8);
      int body = key.length + v.length + 3;
      int len = body + String.valueOf(body).length();
      len = body + String.valueOf(len).length();
      r.writeBytes(String.valueOf(len).getBytes(StandardCharsets.US_ASCII));
      r.write(' ');
      r.writeBytes(key);
      r.write('=');
      r.writeBytes(v);
      r.write('\n');
    });
    byte[] data = r.toByteArray();
    return header("PaxHeader".getBytes(StandardCharsets.US_ASCII), 'x', data.length, "", 0644, 0, 0)
        .data(data);
  }

  /** A header whose size field claims {@code size} bytes; the caller adds what it wants. */
  RawTar header(byte[] name, char type, long size, String link, int mode, int major, int minor) {
    byte[] h = new byte[512];
    System.arraycopy(name, 0, h, 0, Math.min(100, name.length));
    octal(h, 100, 8, mode);
    octal(h, 108, 8, 0);
    octal(h, 116, 8, 0);
    octal(h, 124, 12, size);
    octal(h, 136, 12, 1_600_000_000L);
    h[156] = (byte) type;
    byte[] l = link.getBytes(StandardCharsets.UTF_8);
    System.arraycopy(l, 0, h, 157, Math.min(100, l.length));
    System.arraycopy("ustar\00000".getBytes(StandardCharsets.US_ASCII), 0, h, 257, 8);
    octal(h, 329, 8, major);
    octal(h, 337, 8, minor);
    for (int i = 148; i < 156; i++) {
      h[i] = ' ';
    }
    int sum = 0;
    for (byte b : h) {
      sum += b & 0xff;
    }
    octal(h, 148, 7, sum);
    out.writeBytes(h);
    return this;
  }

  RawTar data(byte[] data) {
    out.writeBytes(data);
    out.write(new byte[(512 - data.length % 512) % 512], 0, (512 - data.length % 512) % 512);
    return this;
  }

  RawTar raw(byte[] bytes) {
    out.writeBytes(bytes);
    return this;
  }

  byte[] build() {
    ByteArrayOutputStream copy = new ByteArrayOutputStream();
    copy.writeBytes(out.toByteArray());
    copy.writeBytes(new byte[1024]);
    return copy.toByteArray();
  }

  private static void octal(byte[] h, int off, int len, long v) {
    String s = String.format("%0" + (len - 1) + "o", v);
    System.arraycopy(s.getBytes(StandardCharsets.US_ASCII), 0, h, off, len - 1);
    h[off + len - 1] = 0;
  }
}
