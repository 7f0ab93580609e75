package dev.jbuild.build.sandbox;

import com.github.luben.zstd.ZstdOutputStreamNoFinalizer;
import dev.jbuild.layer.Compression;
import dev.jbuild.layer.LayerBlob;
import dev.jbuild.oci.Digest;
import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;

/**
 * Compresses a step's layer tar, written plain by the snapshotter, into the blob. gzip goes
 * through the layer writer's tar-aware stream ({@link Compression#gzipTar}), which stores the
 * data of entries that do not shrink (jars, archives) and deflates the rest, as for COPY
 * layers: the choice depends only on the tar's bytes, so every snapshotter gives the same blob.
 */
final class LayerCompression {

  private LayerCompression() {}

  /**
   * Writes the blob of the plain layer {@code tar} (its diffID {@code plain.diffId()}) to {@code
   * out} with {@code compression} at {@code level}.
   */
  static LayerBlob compress(Path tar, LayerBlob plain, Compression compression, int level,
      OutputStream out) throws IOException {
    Hashing blob = new Hashing(out);
    try (InputStream in = Files.newInputStream(tar);
        OutputStream c = compressor(compression, level, blob)) {
      in.transferTo(c);
    }
    return new LayerBlob(plain.diffId(), Digest.sha256(blob.digest.digest()), blob.count,
        compression.mediaType());
  }

  private static OutputStream compressor(Compression c, int level, OutputStream out)
      throws IOException {
    switch (c) {
      case GZIP:
        return Compression.gzipTar(out, level);
      case ZSTD:
        return new ZstdOutputStreamNoFinalizer(out, level).setChecksum(true);
      default:
        return out;
    }
  }

  /** Counts and digests what passes to the blob. */
  private static final class Hashing extends FilterOutputStream {
    final MessageDigest digest = Digest.newSha256();
    long count;

    Hashing(OutputStream out) {
      super(out);
    }

    @Override
    public void write(int b) throws IOException {
      out.write(b);
      digest.update((byte) b);
      count++;
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
      out.write(b, off, len);
      digest.update(b, off, len);
      count += len;
    }

    @Override
    public void close() throws IOException {
      flush(); // the blob stream is the caller's
    }
  }
}
