package dev.jbuild.build.sandbox;

import static org.assertj.core.api.Assertions.assertThat;

import dev.jbuild.layer.Compression;
import dev.jbuild.layer.LayerBlob;
import dev.jbuild.layer.LayerEntry;
import dev.jbuild.layer.LayerWriter;
import dev.jbuild.oci.Digest;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Compressing a step's plain layer tar: per-entry gzip levels as for COPY layers, digests right. */
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
  void gzipStoresTheRandomFileCompressesTheTextAsTheLayerWriterDoes() throws IOException {
    // a step that writes a jar-like file beside text: per-entry levels, and the very blob
    // that the builder's LayerWriter gives for the same tree (COPY and RUN layers agree)
    List<LayerEntry> entries = List.of(
        LayerEntry.file("app/lib.jar", 0644, random(2 << 20)),
        LayerEntry.file("app/notes.txt", 0644, text(2 << 20)));
    ByteArrayOutputStream plainTar = new ByteArrayOutputStream();
    LayerBlob plain = new LayerWriter(LayerWriter.Options.of(Compression.NONE)).write(entries, plainTar);
    Path tar = file("layer.tar", plainTar.toByteArray());
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    LayerBlob blob = LayerCompression.compress(tar, plain, Compression.GZIP, 6, out);
    ByteArrayOutputStream direct = new ByteArrayOutputStream();
    LayerBlob copy = new LayerWriter(LayerWriter.Options.of(Compression.GZIP)).write(entries, direct);
    assertThat(out.toByteArray()).isEqualTo(direct.toByteArray());
    assertThat(blob.digest()).isEqualTo(copy.digest());
    // the random 2 MiB stored, the text (a few bytes a line) shrunk well below its size
    assertThat(blob.size()).isBetween(2L << 20, (2L << 20) + (1L << 20));
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
