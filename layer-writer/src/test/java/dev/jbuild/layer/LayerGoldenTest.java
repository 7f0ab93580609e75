package dev.jbuild.layer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The bytes of a fixed layer are pinned in {@code testdata/layers/sample/expected}: a change to
 * header encoding, ordering or clamping shows up as a diff to review, and the same diffID is
 * what any machine must produce. {@code -Djbuild.golden.update=true} rewrites the file.
 */
class LayerGoldenTest {
  private static final boolean UPDATE = Boolean.getBoolean("jbuild.golden.update");

  @Test
  void sampleLayerIsByteStable() throws Exception {
    List<LayerEntry> entries = new java.util.ArrayList<>(LayerWriterTest.sample());
    entries.add(LayerEntry.file("late", 0644, new byte[] {1}).withMtime(Instant.ofEpochSecond(2_000_000_000L)));
    LayerWriter plain = new LayerWriter(LayerWriter.Options.of(Compression.NONE)
        .withSourceDateEpoch(Instant.ofEpochSecond(1_800_000_000L)));
    ByteArrayOutputStream tar = new ByteArrayOutputStream();
    LayerBlob blob = plain.write(entries, tar);
    LayerBlob zstd = new LayerWriter(LayerWriter.Options.of(Compression.ZSTD)
        .withSourceDateEpoch(Instant.ofEpochSecond(1_800_000_000L)))
        .write(entries, java.io.OutputStream.nullOutputStream());

    StringBuilder actual = new StringBuilder();
    for (LayerEntry e : Layers.read(tar.toByteArray())) {
      actual.append(String.format("%s %04o %d:%d %d %d %s%s%s%n", e.type(), e.mode(), e.uid(), e.gid(),
          e.mtime().getEpochSecond(), e.size(), e.path(),
          e.linkTarget().isEmpty() ? "" : " -> " + e.linkTarget(), xattrs(e.xattrs())));
    }
    actual.append("tar bytes ").append(tar.size()).append('\n');
    actual.append("diffID ").append(blob.diffId()).append('\n');
    actual.append("zstd-3 digest ").append(zstd.digest()).append(" (zstd-jni 1.5.7-28)\n");

    Path expected = Path.of(System.getProperty("jbuild.testdata.dir", "../testdata"), "layers", "sample", "expected");
    if (UPDATE) {
      Files.createDirectories(expected.getParent());
      Files.writeString(expected, actual);
    }
    if (!Files.exists(expected)) {
      fail(expected + " is missing (run with -Djbuild.golden.update=true and review it); actual:\n" + actual);
    }
    assertThat(actual.toString()).isEqualTo(Files.readString(expected, StandardCharsets.UTF_8));
  }

  private static String xattrs(Map<String, byte[]> x) {
    StringBuilder b = new StringBuilder();
    x.forEach((k, v) -> b.append(' ').append(k).append("=0x").append(HexFormat.of().formatHex(v)));
    return b.toString();
  }
}
