package dev.jbuild.build.sandbox;

import com.github.luben.zstd.ZstdOutputStreamNoFinalizer;
import dev.jbuild.layer.Compression;
import dev.jbuild.layer.LayerBlob;
import dev.jbuild.oci.Digest;
import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.util.zip.Deflater;
import java.util.zip.GZIPOutputStream;

/**
 * Compresses a step's layer tar, written plain by the snapshotter, into the blob. Deflating
 * data that does not shrink (random bytes, archives, jars) costs seconds per hundred megabytes
 * and saves nothing, so when evenly spread samples of a gzip layer's tar do not shrink, the
 * layer is stored (gzip level 0: still a valid gzip stream), as the builder does for COPY
 * layers. The choice depends only on the tar's bytes, so every snapshotter gives the same blob.
 */
final class LayerCompression {
  private static final int SAMPLE = 64 * 1024;
  private static final int SAMPLES = 16;
  private static final long MIN_SIZE = 1 << 20;

  private LayerCompression() {}

  /**
   * Writes the blob of the plain layer {@code tar} (its diffID {@code plain.diffId()}) to {@code
   * out} with {@code compression} at {@code level}.
   */
  static LayerBlob compress(Path tar, LayerBlob plain, Compression compression, int level,
      OutputStream out) throws IOException {
    if (compression == Compression.GZIP && incompressible(tar)) {
      level = 0;
    }
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
        return new LeveledGzip(out, level);
      case ZSTD:
        return new ZstdOutputStreamNoFinalizer(out, level).setChecksum(true);
      default:
        return out;
    }
  }

  /** Whether samples spread over the file shrink by less than 5% at the fastest level. */
  static boolean incompressible(Path tar) throws IOException {
    try (FileChannel ch = FileChannel.open(tar, StandardOpenOption.READ)) {
      long size = ch.size();
      if (size < MIN_SIZE) {
        return false;
      }
      java.nio.ByteBuffer buf = java.nio.ByteBuffer.allocate(SAMPLE);
      byte[] packed = new byte[SAMPLE + SAMPLE / 8];
      Deflater deflater = new Deflater(1, true);
      long raw = 0;
      long out = 0;
      try {
        for (int i = 0; i < SAMPLES; i++) {
          long at = (size - SAMPLE) * i / (SAMPLES - 1);
          buf.clear();
          int n = ch.read(buf, at);
          if (n <= 0) {
            continue;
          }
          deflater.reset();
          deflater.setInput(buf.array(), 0, n);
          deflater.finish();
          while (!deflater.finished()) {
            out += deflater.deflate(packed);
          }
          raw += n;
        }
      } finally {
        deflater.end();
      }
      return raw > 0 && out >= raw * 0.95;
    }
  }

  /** GZIPOutputStream at a given level with a large buffer. */
  private static final class LeveledGzip extends GZIPOutputStream {
    LeveledGzip(OutputStream out, int level) throws IOException {
      super(out, 256 * 1024);
      def.setLevel(level);
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
