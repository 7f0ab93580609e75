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
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** Compressing a step's plain layer tar: per-entry gzip levels as for COPY layers, digests right. */
class LayerCompressionTest {

  /** The blob of {@code tar}, written to the compressing stream {@code writeSize} bytes at a time. */
  private static LayerBlob compress(byte[] tar, LayerBlob plain, Compression c, int level,
      ByteArrayOutputStream out, int writeSize) throws IOException {
    LayerCompression z = new LayerCompression(c, level, out);
    for (int off = 0; off < tar.length; off += writeSize) {
      z.write(tar, off, Math.min(writeSize, tar.length - off));
      z.flush(); // as the layer writer's buffer flushes at its end: must change nothing
    }
    return z.finish(plain);
  }

  @Test
  void theBlobIsTheLayerWritersWhateverTheWriteSizes() throws IOException {
    // the layer writer's compressor given the whole tar at once: a RUN layer is the blob a COPY
    // of the same tree gives, however the snapshot's writes split the tar
    byte[] tar = new byte[(3 << 20) + 1234];
    byte[] text = text(tar.length);
    byte[] noise = random(tar.length);
    for (int i = 0; i < tar.length; i++) {
      tar[i] = (i / 100_000) % 3 == 0 ? noise[i] : text[i];
    }
    LayerBlob plain = new LayerBlob(Digest.of(tar), Digest.of(tar), tar.length,
        Compression.NONE.mediaType());
    for (Compression c : new Compression[] {Compression.GZIP, Compression.ZSTD}) {
      ByteArrayOutputStream whole = new ByteArrayOutputStream();
      try (OutputStream z = c.compressor(whole, c.defaultLevel())) {
        z.write(tar);
      }
      for (int writeSize : new int[] {1, 511, 8192, 10_000, 256 * 1024, tar.length}) {
        if (writeSize == 1 && c == Compression.GZIP) {
          continue; // TarGzip's own tests cover tiny writes; one byte at a time takes long here
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        LayerBlob blob = compress(tar, plain, c, c.defaultLevel(), out, writeSize);
        assertThat(out.toByteArray()).as(c + " written " + writeSize + " bytes at a time")
            .isEqualTo(whole.toByteArray());
        assertThat(blob.digest()).isEqualTo(Digest.of(whole.toByteArray()));
      }
    }
  }

  @Test
  void aDiscardedBlobWritesNothingMore() throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    LayerCompression z = new LayerCompression(Compression.GZIP, 6, out);
    z.write(text(1 << 20), 0, 1 << 20);
    int before = out.size();
    z.discard();
    assertThat(out.size()).isEqualTo(before);
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
  void runLayersAreTheBlobsTheLayerWriterGivesForTheSameTree() throws IOException {
    // a step that writes a jar-like file beside text: per-entry gzip levels, multi-threaded
    // zstd, and the very blob that the builder's LayerWriter gives for the same tree (COPY and
    // RUN layers agree)
    List<LayerEntry> entries = List.of(
        LayerEntry.file("app/lib.jar", 0644, random(2 << 20)),
        LayerEntry.file("app/notes.txt", 0644, text(2 << 20)));
    ByteArrayOutputStream plainTar = new ByteArrayOutputStream();
    LayerBlob plain = new LayerWriter(LayerWriter.Options.of(Compression.NONE)).write(entries, plainTar);
    for (Compression c : new Compression[] {Compression.GZIP, Compression.ZSTD}) {
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      LayerBlob blob =
          compress(plainTar.toByteArray(), plain, c, c.defaultLevel(), out, 64 * 1024);
      ByteArrayOutputStream direct = new ByteArrayOutputStream();
      LayerBlob copy = new LayerWriter(LayerWriter.Options.of(c)).write(entries, direct);
      assertThat(out.toByteArray()).as(c.toString()).isEqualTo(direct.toByteArray());
      assertThat(blob.digest()).isEqualTo(copy.digest());
      if (c == Compression.GZIP) {
        // the random 2 MiB stored, the text (a few bytes a line) shrunk well below its size
        assertThat(blob.size()).isBetween(2L << 20, (2L << 20) + (1L << 20));
      }
    }
  }


  @Test
  void blobsDecompressToTheTarAndCarryTheirDigest() throws IOException {
    for (byte[] content : new byte[][] {random(3 << 20), text(3 << 20), text(1000)}) {
      for (Compression c : new Compression[] {Compression.GZIP, Compression.ZSTD}) {
        LayerBlob plain = new LayerBlob(Digest.of(content), Digest.of(content), content.length,
            Compression.NONE.mediaType());
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        LayerBlob blob = compress(content, plain, c, c.defaultLevel(), out, 256 * 1024);
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
