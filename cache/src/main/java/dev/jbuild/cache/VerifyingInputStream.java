package dev.jbuild.cache;

import dev.jbuild.oci.Digest;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;
import java.security.MessageDigest;

/**
 * Hashes what is read and, at end of file, fails with {@link CorruptBlobException} if the
 * content is not the blob it claims to be. A reader that stops early gets no check.
 */
final class VerifyingInputStream extends FilterInputStream {

  private final Path path;
  private final Digest expected;
  private final MessageDigest digest;
  private boolean checked;

  VerifyingInputStream(InputStream in, Path path, Digest expected) {
    super(in);
    this.path = path;
    this.expected = expected;
    this.digest = BlobStore.newDigest(expected.algorithm());
  }

  @Override
  public int read() throws IOException {
    int b = super.read();
    if (b < 0) {
      check();
    } else {
      digest.update((byte) b);
    }
    return b;
  }

  @Override
  public int read(byte[] b, int off, int len) throws IOException {
    int n = super.read(b, off, len);
    if (n < 0) {
      check();
    } else {
      digest.update(b, off, n);
    }
    return n;
  }

  @Override
  public long skip(long n) throws IOException {
    // skipping must still hash the skipped bytes
    byte[] buf = new byte[8192];
    long left = n;
    while (left > 0) {
      int r = read(buf, 0, (int) Math.min(buf.length, left));
      if (r < 0) {
        break;
      }
      left -= r;
    }
    return n - left;
  }

  @Override
  public boolean markSupported() {
    return false;
  }

  @Override
  public synchronized void mark(int readlimit) {}

  @Override
  public synchronized void reset() throws IOException {
    throw new IOException("mark/reset not supported");
  }

  private void check() throws IOException {
    if (checked) {
      return;
    }
    checked = true;
    Digest actual = new Digest(expected.algorithm(),
        java.util.HexFormat.of().formatHex(digest.digest()));
    if (!actual.equals(expected)) {
      throw new CorruptBlobException(path, expected, actual);
    }
  }
}
