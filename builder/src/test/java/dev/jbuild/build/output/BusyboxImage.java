package dev.jbuild.build.output;

import com.github.luben.zstd.ZstdOutputStream;
import dev.jbuild.cache.BlobStore;
import dev.jbuild.oci.ContainerConfig;
import dev.jbuild.oci.Descriptor;
import dev.jbuild.oci.Digest;
import dev.jbuild.oci.HistoryEntry;
import dev.jbuild.oci.ImageConfig;
import dev.jbuild.oci.ImageManifest;
import dev.jbuild.oci.MediaTypes;
import dev.jbuild.oci.Platform;
import dev.jbuild.oci.RawJson;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.zip.GZIPOutputStream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;

/**
 * A two-layer image put straight into a store: a gzip layer with the static busybox and some
 * applet symlinks, a gzip or zstd layer with /etc/motd, an OCI config and manifest. Stands in for a
 * build until the layer writer and executor exist.
 */
final class BusyboxImage {

  static final Path BUSYBOX = Path.of("/bin/busybox");
  static final List<String> APPLETS = List.of("sh", "ls", "echo", "cat");
  static final String MOTD = "built by jbuild\n";

  final Descriptor manifest;
  final Descriptor config;
  final Descriptor busyboxLayer;
  final Descriptor motdLayer;
  final Digest busyboxDiffId;
  final Digest motdDiffId;

  /** With both layers gzip-compressed (umoci 0.4 reads no zstd). */
  BusyboxImage(BlobStore store) throws IOException {
    this(store, false);
  }

  /** With the motd layer zstd-compressed when {@code zstd} is set. */
  BusyboxImage(BlobStore store, boolean zstd) throws IOException {
    if (!Files.isExecutable(BUSYBOX)) {
      throw new IllegalStateException(BUSYBOX + " is missing: install busybox-static"
          + " (.ci/install does)");
    }
    byte[] busyboxTar = tar(t -> {
      dir(t, "bin/");
      TarArchiveEntry e = entry("bin/busybox", TarArchiveEntry.LF_NORMAL);
      e.setMode(0100755);
      e.setSize(Files.size(BUSYBOX));
      t.putArchiveEntry(e);
      Files.copy(BUSYBOX, t);
      t.closeArchiveEntry();
      for (String applet : APPLETS) {
        TarArchiveEntry link = entry("bin/" + applet, TarArchiveEntry.LF_SYMLINK);
        link.setLinkName("busybox");
        link.setMode(0120777);
        t.putArchiveEntry(link);
        t.closeArchiveEntry();
      }
    });
    byte[] motdTar = tar(t -> {
      dir(t, "etc/");
      byte[] motd = MOTD.getBytes(StandardCharsets.UTF_8);
      TarArchiveEntry e = entry("etc/motd", TarArchiveEntry.LF_NORMAL);
      e.setMode(0100644);
      e.setSize(motd.length);
      t.putArchiveEntry(e);
      t.write(motd);
      t.closeArchiveEntry();
    });
    busyboxDiffId = Digest.of(busyboxTar);
    motdDiffId = Digest.of(motdTar);
    busyboxLayer = store.put(compress(busyboxTar, GZIPOutputStream::new))
        .descriptor(MediaTypes.OCI_LAYER_GZIP);
    motdLayer = zstd
        ? store.put(compress(motdTar, ZstdOutputStream::new)).descriptor(MediaTypes.OCI_LAYER_ZSTD)
        : store.put(compress(motdTar, GZIPOutputStream::new)).descriptor(MediaTypes.OCI_LAYER_GZIP);
    Instant epoch = Instant.ofEpochSecond(0);
    ImageConfig cfg = ImageConfig.scratch(Platform.host())
        .withCreated(epoch)
        .withLayer(busyboxDiffId, HistoryEntry.of(epoch, "COPY busybox /bin/", null, false))
        .withLayer(motdDiffId, HistoryEntry.of(epoch, "COPY motd /etc/motd", null, false))
        .withConfig(ContainerConfig.empty().toBuilder()
            .env(List.of("PATH=/bin"))
            .cmd(List.of("/bin/sh"))
            .build());
    config = store.put(RawJson.of(cfg));
    manifest = store.put(RawJson.of(ImageManifest.oci(config, List.of(busyboxLayer, motdLayer))));
  }

  interface TarBody {
    void write(TarArchiveOutputStream t) throws IOException;
  }

  interface Compressor {
    OutputStream wrap(OutputStream out) throws IOException;
  }

  private static byte[] tar(TarBody body) throws IOException {
    ByteArrayOutputStream buf = new ByteArrayOutputStream();
    try (TarArchiveOutputStream t = new TarArchiveOutputStream(buf)) {
      t.setLongFileMode(TarArchiveOutputStream.LONGFILE_POSIX);
      body.write(t);
      t.finish();
    }
    return buf.toByteArray();
  }

  private static void dir(TarArchiveOutputStream t, String name) throws IOException {
    TarArchiveEntry e = entry(name, TarArchiveEntry.LF_DIR);
    e.setMode(040755);
    t.putArchiveEntry(e);
    t.closeArchiveEntry();
  }

  private static TarArchiveEntry entry(String name, byte type) {
    TarArchiveEntry e = new TarArchiveEntry(name, type);
    e.setModTime(0);
    e.setIds(0, 0);
    e.setUserName("root");
    e.setGroupName("root");
    return e;
  }

  private static byte[] compress(byte[] data, Compressor c) throws IOException {
    ByteArrayOutputStream buf = new ByteArrayOutputStream();
    try (OutputStream out = c.wrap(buf)) {
      out.write(data);
    }
    return buf.toByteArray();
  }
}
