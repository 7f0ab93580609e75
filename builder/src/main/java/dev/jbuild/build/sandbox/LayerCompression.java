package dev.jbuild.build.sandbox;

import dev.jbuild.layer.Compression;
import dev.jbuild.layer.LayerBlob;
import dev.jbuild.oci.Digest;
import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.security.MessageDigest;

/**
 * Compresses a step's layer tar, as the snapshotter writes it plain, into the blob on the way
 * to the build, with the layer writer's own compressor ({@link Compression#compressor}): gzip
 * through the tar-aware stream, which stores the data of entries that do not shrink (jars,
 * archives) and deflates the rest, and multi-threaded zstd, as for COPY layers. Both depend
 * only on the tar's bytes, so every snapshotter gives the same blob, and a RUN layer the blob a
 * COPY of the same tree gives.
 *
 * <p>The tar streams straight into the compressor (it went to a file in the run directory
 * first, and was read back: 12.6 MB written and read again for a {@code chown -R} of 2,200
 * files, 200 MiB for a step writing a 200 MiB file). zstd was single-threaded here until RUN
 * and COPY layers were made to agree; the multi-threaded frame is another blob for the same
 * tar, and no longer bound to one core.
 */
final class LayerCompression extends OutputStream {
  private final Compression compression;
  private final Hashing blob;
  private final OutputStream compressor;
  private boolean closed;

  /**
   * A stream that takes the plain layer tar and writes its blob to {@code out} (not closed),
   * with {@code compression} ({@code GZIP} or {@code ZSTD}) at {@code level}.
   */
  LayerCompression(Compression compression, int level, OutputStream out) throws IOException {
    if (compression == Compression.NONE) {
      throw new IllegalArgumentException("a plain layer needs no compressing");
    }
    this.compression = compression;
    this.blob = new Hashing(out);
    this.compressor = compression.compressor(blob, level);
  }

  @Override
  public void write(int b) throws IOException {
    write(new byte[] {(byte) b}, 0, 1);
  }

  @Override
  public void write(byte[] b, int off, int len) throws IOException {
    compressor.write(b, off, len);
  }

  /** Does nothing: a flush would end a zstd block early and change the blob. */
  @Override
  public void flush() {}

  /**
   * Ends the blob of the plain tar {@code plain} (its diffID {@code plain.diffId()}) and returns
   * its descriptor values.
   */
  LayerBlob finish(LayerBlob plain) throws IOException {
    close();
    return new LayerBlob(plain.diffId(), Digest.sha256(blob.digest.digest()), blob.count,
        compression.mediaType());
  }

  /** Ends the compressor without writing anything more to the blob stream: after a failure. */
  void discard() {
    blob.discarded = true;
    try {
      close();
    } catch (IOException | RuntimeException e) {
      // the step fails anyway, with the error that made it discard
    }
  }

  @Override
  public void close() throws IOException {
    if (closed) {
      return;
    }
    closed = true;
    compressor.close();
  }

  /** Counts and digests what passes to the blob; after a failure, passes nothing on. */
  private static final class Hashing extends FilterOutputStream {
    final MessageDigest digest = Digest.newSha256();
    long count;
    boolean discarded;

    Hashing(OutputStream out) {
      super(out);
    }

    @Override
    public void write(int b) throws IOException {
      write(new byte[] {(byte) b}, 0, 1);
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
      if (discarded) {
        return;
      }
      out.write(b, off, len);
      digest.update(b, off, len);
      count += len;
    }

    @Override
    public void flush() throws IOException {
      if (!discarded) {
        out.flush();
      }
    }

    @Override
    public void close() throws IOException {
      flush(); // the blob stream is the caller's
    }
  }
}
