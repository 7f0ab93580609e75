package dev.jbuild.layer;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.zip.GZIPInputStream;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** gzip with a level per tar entry: stored where data does not shrink, a valid, stable stream. */
class TarGzipTest {
  private static final int MIB = 1 << 20;

  @TempDir Path tmp;

  static byte[] random(int size, long seed) {
    byte[] b = new byte[size];
    new Random(seed).nextBytes(b);
    return b;
  }

  /** Source-like text from a small vocabulary: gzip shrinks it 3-4 times. */
  static byte[] text(int size, long seed) {
    Random r = new Random(seed);
    String[] words = {"public", "static", "int", "return", "final", "class", "void", "new",
        "if", "else", "for", "while", "(", ")", "{", "}", ";", "=", "value", "count", "name"};
    StringBuilder sb = new StringBuilder(size + 100);
    while (sb.length() < size) {
      sb.append("    ".repeat(r.nextInt(4)));
      for (int i = 3 + r.nextInt(8); i > 0; i--) {
        sb.append(words[r.nextInt(words.length)]).append(' ');
        if (r.nextInt(5) == 0) {
          sb.append(r.nextInt(1000));
        }
      }
      sb.append('\n');
    }
    return sb.substring(0, size).getBytes(StandardCharsets.US_ASCII);
  }

  /** A random 1 MiB file, a 1 MiB text file and a few small ones around them. */
  static List<LayerEntry> mixed() {
    List<LayerEntry> entries = new ArrayList<>();
    entries.add(LayerEntry.file("a/readme.txt", 0644, text(3000, 1)));
    entries.add(LayerEntry.file("b/random.bin", 0644, random(MIB, 2)));
    entries.add(LayerEntry.file("c/source.txt", 0644, text(MIB, 3)));
    entries.add(LayerEntry.file("d/small.bin", 0644, random(700, 4)));
    entries.add(LayerEntry.file("e/tail.bin", 0644, random(5000, 5)));
    entries.add(LayerEntry.symlink("f/link", "../c/source.txt"));
    return entries;
  }

  private static byte[] gzip(byte[] data, int level) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (GZIPOutputStream z = new GZIPOutputStream(out) {
      {
        def.setLevel(level);
      }
    }) {
      z.write(data);
    }
    return out.toByteArray();
  }

  /** The tar through TarGzip in writes of {@code step} bytes (all at once when 0). */
  private static byte[] tarGzip(byte[] tar, int step, long[] stored) throws IOException {
    return tarGzip(tar, step, stored, TarGzip.WORKERS);
  }

  private static byte[] tarGzip(byte[] tar, int step, long[] stored, int workers)
      throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (TarGzip z = new TarGzip(out, 6, workers)) {
      if (step == 0) {
        z.write(tar);
      } else {
        for (int off = 0; off < tar.length; off += step) {
          z.write(tar, off, Math.min(step, tar.length - off));
        }
      }
      z.finish();
      if (stored != null) {
        stored[0] = z.storedBytes();
      }
    }
    return out.toByteArray();
  }

  private static byte[] gunzip(byte[] blob) throws IOException {
    try (GZIPInputStream in = new GZIPInputStream(new ByteArrayInputStream(blob))) {
      return in.readAllBytes();
    }
  }

  @Test
  void randomDataIsStoredAndTextCompressed() throws IOException {
    byte[] tar = Layers.tar(mixed());
    long[] stored = new long[1];
    byte[] blob = tarGzip(tar, 0, stored);

    // exactly the data of the two random files of at least 1 KiB went out stored
    assertThat(stored[0]).isEqualTo(MIB + 5000);
    // the random MiB costs its size, the text what gzip -6 makes of it alone, plus framing
    int textAlone = gzip(text(MIB, 3), 6).length;
    assertThat(textAlone).isLessThan(MIB / 3);
    assertThat((long) blob.length).isBetween((long) MIB + 5000, (long) MIB + 5000 + textAlone + 8192);
    // whole-layer level 0 (the old rule for such a layer) kept the text uncompressed
    assertThat(gzip(tar, 0).length).isGreaterThan(2 * MIB);
  }

  @Test
  void decompressesToTheExactTar() throws IOException {
    byte[] tar = Layers.tar(mixed());
    assertThat(gunzip(tarGzip(tar, 0, null))).isEqualTo(tar);
  }

  @Test
  void sameTarSameBytesHoweverItIsWrittenOnAnyNumberOfThreads() throws IOException {
    byte[] tar = Layers.tar(mixed());
    byte[] once = tarGzip(tar, 0, null, 1);
    for (int workers : new int[] {1, 2, 4}) {
      assertThat(tarGzip(tar, 0, null, workers)).as("%d workers", workers).isEqualTo(once);
      for (int step : new int[] {1 << 20, 65537, 4096, 513, 511, 7, 1}) {
        assertThat(tarGzip(tar, step, null, workers))
            .as("%d workers, writes of %d bytes", workers, step).isEqualTo(once);
      }
    }
  }

  /** Many small entries, stored and deflated in turn: level changes inside and across chunks. */
  static List<LayerEntry> manySmall() {
    List<LayerEntry> entries = new ArrayList<>();
    for (int i = 0; i < 300; i++) {
      entries.add(LayerEntry.file("r/" + i, 0644, random(1024 + 37 * i, 100 + i)));
      entries.add(LayerEntry.file("t/" + i, 0644, text(300 + 101 * i, 1000 + i)));
    }
    return entries;
  }

  @Test
  void manyLevelChangesStaySameBytesAndRoundTrip() throws IOException {
    byte[] tar = Layers.tar(manySmall());
    assertThat(tar.length).isGreaterThan(10 * ChunkedGzip.CHUNK);
    byte[] once = tarGzip(tar, 0, null, 1);
    assertThat(gunzip(once)).isEqualTo(tar);
    for (int workers : new int[] {2, 4}) {
      for (int step : new int[] {0, 1, 1000, 1 << 20}) {
        assertThat(tarGzip(tar, step, null, workers))
            .as("%d workers, writes of %d bytes", workers, step).isEqualTo(once);
      }
    }
  }

  @Test
  void chunkedTextCompressesAlmostAsOneStream() throws IOException {
    // the 32 KiB dictionary of each chunk keeps the ratio of one level-6 stream within a few %
    byte[] tar = Layers.tar(List.of(LayerEntry.file("big.txt", 0644, text(8 * MIB, 11))));
    int chunked = tarGzip(tar, 0, null, 2).length;
    int single = gzip(tar, 6).length;
    assertThat((double) chunked / single).isBetween(0.97, 1.03);
    assertThat(gunzip(tarGzip(tar, 0, null, 2))).isEqualTo(tar);
  }

  @Test
  void aFailingTargetSurfacesAndLeavesNoThreads() throws Exception {
    byte[] tar = Layers.tar(List.of(LayerEntry.file("big.txt", 0644, text(4 * MIB, 12))));
    java.util.Set<Thread> before = Thread.getAllStackTraces().keySet();
    OutputStream failing = new OutputStream() {
      long written;

      @Override
      public void write(int b) throws IOException {
        write(new byte[] {(byte) b}, 0, 1);
      }

      @Override
      public void write(byte[] b, int off, int len) throws IOException {
        written += len;
        if (written > 100_000) {
          throw new IOException("disk full");
        }
      }
    };
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> {
      try (TarGzip z = new TarGzip(failing, 6, 4)) {
        for (int off = 0; off < tar.length; off += 4096) {
          z.write(tar, off, Math.min(4096, tar.length - off));
        }
      }
    }).isInstanceOf(IOException.class).hasMessageContaining("disk full");
    // the pool has terminated when close returns; a thread may take a moment more to exit
    for (Thread t : Thread.getAllStackTraces().keySet()) {
      if (!before.contains(t) && t.getName().startsWith("jbuild-gzip-")) {
        t.join(10_000);
        assertThat(t.isAlive()).as("%s", t).isFalse();
      }
    }
  }

  @Test
  void layerWriterGivesTheSameBlobAsTheTarCompressedAfterwards() throws IOException {
    // COPY layers (LayerWriter, through its compression pipe) and RUN layers (the worker
    // compresses the plain tar) agree
    byte[] tar = Layers.tar(mixed());
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    LayerBlob blob = new LayerWriter(LayerWriter.Options.of(Compression.GZIP)).write(mixed(), out);
    assertThat(out.toByteArray()).isEqualTo(tarGzip(tar, 8192, null));
    assertThat(blob.diffId()).isEqualTo(dev.jbuild.oci.Digest.of(tar));
  }

  @Test
  void smallCompressibleLayerIsPlainGzipAtItsLevel() throws IOException {
    // no level change within one chunk: the bytes of GZIPOutputStream at level 6 (a larger
    // layer is cut into chunks, which one stream does not do)
    List<LayerEntry> entries = List.of(
        LayerEntry.file("a.txt", 0644, text(80_000, 7)),
        LayerEntry.file("b.txt", 0644, text(40_000, 8)));
    byte[] tar = Layers.tar(entries);
    assertThat(tar.length).isLessThan(ChunkedGzip.CHUNK);
    long[] stored = new long[1];
    assertThat(tarGzip(tar, 0, stored)).isEqualTo(gzip(tar, 6));
    assertThat(stored[0]).isZero();
  }

  @Test
  void levelZeroStoresEverythingAndAnythingNotATarStillRoundTrips() throws IOException {
    byte[] tar = Layers.tar(mixed());
    byte[] stored = null;
    for (int step : new int[] {tar.length, 100_000, 777}) {
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      try (OutputStream z = new TarGzip(out, 0)) {
        for (int off = 0; off < tar.length; off += step) {
          z.write(tar, off, Math.min(step, tar.length - off));
        }
      }
      assertThat(out.size()).isBetween(tar.length, tar.length + tar.length / 1000 + 64);
      assertThat(gunzip(out.toByteArray())).isEqualTo(tar);
      if (stored != null) {
        assertThat(out.toByteArray()).as("writes of %d bytes", step).isEqualTo(stored);
      }
      stored = out.toByteArray();
    }

    byte[] notTar = text(300_000, 9);
    notTar[148] = 'x'; // no valid header checksum
    assertThat(gunzip(tarGzip(notTar, 1000, null))).isEqualTo(notTar);
    byte[] cut = java.util.Arrays.copyOf(tar, 512 + 3000); // ends inside a sample
    assertThat(gunzip(tarGzip(cut, 0, null))).isEqualTo(cut);
  }

  @Test
  void paxSizeRecord() {
    assertThat(TarGzip.paxSize("19 size=9000000000\n".getBytes(StandardCharsets.US_ASCII)))
        .isEqualTo(9_000_000_000L);
    assertThat(TarGzip.paxSize("12 path=abc\n19 size=9000000000\n".getBytes(StandardCharsets.US_ASCII)))
        .isEqualTo(9_000_000_000L);
    assertThat(TarGzip.paxSize("12 path=abc\n".getBytes(StandardCharsets.US_ASCII))).isEqualTo(-1);
    assertThat(TarGzip.paxSize("99 size=1\n".getBytes(StandardCharsets.US_ASCII))).isEqualTo(-1);
  }

  @Test
  void gzipToolAcceptsTheBlobAndUnpacksTheTar() throws Exception {
    byte[] tar = Layers.tar(mixed());
    Path blob = Files.write(tmp.resolve("layer.tar.gz"), tarGzip(tar, 0, null));
    Process test = new ProcessBuilder("gzip", "-t", blob.toString()).redirectErrorStream(true).start();
    String output = new String(test.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(test.waitFor(60, TimeUnit.SECONDS)).isTrue();
    assertThat(test.exitValue()).as("gzip -t: %s", output).isZero();
    Path out = Files.createDirectory(tmp.resolve("x"));
    Process list = new ProcessBuilder("tar", "-tzf", blob.toString()).redirectErrorStream(true).start();
    String listed = new String(list.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(list.waitFor(60, TimeUnit.SECONDS)).isTrue();
    assertThat(list.exitValue()).as("tar -tzf: %s", listed).isZero();
    assertThat(listed).contains("b/random.bin", "c/source.txt", "f/link");
    Process untar = new ProcessBuilder("tar", "-xzf", blob.toString(), "-C", out.toString())
        .redirectErrorStream(true).start();
    String tarOutput = new String(untar.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(untar.waitFor(60, TimeUnit.SECONDS)).isTrue();
    assertThat(untar.exitValue()).as("tar -xzf: %s", tarOutput).isZero();
    assertThat(Files.readAllBytes(out.resolve("b/random.bin"))).isEqualTo(random(MIB, 2));
    assertThat(Files.readAllBytes(out.resolve("c/source.txt"))).isEqualTo(text(MIB, 3));
  }
}
