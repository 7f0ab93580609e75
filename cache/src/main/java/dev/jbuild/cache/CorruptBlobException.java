package dev.jbuild.cache;

import dev.jbuild.oci.Digest;
import java.io.IOException;
import java.nio.file.Path;

/**
 * Thrown by a blob's input stream at end of file when the bytes do not hash to the blob's
 * name. An {@link IOException} so that any stream consumer (tar reader, HTTP upload) fails with
 * it; the message names the file and the remedy.
 */
public class CorruptBlobException extends IOException {

  private final transient Path path;
  private final Digest expected;
  private final Digest actual;

  public CorruptBlobException(Path path, Digest expected, Digest actual) {
    super(message(path, expected, actual));
    this.path = path;
    this.expected = expected;
    this.actual = actual;
  }

  static String message(Path path, Digest expected, Digest actual) {
    return "blob " + path + " is corrupted: its content hashes to " + actual + ", not "
        + expected + ". Delete the file (or run `jbuild prune`) and build again; it will be"
        + " fetched or rebuilt.";
  }

  public Path path() {
    return path;
  }

  public Digest expected() {
    return expected;
  }

  public Digest actual() {
    return actual;
  }
}
