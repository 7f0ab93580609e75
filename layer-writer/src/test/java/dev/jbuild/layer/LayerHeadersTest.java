package dev.jbuild.layer;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The header index recorded while a layer is written (or applied) is byte for byte the one
 * that reading the blob afterwards makes: the index is a pure function of the blob, whoever
 * writes it first.
 */
class LayerHeadersTest {
  @TempDir Path tmp;

  /** Every entry kind and every header field that takes a PAX record or a special encoding. */
  static List<LayerEntry> everyKind() {
    Instant t = Instant.ofEpochSecond(1_700_000_000L, 123_456_789); // nanos are not written
    List<LayerEntry> l = new ArrayList<>(LayerWriterTest.sample());
    Map<String, byte[]> xattrs = new LinkedHashMap<>(); // not in name order: the writer sorts
    xattrs.put("user.z", new byte[] {0, 1, 2, (byte) 0xff});
    xattrs.put("security.selinux", "system_u:object_r:bin_t:s0\0".getBytes(StandardCharsets.UTF_8));
    xattrs.put("user.a", new byte[0]);
    l.add(LayerEntry.directory("opt", 0750).withMtime(t).withXattrs(xattrs));
    l.add(LayerEntry.file("opt/data", 0640, new byte[1234]).withMtime(t).withOwner(1000, 1000));
    l.add(LayerEntry.file("opt/block-sized", 0644, new byte[1024]).withMtime(t));
    l.add(LayerEntry.symlink("opt/long-link", "/" + "y/".repeat(80) + "target").withMtime(t));
    l.add(LayerEntry.symlink("opt/utf8-link", "ziel-ä").withMtime(t));
    l.add(LayerEntry.hardlink("opt/z-second", "opt/a-first"));
    l.add(LayerEntry.file("opt/a-first", 0755, "shared".getBytes(StandardCharsets.UTF_8))
        .withMtime(t));
    l.add(LayerEntry.file("opt/" + "deep/".repeat(30) + "f", 0644, new byte[] {7}).withMtime(t));
    l.add(LayerEntry.file("opt/old", 0644, new byte[] {1}).withMtime(Instant.ofEpochSecond(-5)));
    l.add(LayerEntry.file("opt/future", 0644, new byte[] {2})
        .withMtime(Instant.ofEpochSecond(100_000_000_000L)));
    l.add(LayerEntry.device("dev/huge", EntryType.CHAR_DEVICE, 0600, 3_000_000, 5_000_000));
    l.add(LayerEntry.opaque("srv"));
    l.add(LayerEntry.file("srv/kept", 0644, new byte[] {3}).withMtime(t));
    l.add(LayerEntry.whiteout("tmp/hidden-name-" + "w".repeat(110)));
    return l;
  }

  @ParameterizedTest
  @EnumSource(Compression.class)
  void recordedWhileWritingEqualsReadFromTheBlob(Compression c) throws Exception {
    assertWrittenIndexMatches(new LayerWriter(LayerWriter.Options.of(c)), everyKind());
  }

  @Test
  void clampedMtimesAreRecordedAsWritten() throws Exception {
    assertWrittenIndexMatches(new LayerWriter(LayerWriter.Options.of(Compression.GZIP)
        .withSourceDateEpoch(Instant.ofEpochSecond(1_600_000_000L))), everyKind());
  }

  @Test
  void emptyLayer() throws Exception {
    assertWrittenIndexMatches(new LayerWriter(LayerWriter.Options.of(Compression.GZIP)), List.of());
  }

  @Test
  void directoryLayerRecordedWhileWritingEqualsReadFromTheBlob() throws Exception {
    Path dir = Files.createDirectories(tmp.resolve("tree"));
    Files.createDirectories(dir.resolve("a/b"));
    Files.write(dir.resolve("a/b/file"), new byte[5000]);
    Files.createLink(dir.resolve("a/hard"), dir.resolve("a/b/file"));
    Files.createSymbolicLink(dir.resolve("a/sym"), Path.of("b/file"));
    Files.write(dir.resolve("a/secret"), new byte[] {1});
    Files.setPosixFilePermissions(dir.resolve("a/secret"), PosixFilePermissions.fromString("rw-------"));
    Files.write(dir.resolve("a/" + "n".repeat(120)), new byte[] {2});
    new ProcessBuilder("mkfifo", dir.resolve("a/fifo").toString()).start().waitFor();
    LayerWriter w = new LayerWriter(LayerWriter.Options.of(Compression.GZIP));
    LayerHeaders.Recorder headers = new LayerHeaders.Recorder();
    Path blob = tmp.resolve("blob");
    w.recordingHeaders(headers).writeTo(blob, (writer, out) -> writer.writeDirectory(dir, false, out));
    assertThat(headers.toBytes()).isEqualTo(readFromBlob(blob));
  }

  @Test
  void recordedWhileApplyingEqualsReadFromTheBlob() throws Exception {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    new LayerWriter(LayerWriter.Options.of(Compression.ZSTD)).write(everyKind(), out);
    assertAppliedIndexMatches(Layers.writeBlob(tmp, "written", out.toByteArray()));
  }

  @Test
  void foreignTarsRecordedWhileApplyingEqualReadFromTheBlob() throws Exception {
    // what other writers do: a root entry, GNU-free ustar, PAX mtimes with nanos, prefixless
    // names, a hard link written before its target's directory entry
    byte[] tar = new RawTar()
        .dir("./")
        .dir("etc/")
        .pax(Map.of("mtime", "1700000000.25".getBytes(StandardCharsets.US_ASCII),
            "SCHILY.xattr.user.b", new byte[] {9}, "SCHILY.xattr.user.a", new byte[] {8}))
        .file("etc/conf", "x=1\n")
        .hardlink("etc/conf-link", "./etc/conf")
        .symlink("etc/sym", "../nowhere")
        .device("etc/fifo", '6', 0, 0)
        .file("etc/.wh..wh..opq", "")
        .build();
    assertAppliedIndexMatches(Layers.writeBlob(tmp, "foreign", tar));
    for (String archive : List.of("build/add-tar-chown/archive.tar.gz",
        "build/add-local-tar/archive.tar.gz")) {
      assertAppliedIndexMatches(
          Path.of(System.getProperty("jbuild.testdata.dir", "../testdata"), archive));
    }
  }

  @Test
  void installRefusesWhatIsNotAnIndexAndKeepsAnExistingOne() throws Exception {
    LayerHeaders.Recorder headers = new LayerHeaders.Recorder();
    new LayerWriter(LayerWriter.Options.of(Compression.GZIP)).recordingHeaders(headers)
        .write(everyKind(), java.io.OutputStream.nullOutputStream());
    Path index = tmp.resolve("headers/sha256/abc");
    assertThat(LayerHeaders.install(index, "garbage".getBytes(StandardCharsets.UTF_8))).isFalse();
    assertThat(index).doesNotExist();
    assertThat(LayerHeaders.install(index, headers.toBytes())).isTrue();
    assertThat(Files.readAllBytes(index)).isEqualTo(headers.toBytes());
    assertThat(LayerHeaders.install(index, new byte[] {0})).isFalse();
    assertThat(headers.writeIndex(index)).isFalse();
    assertThat(Files.readAllBytes(index)).isEqualTo(headers.toBytes());
    try (var files = Files.list(index.getParent())) {
      assertThat(files).containsExactly(index); // no temporary file left
    }
  }

  private void assertWrittenIndexMatches(LayerWriter writer, List<LayerEntry> entries)
      throws Exception {
    LayerHeaders.Recorder headers = new LayerHeaders.Recorder();
    Path blob = tmp.resolve("blob-" + System.nanoTime());
    writer.recordingHeaders(headers).writeTo(blob, LayerWriter.Source.of(entries));
    byte[] expected = readFromBlob(blob);
    assertThat(headers.toBytes()).isEqualTo(expected);
    Path index = tmp.resolve("written-index-" + System.nanoTime());
    assertThat(headers.writeIndex(index)).isTrue();
    assertThat(Files.readAllBytes(index)).isEqualTo(expected);
  }

  private void assertAppliedIndexMatches(Path blob) throws Exception {
    LayerHeaders.Recorder headers = new LayerHeaders.Recorder();
    Path target = Files.createDirectories(tmp.resolve("applied-" + System.nanoTime()));
    new LayerApplier(LayerApplier.Options.flattened().withAllowDevices(false))
        .apply(blob, target, headers);
    assertThat(headers.toBytes()).as(blob.toString()).isEqualTo(readFromBlob(blob));
  }

  /** The index as the lazy path makes it: the blob decompressed and read. */
  private byte[] readFromBlob(Path blob) throws Exception {
    Path index = tmp.resolve("lazy-index-" + System.nanoTime());
    List<LayerHeaders.Header> read = LayerHeaders.of(blob, index);
    assertThat(read).isNotNull();
    return Files.readAllBytes(index);
  }
}
