package dev.jbuild.layer;

import dev.jbuild.oci.Digest;
import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.security.MessageDigest;

/** Passes bytes through while counting them and hashing them with sha256. */
final class HashingOutputStream extends FilterOutputStream {
  private final MessageDigest sha = Digest.newSha256();
  private final boolean closeTarget;
  private long count;

  HashingOutputStream(OutputStream out, boolean closeTarget) {
    super(out);
    this.closeTarget = closeTarget;
  }

  @Override
  public void write(int b) throws IOException {
    out.write(b);
    sha.update((byte) b);
    count++;
  }

  @Override
  public void write(byte[] b, int off, int len) throws IOException {
    out.write(b, off, len);
    sha.update(b, off, len);
    count += len;
  }

  long count() {
    return count;
  }

  Digest digest() {
    return Digest.sha256(sha.digest());
  }

  @Override
  public void close() throws IOException {
    if (closeTarget) {
      out.close();
    } else {
      out.flush();
    }
  }
}
