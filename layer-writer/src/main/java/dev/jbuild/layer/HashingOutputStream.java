package dev.jbuild.layer;

import dev.jbuild.oci.Digest;
import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.security.MessageDigest;

/**
 * Passes bytes through while counting them and hashing them with sha256. With a buffer, small
 * writes (tar headers and padding) are gathered before they go on, and large ones go straight
 * through; closing hands on what is buffered without ever calling {@code flush()} on the target
 * (a flush cuts a zstd job short and so changes the compressed bytes).
 */
final class HashingOutputStream extends FilterOutputStream {
  private final MessageDigest sha = Digest.newSha256();
  private final boolean closeTarget;
  private final byte[] buffer;
  private int buffered;
  private long count;

  HashingOutputStream(OutputStream out, boolean closeTarget) {
    this(out, closeTarget, 0);
  }

  HashingOutputStream(OutputStream out, boolean closeTarget, int bufferSize) {
    super(out);
    this.closeTarget = closeTarget;
    this.buffer = bufferSize > 0 ? new byte[bufferSize] : null;
  }

  @Override
  public void write(int b) throws IOException {
    write(new byte[] {(byte) b}, 0, 1);
  }

  @Override
  public void write(byte[] b, int off, int len) throws IOException {
    sha.update(b, off, len);
    count += len;
    if (buffer == null) {
      out.write(b, off, len);
      return;
    }
    if (len > buffer.length - buffered) {
      drain();
    }
    if (len >= buffer.length) {
      out.write(b, off, len);
    } else {
      System.arraycopy(b, off, buffer, buffered, len);
      buffered += len;
    }
  }

  /**
   * Reads at most {@code max} bytes of {@code in} straight into the buffer and takes them as
   * written: a file's bytes reach the compressor without first passing through the caller's
   * array (one copy of the layer's data less). Returns what {@code in.read} returned. Only for a
   * stream made with a buffer; {@code max} must not exceed its size.
   */
  int writeFrom(InputStream in, int max) throws IOException {
    if (max > buffer.length - buffered) {
      drain();
    }
    int n = in.read(buffer, buffered, max);
    if (n > 0) {
      sha.update(buffer, buffered, n);
      count += n;
      buffered += n;
    }
    return n;
  }

  /** Whether {@link #writeFrom} may be used, and the most it may read at once. */
  int bufferSize() {
    return buffer == null ? 0 : buffer.length;
  }

  private void drain() throws IOException {
    if (buffered > 0) {
      out.write(buffer, 0, buffered);
      buffered = 0;
    }
  }

  long count() {
    return count;
  }

  Digest digest() {
    return Digest.sha256(sha.digest());
  }

  /** Does not flush the target: see the class comment. */
  @Override
  public void flush() throws IOException {
  }

  @Override
  public void close() throws IOException {
    drain();
    if (closeTarget) {
      out.close();
    } else {
      out.flush();
    }
  }
}
