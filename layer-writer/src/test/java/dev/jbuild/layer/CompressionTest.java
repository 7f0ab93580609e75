package dev.jbuild.layer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** zstd on several threads: the same bytes whatever the number of workers, and a valid frame. */
class CompressionTest {

  /** 20 MB, several zstd jobs: random blocks (jars) between stretches of source-like text. */
  private static byte[] data;

  @TempDir Path tmp;

  @BeforeAll
  static void makeData() {
    Random random = new Random(3);
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    byte[] text = "  public static int answer() { return 42; } // the answer\n"
        .repeat(2000).getBytes(StandardCharsets.US_ASCII);
    byte[] noise = new byte[300_000];
    while (out.size() < 20_000_000) {
      random.nextBytes(noise);
      out.write(noise, 0, 50_000 + random.nextInt(250_000));
      out.write(text, random.nextInt(1000), 50_000 + random.nextInt(60_000));
    }
    data = out.toByteArray();
  }

  private static byte[] zstd(int workers) throws IOException {
    ByteArrayOutputStream blob = new ByteArrayOutputStream();
    try (OutputStream z = Compression.ZSTD.compressor(blob, 3, workers)) {
      // uneven writes, as the compression pipe hands them over
      int off = 0;
      int step = 1;
      while (off < data.length) {
        int n = Math.min(data.length - off, step);
        z.write(data, off, n);
        off += n;
        step = step * 7 % 1_500_007 + 1;
      }
    }
    return blob.toByteArray();
  }

  @Test
  void zstdOutputDoesNotDependOnTheNumberOfWorkers() throws IOException {
    byte[] one = zstd(1);
    assertThat(zstd(2)).isEqualTo(one);
    assertThat(zstd(3)).isEqualTo(one);
    assertThat(one.length).isLessThan(data.length * 3 / 4);
  }

  /** The same bytes written in pieces of these sizes (one of them uneven, as the tar thread). */
  private static byte[] zstdInPiecesOf(int piece, int workers) throws IOException {
    ByteArrayOutputStream blob = new ByteArrayOutputStream();
    try (OutputStream z = Compression.ZSTD.compressor(blob, 3, workers)) {
      for (int off = 0; off < data.length; off += piece) {
        z.write(data, off, Math.min(piece, data.length - off));
      }
    }
    return blob.toByteArray();
  }

  @Test
  void zstdOutputDoesNotDependOnHowTheStreamIsCutIntoWrites() throws IOException {
    byte[] uneven = zstd(2);
    for (int piece : new int[] {512, 1 << 18, 1 << 20, data.length}) {
      assertThat(zstdInPiecesOf(piece, 2)).as("pieces of %d", piece).isEqualTo(uneven);
    }
    assertThat(zstdInPiecesOf(1 << 18, 1)).isEqualTo(uneven);
  }

  /** Why nothing may flush a layer's zstd stream before it ends: a flush changes the bytes. */
  @Test
  void aFlushChangesTheZstdBytes() throws IOException {
    ByteArrayOutputStream blob = new ByteArrayOutputStream();
    try (OutputStream z = Compression.ZSTD.compressor(blob, 3, 2)) {
      z.write(data, 0, data.length / 2);
      z.flush();
      z.write(data, data.length / 2, data.length - data.length / 2);
    }
    assertThat(blob.toByteArray()).isNotEqualTo(zstd(2));
  }

  @Test
  void zstdOutputReadsBackWhole() throws IOException {
    try (InputStream in = Compression.decompressed(new ByteArrayInputStream(zstd(Compression.ZSTD_WORKERS)))) {
      assertThat(in.readAllBytes()).isEqualTo(data);
    }
  }

  @Test
  void theZstdCommandReadsTheFrame() throws Exception {
    Path blob = tmp.resolve("blob.zst");
    Files.write(blob, zstd(2));
    Process p;
    try {
      p = new ProcessBuilder("zstd", "-d", "-c", "-q", blob.toString())
          .redirectOutput(tmp.resolve("out").toFile())
          .redirectError(ProcessBuilder.Redirect.INHERIT)
          .start();
    } catch (IOException e) {
      assumeTrue(false, "no zstd command: " + e.getMessage());
      return;
    }
    assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
    assertThat(p.exitValue()).isZero();
    assertThat(Files.readAllBytes(tmp.resolve("out"))).isEqualTo(data);
  }

  @Test
  void zstdNeedsAWorker() {
    assertThatThrownBy(() -> Compression.ZSTD.compressor(OutputStream.nullOutputStream(), 3, 0))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("at least one worker");
  }
}
