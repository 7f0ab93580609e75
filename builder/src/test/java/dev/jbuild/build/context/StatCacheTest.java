package dev.jbuild.build.context;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class StatCacheTest {

  @TempDir Path dir;

  private static final long NOW = 1_800_000_000L;

  private static StatCache.Entry entry(int i) {
    byte[] sha = new byte[32];
    Arrays.fill(sha, (byte) (i * 7 - 128));
    sha[0] = (byte) i;
    return new StatCache.Entry(
        1000L * i, -5L + i, Long.MAX_VALUE - i, 1L << 40 | i, 2049, 0100644 | i, sha,
        NOW * 1_000_000_000L, NOW - i);
  }

  /** Paths of every kind a context holds: ASCII, accented, CJK, an emoji, an odd control. */
  private static Map<String, StatCache.Entry> sample() {
    Map<String, StatCache.Entry> m = new LinkedHashMap<>();
    String[] paths = {
      "a", "src/Main.java", "d\u00e9j\u00e0/vu.txt", "\u6587\u4ef6/\u540d.txt",
      "emoji/\ud83d\ude00.png", "nul\u0000inside", "tab\tand\u007fdel", "x".repeat(3000)
    };
    for (int i = 0; i < paths.length; i++) {
      m.put(paths[i], entry(i + 1));
    }
    for (int i = 0; i < 2000; i++) {
      m.put("many/f" + i, entry(i % 100));
    }
    return m;
  }

  private Path saved(Map<String, StatCache.Entry> entries) throws IOException {
    Path file = dir.resolve("cache");
    StatCache c = StatCache.load(file);
    entries.forEach(c::put);
    c.save(NOW);
    return file;
  }

  private static void assertHolds(StatCache c, Map<String, StatCache.Entry> expected) {
    assertThat(c.size()).isEqualTo(expected.size());
    expected.forEach(
        (path, e) -> {
          StatCache.Entry got = c.get(path);
          assertThat(got).as(path).isNotNull();
          assertThat(got.sha256()).as(path).isEqualTo(e.sha256());
          assertThat(Arrays.asList(got.size(), got.mtimeNanos(), got.ctimeNanos(), got.ino(),
                  got.dev(), (long) got.mode(), got.hashedAtNanos(), got.lastUsedSeconds()))
              .as(path)
              .isEqualTo(Arrays.asList(e.size(), e.mtimeNanos(), e.ctimeNanos(), e.ino(),
                  e.dev(), (long) e.mode(), e.hashedAtNanos(), e.lastUsedSeconds()));
        });
  }

  @Test
  void savedEntriesLoadBackUnchanged() throws IOException {
    Map<String, StatCache.Entry> entries = sample();
    Path file = saved(entries);
    assertHolds(StatCache.load(file), entries);
    assertHolds(StatCache.loadInBackground(file), entries);
  }

  @Test
  void aDamagedFileGivesAnEmptyCache() throws IOException {
    Path file = saved(sample());
    byte[] good = Files.readAllBytes(file);
    for (int at : new int[] {0, 5, 11, good.length / 2, good.length - 9, good.length - 1}) {
      byte[] bad = good.clone();
      bad[at] ^= 0x10;
      Files.write(file, bad);
      assertThat(StatCache.load(file).size()).as("bit flipped at " + at).isZero();
      assertThat(StatCache.loadInBackground(file).size()).isZero();
    }
    for (int length : new int[] {0, 3, 12, good.length / 3, good.length - 1}) {
      Files.write(file, Arrays.copyOf(good, length));
      assertThat(StatCache.load(file).size()).as("cut to " + length).isZero();
    }
  }

  @Test
  void rememberedSelectionsLoadBackAndExpire() throws IOException {
    Path file = dir.resolve("cache");
    StatCache c = StatCache.load(file);
    c.put("a", entry(1));
    byte[] digest = new byte[32];
    Arrays.fill(digest, (byte) 7);
    for (int i = 0; i < StatCache.MAX_MEMOS + 2; i++) {
      c.remember(new byte[] {1, 2, (byte) i}, digest, NOW + i);
    }
    c.save(NOW + 20);
    StatCache loaded = StatCache.load(file);
    assertThat(loaded.memo(new byte[] {1, 2, 3}, NOW + 20)).isEqualTo(digest);
    assertThat(loaded.memo(new byte[] {1, 2, 0}, NOW + 20)).as("the oldest are dropped").isNull();
    assertThat(loaded.memo(new byte[] {1, 2}, NOW + 20)).isNull();
    assertThat(loaded.memo(new byte[] {1, 2, 3, 4}, NOW + 20)).isNull();
    assertThat(loaded.memo(new byte[] {1, 2, 3}, NOW + 3 + 25 * 3600))
        .as("older than a day: the entries behind it get refreshed instead")
        .isNull();
    assertHolds(loaded, Map.of("a", entry(1)));
  }

  /** A cache written before memos existed (version 1) keeps its entries. */
  @Test
  void aVersionOneFileIsRead() throws IOException {
    Path file = dir.resolve("v1");
    java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream();
    java.util.zip.CRC32 crc = new java.util.zip.CRC32();
    java.io.DataOutputStream out =
        new java.io.DataOutputStream(new java.util.zip.CheckedOutputStream(bytes, crc));
    StatCache.Entry e = entry(3);
    out.writeInt(0x4a425343);
    out.writeInt(1);
    out.writeInt(1);
    out.writeUTF("src/a.txt");
    for (long v : new long[] {e.size(), e.mtimeNanos(), e.ctimeNanos(), e.ino(), e.dev()}) {
      out.writeLong(v);
    }
    out.writeInt(e.mode());
    out.write(e.sha256());
    out.writeLong(e.hashedAtNanos());
    out.writeLong(e.lastUsedSeconds());
    out.flush();
    new java.io.DataOutputStream(bytes).writeLong(crc.getValue());
    Files.write(file, bytes.toByteArray());
    assertHolds(StatCache.load(file), Map.of("src/a.txt", e));
  }

  @Test
  void aMissingFileGivesAnEmptyCache() {
    assertThat(StatCache.load(dir.resolve("none")).size()).isZero();
    assertThat(StatCache.loadInBackground(dir.resolve("none")).size()).isZero();
  }
}
