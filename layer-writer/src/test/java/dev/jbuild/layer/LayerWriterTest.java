package dev.jbuild.layer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.jbuild.oci.Digest;
import dev.jbuild.oci.MediaTypes;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class LayerWriterTest {
  /**
   * security.capability as {@code setcap cap_setuid,cap_net_raw+ep} writes it (VFS_CAP_REVISION_2,
   * effective): binary, with NULs and a byte (0x80) that is not valid UTF-8.
   */
  static final byte[] CAP_NET_RAW = {
    0x01, 0x00, 0x00, 0x02, (byte) 0x80, 0x20, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00
  };

  static List<LayerEntry> sample() {
    Instant t = Instant.ofEpochSecond(1_700_000_000L);
    List<LayerEntry> l = new ArrayList<>();
    l.add(LayerEntry.directory("usr", 0755).withMtime(t));
    l.add(LayerEntry.directory("usr/bin", 0755).withMtime(t));
    l.add(LayerEntry.file("usr/bin/ping", 04755, "ping!".getBytes(StandardCharsets.UTF_8))
        .withMtime(t).withXattrs(Map.of("security.capability", CAP_NET_RAW)));
    l.add(LayerEntry.file("usr/bin/a-b", 0644, new byte[0]).withMtime(t));
    l.add(LayerEntry.symlink("usr/bin/sh", "busybox").withMtime(t));
    l.add(LayerEntry.file("etc/" + "x".repeat(150), 0600, "long".getBytes(StandardCharsets.UTF_8)).withMtime(t));
    l.add(LayerEntry.file("etc/grüße-日本", 0644, "utf8".getBytes(StandardCharsets.UTF_8)).withMtime(t));
    l.add(LayerEntry.file("home/big", 0644, new byte[70_000]).withOwner(4_000_000_000L, 3_000_000_000L)
        .withMtime(t));
    l.add(LayerEntry.hardlink("home/link", "home/big"));
    l.add(LayerEntry.fifo("run/fifo", 0600).withMtime(t));
    l.add(LayerEntry.device("dev/null", EntryType.CHAR_DEVICE, 0666, 1, 3).withMtime(t));
    l.add(LayerEntry.device("dev/sda", EntryType.BLOCK_DEVICE, 0660, 8, 0).withMtime(t));
    l.add(LayerEntry.whiteout("var/gone").withMtime(t));
    return l;
  }

  @ParameterizedTest
  @EnumSource(Compression.class)
  void sameEntriesInAnyOrderGiveTheSameBytesAndDigests(Compression c) throws Exception {
    LayerWriter w = new LayerWriter(LayerWriter.Options.of(c));
    ByteArrayOutputStream a = new ByteArrayOutputStream();
    LayerBlob ba = w.write(sample(), a);
    List<LayerEntry> shuffled = new ArrayList<>(sample());
    Collections.shuffle(shuffled, new Random(42));
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    LayerBlob bb = w.write(shuffled, b);

    assertThat(b.toByteArray()).isEqualTo(a.toByteArray());
    assertThat(bb).isEqualTo(ba);
    assertThat(ba.digest()).isEqualTo(Digest.of(a.toByteArray()));
    assertThat(ba.size()).isEqualTo(a.size());
    assertThat(ba.mediaType()).isEqualTo(c.mediaType());
    byte[] plain = Compression.decompressed(new ByteArrayInputStream(a.toByteArray())).readAllBytes();
    assertThat(ba.diffId()).isEqualTo(Digest.of(plain));
    assertThat(plain).isEqualTo(Layers.tar(sample()));
  }

  @Test
  void mediaTypesFollowCompression() {
    assertThat(Compression.GZIP.mediaType()).isEqualTo(MediaTypes.OCI_LAYER_GZIP);
    assertThat(Compression.ZSTD.mediaType()).isEqualTo(MediaTypes.OCI_LAYER_ZSTD);
    assertThat(Compression.NONE.mediaType()).isEqualTo(MediaTypes.OCI_LAYER);
  }

  @Test
  void everyFieldSurvivesAReadBack() throws Exception {
    List<LayerEntry> read = Layers.read(Layers.tar(sample()));
    Map<String, LayerEntry> byPath = read.stream().collect(Collectors.toMap(LayerEntry::path, e -> e));
    for (LayerEntry e : sample()) {
      if (e.type() == EntryType.HARDLINK) {
        continue;
      }
      LayerEntry r = byPath.get(e.path());
      assertThat(r).as(e.path()).isEqualTo(e);
      assertThat(Layers.contentOf(r)).isEqualTo(Layers.contentOf(e));
    }
    LayerEntry link = byPath.get("home/link");
    assertThat(link.type()).isEqualTo(EntryType.HARDLINK);
    assertThat(link.linkTarget()).isEqualTo("home/big");
    assertThat(link.uid()).isEqualTo(4_000_000_000L);
    assertThat(byPath.get("usr/bin/ping").xattrs().get("security.capability")).isEqualTo(CAP_NET_RAW);
    assertThat(byPath.get("dev/sda").devMajor()).isEqualTo(8);
  }

  @Test
  void orderPutsParentsFirstAndOpaqueMarkersFirstInTheirDirectory() throws Exception {
    List<LayerEntry> in = List.of(
        LayerEntry.file("b/c", 0644, new byte[0]),
        LayerEntry.file("a-b", 0644, new byte[0]),
        LayerEntry.file("a/x", 0644, new byte[0]),
        LayerEntry.file("a/-first", 0644, new byte[0]),
        LayerEntry.opaque("a"),
        LayerEntry.directory("a", 0755));
    List<String> names = Layers.read(Layers.tar(in)).stream().map(LayerEntry::path).collect(Collectors.toList());
    assertThat(names).containsExactly("a", "a/.wh..wh..opq", "a/-first", "a/x", "a-b", "b", "b/c");
  }

  @Test
  void tarNamesAreThoseOfDockerLayers() throws Exception {
    byte[] tar = Layers.tar(List.of(LayerEntry.file("d/f", 0644, new byte[0])));
    assertThat(new String(tar, 0, 2, StandardCharsets.US_ASCII)).isEqualTo("d/");
    assertThat(new String(tar, 512, 3, StandardCharsets.US_ASCII)).isEqualTo("d/f");
    assertThat(tar).hasSize(4 * 512); // two headers, two end blocks: no record padding
    // uname/gname empty, magic ustar\0 00
    assertThat(new String(tar, 257, 8, StandardCharsets.US_ASCII)).isEqualTo("ustar\u000000");
    assertThat(tar[265]).isZero();
  }

  @Test
  void missingParentsAreAddedAsRootOwned0755Directories() throws Exception {
    List<LayerEntry> read = Layers.read(Layers.tar(List.of(LayerEntry.file("x/y/z", 0600, new byte[0]))));
    assertThat(read.get(0)).isEqualTo(LayerEntry.directory("x", 0755));
    assertThat(read.get(1)).isEqualTo(LayerEntry.directory("x/y", 0755));
  }

  @Test
  void hardLinksArePointedAtTheFirstPathInLayerOrder() throws Exception {
    List<LayerEntry> read = Layers.read(Layers.tar(List.of(
        LayerEntry.file("z", 0640, "data".getBytes(StandardCharsets.UTF_8)),
        LayerEntry.hardlink("a", "z"),
        LayerEntry.hardlink("m", "a"))));
    assertThat(read).extracting(LayerEntry::path, LayerEntry::type, LayerEntry::linkTarget)
        .containsExactly(
            org.assertj.core.groups.Tuple.tuple("a", EntryType.FILE, ""),
            org.assertj.core.groups.Tuple.tuple("m", EntryType.HARDLINK, "a"),
            org.assertj.core.groups.Tuple.tuple("z", EntryType.HARDLINK, "a"));
    assertThat(new String(Layers.contentOf(read.get(0)), StandardCharsets.UTF_8)).isEqualTo("data");
    assertThat(read.get(1).mode()).isEqualTo(0640);
  }

  @Test
  void whiteoutsInsideAnOpaqueDirectoryAreDropped() throws Exception {
    List<String> names = Layers.read(Layers.tar(List.of(
        LayerEntry.opaque("d"), LayerEntry.whiteout("d/old"), LayerEntry.whiteout("e/old"))))
        .stream().map(LayerEntry::path).collect(Collectors.toList());
    assertThat(names).containsExactly("d", "d/.wh..wh..opq", "e", "e/.wh.old");
  }

  /**
   * The tar thread hands its bytes straight to zstd's workers; the blob must still be exactly the
   * frame that compressing the whole tar in one go gives (no flush on the way cuts a job short:
   * that would change the bytes), whatever the number of workers. 12 MB spans two zstd jobs.
   */
  @Test
  void aZstdLayerIsTheFrameOfItsTarCompressedInOneGo() throws Exception {
    Random random = new Random(11);
    List<LayerEntry> entries = new ArrayList<>();
    byte[] text = "  <dependency><groupId>dev.jbuild</groupId></dependency>\n".repeat(20_000)
        .getBytes(StandardCharsets.US_ASCII);
    for (int i = 0; i < 12; i++) {
      byte[] b = new byte[500_000 + random.nextInt(500_000)];
      if (i % 2 == 0) {
        random.nextBytes(b);
      } else {
        System.arraycopy(text, 0, b, 0, Math.min(text.length, b.length));
      }
      entries.add(LayerEntry.file("lib/f" + i, 0644, b));
    }
    for (int i = 0; i < 2000; i++) {
      entries.add(LayerEntry.file("src/s" + i, 0644, ("class S" + i + " {}\n").getBytes(StandardCharsets.US_ASCII)));
    }
    byte[] tar = Layers.tar(entries);
    ByteArrayOutputStream layer = new ByteArrayOutputStream();
    LayerBlob blob = new LayerWriter(LayerWriter.Options.of(Compression.ZSTD)).write(entries, layer);

    for (int workers : new int[] {1, 2, 4}) {
      ByteArrayOutputStream frame = new ByteArrayOutputStream();
      try (java.io.OutputStream z = Compression.ZSTD.compressor(frame, 3, workers)) {
        z.write(tar);
      }
      assertThat(layer.toByteArray()).as("%d workers", workers).isEqualTo(frame.toByteArray());
    }
    assertThat(blob.diffId()).isEqualTo(Digest.of(tar));
    assertThat(blob.digest()).isEqualTo(Digest.of(layer.toByteArray()));
    assertThat(blob.size()).isEqualTo(layer.size());
    assertThat(tar.length).isGreaterThan(8 << 20);
  }

  /**
   * A layer of less than one gzip chunk is written on the caller's thread, a larger one through
   * the compression threads: on either side of that line the blob is the tar compressed in one
   * go, in every compression.
   */
  @ParameterizedTest
  @EnumSource(Compression.class)
  void layersOnEitherSideOfTheOneThreadSizeAreTheirTarCompressed(Compression c) throws Exception {
    byte[] text = "key.%d=some value that repeats\n".repeat(6_000).getBytes(StandardCharsets.US_ASCII);
    for (int size : new int[] {0, 100, ChunkedGzip.CHUNK - 4096, ChunkedGzip.CHUNK, 300_000}) {
      List<LayerEntry> entries = new ArrayList<>();
      entries.add(LayerEntry.directory("opt/app", 0755));
      if (size > 0) {
        entries.add(LayerEntry.file("opt/app/conf", 0644, java.util.Arrays.copyOf(text, size)));
      }
      byte[] tar = Layers.tar(entries);
      ByteArrayOutputStream expected = new ByteArrayOutputStream();
      try (java.io.OutputStream z =
          c == Compression.GZIP ? Compression.gzipTar(expected, 6)
              : c == Compression.ZSTD ? Compression.ZSTD.compressor(expected, 3, 1)
              : expected) {
        z.write(tar);
      }
      ByteArrayOutputStream layer = new ByteArrayOutputStream();
      LayerBlob blob = new LayerWriter(LayerWriter.Options.of(c)).write(entries, layer);
      assertThat(layer.toByteArray()).as("%s, %d bytes", c, size).isEqualTo(expected.toByteArray());
      assertThat(blob.diffId()).isEqualTo(Digest.of(tar));
      assertThat(blob.digest()).isEqualTo(Digest.of(layer.toByteArray()));
      assertThat(blob.size()).isEqualTo(layer.size());
    }
  }

  /** Sizes on either side of the 256 KiB copy buffer: the reads that end a file differ there. */
  private static final int[] SIZES_AROUND_THE_BUFFER =
      {1, 511, 512, 262_143, 262_144, 262_145, 524_288, 600_000};

  @Test
  void filesOnDiskOfAnySizeReadBackWhole(@TempDir Path tmp) throws Exception {
    Random random = new Random(5);
    List<LayerEntry> entries = new ArrayList<>();
    Map<String, byte[]> contents = new java.util.HashMap<>();
    for (int size : SIZES_AROUND_THE_BUFFER) {
      byte[] b = new byte[size];
      random.nextBytes(b);
      Path f = tmp.resolve("f" + size);
      Files.write(f, b);
      entries.add(LayerEntry.file("f" + size, 0644, size, Content.ofFile(f)));
      contents.put("f" + size, b);
    }
    for (LayerEntry r : Layers.read(Layers.tar(entries))) {
      assertThat(Layers.contentOf(r)).as(r.path()).isEqualTo(contents.get(r.path()));
    }
  }

  /**
   * File contents are read straight into the tar's buffer, so zstd is handed pieces whose sizes
   * depend on the files: a directory's zstd layer must still be the frame of its plain tar
   * compressed in one go, and its gzip layer the gzip of that tar, on every write.
   */
  @Test
  void aDirectorysCompressedLayersAreThoseOfItsPlainTar(@TempDir Path tmp) throws Exception {
    Random random = new Random(17);
    Path dir = tmp.resolve("tree");
    Files.createDirectories(dir.resolve("d"));
    byte[] text = "  <dependency><groupId>dev.jbuild</groupId></dependency>\n".repeat(40_000)
        .getBytes(StandardCharsets.US_ASCII);
    int i = 0;
    for (int size : SIZES_AROUND_THE_BUFFER) {
      for (int copy = 0; copy < 3; copy++) {
        byte[] b = new byte[size + copy * 1000];
        if (i++ % 2 == 0) {
          random.nextBytes(b);
        } else {
          System.arraycopy(text, 0, b, 0, Math.min(text.length, b.length));
        }
        Files.write(dir.resolve(copy == 1 ? "d/f" + i : "f" + i), b);
      }
    }
    for (int j = 0; j < 300; j++) {
      Files.writeString(dir.resolve("d/s" + j), "class S" + j + " {}\n".repeat(j));
    }
    byte[] tar = Layers.tar(dir);
    ByteArrayOutputStream frame = new ByteArrayOutputStream();
    try (java.io.OutputStream z = Compression.ZSTD.compressor(frame, 3, 1)) {
      z.write(tar);
    }
    ByteArrayOutputStream gzip = new ByteArrayOutputStream();
    try (java.io.OutputStream g = Compression.gzipTar(gzip, 6)) {
      g.write(tar);
    }
    for (int run = 0; run < 2; run++) {
      ByteArrayOutputStream zstdLayer = new ByteArrayOutputStream();
      LayerBlob blob = new LayerWriter(LayerWriter.Options.of(Compression.ZSTD))
          .writeDirectory(dir, false, zstdLayer);
      assertThat(zstdLayer.toByteArray()).as("zstd, run %d", run).isEqualTo(frame.toByteArray());
      assertThat(blob.diffId()).isEqualTo(Digest.of(tar));
      assertThat(blob.digest()).isEqualTo(Digest.of(frame.toByteArray()));
      ByteArrayOutputStream gzipLayer = new ByteArrayOutputStream();
      new LayerWriter(LayerWriter.Options.of(Compression.GZIP)).writeDirectory(dir, false, gzipLayer);
      assertThat(gzipLayer.toByteArray()).as("gzip, run %d", run).isEqualTo(gzip.toByteArray());
    }
  }

  @Test
  void aFileThatGrewIsRefusedWhateverItsSize(@TempDir Path tmp) throws Exception {
    for (int size : SIZES_AROUND_THE_BUFFER) {
      Path f = tmp.resolve("grown" + size);
      Files.write(f, new byte[size + 1]);
      assertThatThrownBy(() -> Layers.tar(List.of(LayerEntry.file("grown", 0644, size, Content.ofFile(f)))))
          .as("size %d", size)
          .hasMessageContaining("more bytes");
      Path g = tmp.resolve("shrunk" + size);
      Files.write(g, new byte[size - 1]);
      assertThatThrownBy(() -> Layers.tar(List.of(LayerEntry.file("shrunk", 0644, size, Content.ofFile(g)))))
          .as("size %d", size)
          .hasMessageContaining("fewer bytes");
    }
  }

  @Test
  void badEntryListsAreRefusedWithTheEntryNamed() {
    assertThatThrownBy(() -> Layers.tar(List.of(LayerEntry.file("a", 0644, new byte[0]),
        LayerEntry.file("a", 0644, new byte[0])))).hasMessageContaining("\"a\" appears twice");
    assertThatThrownBy(() -> Layers.tar(List.of(LayerEntry.hardlink("a", "nothere"))))
        .hasMessageContaining("nothere");
    assertThatThrownBy(() -> Layers.tar(List.of(LayerEntry.file("f", 0644, new byte[0]),
        LayerEntry.file("f/g", 0644, new byte[0])))).hasMessageContaining("\"f/g\" is inside \"f\"");
    assertThatThrownBy(() -> LayerEntry.file("../x", 0644, new byte[0])).hasMessageContaining("'..'");
    assertThatThrownBy(() -> LayerEntry.file("/x", 0644, new byte[0])).hasMessageContaining("relative");
    assertThatThrownBy(() -> LayerEntry.file("a\0b", 0644, new byte[0])).hasMessageContaining("NUL");
    assertThatThrownBy(() -> Layers.tar(List.of(LayerEntry.file("short", 0644, 10, Content.ofBytes(new byte[3])))))
        .hasMessageContaining("fewer bytes");
    assertThatThrownBy(() -> Layers.tar(List.of(LayerEntry.file("long", 0644, 2, Content.ofBytes(new byte[3])))))
        .hasMessageContaining("more bytes");
  }

  @Test
  void sourceDateEpochClampsLaterMtimesOnly() throws Exception {
    Instant epoch = Instant.ofEpochSecond(1_000_000_000L);
    LayerWriter w = new LayerWriter(LayerWriter.Options.of(Compression.NONE).withSourceDateEpoch(epoch));
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    w.write(List.of(
        LayerEntry.file("new", 0644, new byte[1]).withMtime(Instant.ofEpochSecond(1_900_000_000L)),
        LayerEntry.file("old", 0644, new byte[1]).withMtime(Instant.ofEpochSecond(500_000_000L))), out);
    List<LayerEntry> read = Layers.read(out.toByteArray());
    assertThat(read.get(0).mtime()).isEqualTo(epoch);
    assertThat(read.get(1).mtime()).isEqualTo(Instant.ofEpochSecond(500_000_000L));

    ByteArrayOutputStream again = new ByteArrayOutputStream();
    w.write(List.of(
        LayerEntry.file("new", 0644, new byte[1]).withMtime(Instant.ofEpochSecond(1_800_000_000L)),
        LayerEntry.file("old", 0644, new byte[1]).withMtime(Instant.ofEpochSecond(500_000_000L))), again);
    assertThat(again.toByteArray()).isEqualTo(out.toByteArray());
  }

  @Test
  void sizesBeyondEightGibGoIntoAPaxRecord() throws Exception {
    long size = 9L * 1024 * 1024 * 1024 + 7;
    LayerEntry huge = LayerEntry.file("huge", 0644, size, Content.EMPTY);
    byte[] header = TarOutput.header(huge, -5);
    assertThat(new String(header, StandardCharsets.ISO_8859_1)).contains(" size=" + size + "\n")
        .contains(" mtime=-5\n");
    TarInput.Record r = new TarInput(new ByteArrayInputStream(header)).next();
    assertThat(r.size).isEqualTo(size);
    assertThat(r.mtime).isEqualTo(-5);
    assertThat(r.name).isEqualTo("huge");
  }

  @Test
  void paxRecordLengthsCountThemselves() throws Exception {
    for (int n = 0; n < 1100; n += 7) { // crosses the 2→3 and 3→4 digit boundaries
      byte[] rec = TarOutput.paxRecords(Map.of("k", new byte[n]));
      String len = new String(rec, 0, rec.length - n - 4 + 1, StandardCharsets.US_ASCII).split(" ")[0];
      assertThat(Integer.parseInt(len)).as("value of %d bytes", n).isEqualTo(rec.length);
      assertThat(TarInput.parsePax(rec, 0).get("k")).hasSize(n);
    }
  }

  @Test
  void gnuTarAndTheZstdAndGzipToolsReadOurLayers(@TempDir Path tmp) throws Exception {
    for (Compression c : Compression.values()) {
      LayerWriter w = new LayerWriter(LayerWriter.Options.of(c));
      Path blob = tmp.resolve("layer-" + c);
      LayerBlob b = w.writeTo(blob, LayerWriter.Source.of(sample()));
      assertThat(Digest.of(Files.readAllBytes(blob))).isEqualTo(b.digest());
      String decompress = c == Compression.GZIP ? "gzip -dc " : c == Compression.ZSTD ? "zstd -dcq " : "cat ";
      Process p = new ProcessBuilder("sh", "-c", decompress + blob + " | tar -tvf -").redirectErrorStream(true).start();
      String listing = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      assertThat(p.waitFor()).as(listing).isZero();
      assertThat(listing).contains("etc/" + "x".repeat(150)).contains("etc/grüße-日本")
          .contains("4000000000/3000000000").contains("home/link link to home/big")
          .contains("usr/bin/sh -> busybox").contains("1,3").doesNotContain("PaxHeaders");
    }
    try (var files = Files.list(tmp)) {
      assertThat(files.map(p -> p.getFileName().toString())).allMatch(n -> n.startsWith("layer-"));
    }
  }

  @Test
  void levelsAreChecked() {
    assertThatThrownBy(() -> new LayerWriter.Options(Compression.GZIP, 10, null)).hasMessageContaining("0..9");
    assertThatThrownBy(() -> new LayerWriter.Options(Compression.ZSTD, 0, null)).hasMessageContaining("1..22");
    assertThat(Compression.ZSTD.defaultLevel()).isEqualTo(3);
  }

  @Test
  void compressionIsDetectedFromMagicBytes() throws Exception {
    for (Compression c : Compression.values()) {
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      new LayerWriter(LayerWriter.Options.of(c)).write(sample(), out);
      byte[] b = out.toByteArray();
      assertThat(Compression.detect(b, b.length)).isEqualTo(c);
      try (InputStream in = Compression.decompressed(new ByteArrayInputStream(b))) {
        assertThat(in.readAllBytes()).isEqualTo(Layers.tar(sample()));
      }
    }
  }
}
