package dev.jbuild.build.sandbox;

import static org.assertj.core.api.Assertions.assertThat;

import dev.jbuild.layer.Compression;
import dev.jbuild.layer.LayerBlob;
import dev.jbuild.oci.Digest;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Compressing a step's plain layer tar: stored when it does not shrink, digests right. */
class LayerCompressionTest {

  @TempDir Path tmp;

  private Path file(String name, byte[] content) throws IOException {
    return Files.write(tmp.resolve(name), content);
  }

  private static byte[] random(int size) {
    byte[] b = new byte[size];
    new Random(42).nextBytes(b);
    return b;
  }

  private static byte[] text(int size) {
    StringBuilder sb = new StringBuilder();
    for (int i = 0; sb.length() < size; i++) {
      sb.append("record ").append(i).append('\n');
    }
    return sb.substring(0, size).getBytes(StandardCharsets.US_ASCII);
  }

  @Test
  void randomDataIsIncompressibleTextIsNotSmallFilesNeverAre() throws IOException {
    assertThat(LayerCompression.incompressible(file("r", random(3 << 20)))).isTrue();
    assertThat(LayerCompression.incompressible(file("t", text(3 << 20)))).isFalse();
    assertThat(LayerCompression.incompressible(file("s", random(100_000)))).isFalse();
  }

  @Test
  void blobsDecompressToTheTarAndCarryTheirDigest() throws IOException {
    for (byte[] content : new byte[][] {random(3 << 20), text(3 << 20), text(1000)}) {
      for (Compression c : new Compression[] {Compression.GZIP, Compression.ZSTD}) {
        Path tar = file("tar", content);
        LayerBlob plain = new LayerBlob(Digest.of(content), Digest.of(content), content.length,
            Compression.NONE.mediaType());
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        LayerBlob blob = LayerCompression.compress(tar, plain, c, c.defaultLevel(), out);
        byte[] bytes = out.toByteArray();
        assertThat(blob.digest()).isEqualTo(Digest.of(bytes));
        assertThat(blob.size()).isEqualTo(bytes.length);
        assertThat(blob.diffId()).isEqualTo(plain.diffId());
        assertThat(blob.mediaType()).isEqualTo(c.mediaType());
        try (InputStream in = Compression.decompressed(new java.io.ByteArrayInputStream(bytes))) {
          assertThat(in.readAllBytes()).isEqualTo(content);
        }
      }
    }
  }
}
