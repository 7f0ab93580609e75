package dev.jbuild.layer;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.zip.CRC32;
import java.util.zip.Deflater;
import java.util.zip.GZIPInputStream;
import org.junit.jupiter.api.Test;

/**
 * ChunkedGzip against its definition computed the plain way, a fresh deflater per chunk: the
 * reused buffers and deflaters must not change a byte, whatever the levels, threads and writes.
 */
class ChunkedGzipTest {
  private static final int[] LEVELS = {0, 1, 6, 9};

  @Test
  void bytesAreThoseOfAFreshDeflaterPerChunk() throws IOException {
    Random r = new Random(5);
    for (int round = 0; round < 12; round++) {
      byte[] data = mixed(r, ChunkedGzip.CHUNK * (2 + r.nextInt(9)) + r.nextInt(ChunkedGzip.CHUNK));
      // the level of each byte: switches at random offsets, some at chunk boundaries
      int[] levelAt = new int[data.length];
      int level = LEVELS[r.nextInt(LEVELS.length)];
      int firstLevel = level;
      for (int i = 0; i < data.length; i++) {
        if (r.nextInt(40_000) == 0 || (i % ChunkedGzip.CHUNK == 0 && r.nextInt(4) == 0)) {
          level = LEVELS[r.nextInt(LEVELS.length)];
        }
        levelAt[i] = level;
      }
      byte[] expected = reference(data, levelAt, firstLevel);
      for (int workers : new int[] {1, 3}) {
        byte[] got = chunked(data, levelAt, firstLevel, workers, r);
        assertThat(got).as("round %d, %d workers", round, workers).isEqualTo(expected);
      }
      assertThat(new GZIPInputStream(new ByteArrayInputStream(expected)).readAllBytes())
          .isEqualTo(data);
    }
  }

  @Test
  void oneStreamAfterAnotherGivesTheSameBytes() throws IOException {
    // deflaters and buffers from a first stream must not leak into a second
    Random r = new Random(9);
    byte[] data = mixed(r, 5 * ChunkedGzip.CHUNK + 1234);
    int[] levelAt = new int[data.length];
    for (int i = 0; i < data.length; i++) {
      levelAt[i] = (i / 70_000) % 2 == 0 ? 6 : 0;
    }
    byte[] first = chunked(data, levelAt, 6, 2, r);
    byte[] second = chunked(data, levelAt, 6, 2, r);
    assertThat(second).isEqualTo(first).isEqualTo(reference(data, levelAt, 6));
  }

  /** Text-like runs (repeated words) and random runs, as a layer of sources and jars has. */
  private static byte[] mixed(Random r, int n) {
    byte[] out = new byte[n];
    String[] words = {"public ", "class ", "return ", "int ", "{\n", "}\n", "layer ", "jbuild "};
    int i = 0;
    while (i < n) {
      int run = Math.min(n - i, 1 + r.nextInt(60_000));
      if (r.nextBoolean()) {
        byte[] noise = new byte[run];
        r.nextBytes(noise);
        System.arraycopy(noise, 0, out, i, run);
        i += run;
      } else {
        int end = i + run;
        while (i < end) {
          byte[] w = words[r.nextInt(words.length)].getBytes();
          int k = Math.min(w.length, end - i);
          System.arraycopy(w, 0, out, i, k);
          i += k;
        }
      }
    }
    return out;
  }

  private static byte[] chunked(byte[] data, int[] levelAt, int firstLevel, int workers, Random r)
      throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ChunkedGzip gz = new ChunkedGzip(out, firstLevel, workers);
    int i = 0;
    while (i < data.length) {
      gz.level(levelAt[i]);
      int end = i + 1;
      int limit = Math.min(data.length, i + 1 + r.nextInt(50_000));
      while (end < limit && levelAt[end] == levelAt[i]) {
        end++;
      }
      gz.write(data, i, end - i);
      i = end;
    }
    gz.finish();
    return out.toByteArray();
  }

  /** The class comment's definition, with a new Deflater for every chunk. */
  private static byte[] reference(byte[] data, int[] levelAt, int firstLevel) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.write(new byte[] {0x1f, (byte) 0x8b, 8, 0, 0, 0, 0, 0, 0, (byte) 0xff});
    int chunk = ChunkedGzip.CHUNK;
    int chunks = Math.max(1, (data.length + chunk - 1) / chunk);
    if (data.length % chunk == 0 && data.length > 0) {
      chunks++; // a full last chunk is submitted; the empty one after it finishes the stream
    }
    for (int k = 0; k < chunks; k++) {
      int from = k * chunk;
      int to = Math.min(data.length, from + chunk);
      boolean last = k == chunks - 1;
      List<int[]> runs = new ArrayList<>(); // {start, level}
      for (int i = from; i < to; i++) {
        if (runs.isEmpty() || runs.get(runs.size() - 1)[1] != levelAt[i]) {
          runs.add(new int[] {i, levelAt[i]});
        }
      }
      int emptyLevel = data.length == 0 ? firstLevel : levelAt[data.length - 1];
      Deflater d = new Deflater(runs.isEmpty() ? emptyLevel : runs.get(0)[1], true);
      byte[] o = new byte[64 * 1024];
      if (from > 0) {
        d.setDictionary(data, from - ChunkedGzip.WINDOW, ChunkedGzip.WINDOW);
      }
      for (int j = 0; j < runs.size(); j++) {
        if (j > 0) {
          drain(d, o, out, Deflater.SYNC_FLUSH);
          d.setLevel(runs.get(j)[1]);
          drain(d, o, out, Deflater.NO_FLUSH);
        }
        int end = j + 1 < runs.size() ? runs.get(j + 1)[0] : to;
        d.setInput(data, runs.get(j)[0], end - runs.get(j)[0]);
        while (!d.needsInput()) {
          out.write(o, 0, d.deflate(o, 0, o.length, Deflater.NO_FLUSH));
        }
      }
      if (last) {
        d.finish();
        while (!d.finished()) {
          out.write(o, 0, d.deflate(o, 0, o.length, Deflater.NO_FLUSH));
        }
      } else {
        drain(d, o, out, Deflater.SYNC_FLUSH);
      }
      d.end();
    }
    CRC32 crc = new CRC32();
    crc.update(data);
    long c = crc.getValue();
    for (int i = 0; i < 4; i++) {
      out.write((int) (c >>> (8 * i)));
    }
    for (int i = 0; i < 4; i++) {
      out.write(data.length >>> (8 * i));
    }
    return out.toByteArray();
  }

  private static void drain(Deflater d, byte[] o, ByteArrayOutputStream to, int flush) {
    int n;
    do {
      n = d.deflate(o, 0, o.length, flush);
      to.write(o, 0, n);
    } while (n == o.length);
  }
}
