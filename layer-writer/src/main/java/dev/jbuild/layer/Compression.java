package dev.jbuild.layer;

import com.github.luben.zstd.ZstdInputStreamNoFinalizer;
import com.github.luben.zstd.ZstdOutputStreamNoFinalizer;
import dev.jbuild.oci.MediaTypes;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.zip.GZIPInputStream;

/** How a layer blob is compressed, with its OCI media type and stream codecs. */
public enum Compression {
  NONE(MediaTypes.OCI_LAYER, 0),
  GZIP(MediaTypes.OCI_LAYER_GZIP, 6),
  ZSTD(MediaTypes.OCI_LAYER_ZSTD, 3);

  private final String mediaType;
  private final int defaultLevel;

  Compression(String mediaType, int defaultLevel) {
    this.mediaType = mediaType;
    this.defaultLevel = defaultLevel;
  }

  /** The OCI layer media type of a blob compressed this way. */
  public String mediaType() {
    return mediaType;
  }

  /** gzip 6 (as {@code gzip} and Docker), zstd 3 (as {@code zstd} and BuildKit). */
  public int defaultLevel() {
    return defaultLevel;
  }

  /** The compression a layer media type names (OCI and Docker types), or empty. */
  public static java.util.Optional<Compression> ofMediaType(String mediaType) {
    if (mediaType == null) {
      return java.util.Optional.empty();
    }
    if (mediaType.endsWith("+gzip") || mediaType.endsWith(".tar.gzip")) {
      return java.util.Optional.of(GZIP);
    }
    if (mediaType.endsWith("+zstd") || mediaType.endsWith(".tar.zstd")) {
      return java.util.Optional.of(ZSTD);
    }
    if (mediaType.endsWith(".tar") || mediaType.endsWith(".diff.tar")) {
      return java.util.Optional.of(NONE);
    }
    return java.util.Optional.empty();
  }

  /** The compression a blob starts with: gzip and zstd by magic bytes, anything else NONE. */
  public static Compression detect(byte[] head, int length) {
    if (length >= 2 && (head[0] & 0xff) == 0x1f && (head[1] & 0xff) == 0x8b) {
      return GZIP;
    }
    if (length >= 4 && (head[0] & 0xff) == 0x28 && (head[1] & 0xff) == 0xb5
        && (head[2] & 0xff) == 0x2f && (head[3] & 0xff) == 0xfd) {
      return ZSTD;
    }
    return NONE;
  }

  /** Wraps a blob stream so that it reads as the plain tar, whatever its compression. */
  public static InputStream decompressed(InputStream blob) throws IOException {
    BufferedInputStream in = new BufferedInputStream(blob, 64 * 1024);
    in.mark(4);
    byte[] head = in.readNBytes(4);
    in.reset();
    switch (detect(head, head.length)) {
      case GZIP:
        return new GZIPInputStream(in, 64 * 1024);
      case ZSTD:
        return new BufferedInputStream(new ZstdInputStreamNoFinalizer(in), 128 * 1024);
      default:
        return in;
    }
  }

  /**
   * A compressing stream for a layer tar at {@code level}; closing it finishes the frame and
   * closes {@code out}. gzip stores the data of entries that do not shrink ({@link TarGzip}).
   * The blob depends only on the tar's bytes, not on how they are split into writes: COPY
   * layers ({@link LayerWriter}) and RUN layers (the sandbox's snapshots) compress the same
   * tar into the same blob.
   */
  public OutputStream compressor(OutputStream out, int level) throws IOException {
    return compressor(out, level, ZSTD_WORKERS);
  }

  /**
   * zstd compresses on this many native threads (at most 4: each holds a few job buffers of
   * 4 windows). Multi-threaded zstd cuts the stream into jobs whose size depends on the level
   * only, so its output is the same for any number of workers from 1 up (not the same as
   * single-threaded zstd, which is never used): layers stay reproducible from a 1-core CI
   * runner to a workstation, while the compressor, the slowest stage of a zstd layer, is no
   * longer bound to one core (as {@code zstd -T0}, and containerd's and BuildKit's encoders).
   */
  static final int ZSTD_WORKERS = Math.max(1, Math.min(4, Runtime.getRuntime().availableProcessors()));

  OutputStream compressor(OutputStream out, int level, int zstdWorkers) throws IOException {
    switch (this) {
      case GZIP:
        return new TarGzip(out, level);
      case ZSTD:
        if (zstdWorkers < 1) {
          throw new IllegalArgumentException("zstd needs at least one worker, not " + zstdWorkers);
        }
        ZstdOutputStreamNoFinalizer z = new ZstdOutputStreamNoFinalizer(out, level);
        z.setChecksum(true);
        z.setWorkers(zstdWorkers);
        return z;
      default:
        return out;
    }
  }

  /**
   * A gzip stream for a plain layer tar (as {@link LayerWriter} writes it) at {@code level}: the
   * data of an entry that does not shrink is stored, everything else deflated at {@code level};
   * the same tar gives the same bytes however it is written. Closing it finishes the member and
   * closes {@code out}.
   */
  public static OutputStream gzipTar(OutputStream out, int level) throws IOException {
    return new TarGzip(out, level);
  }
}
