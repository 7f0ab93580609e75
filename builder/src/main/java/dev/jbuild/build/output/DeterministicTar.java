package dev.jbuild.build.output;

import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;

/**
 * A tar of plain files and directories with every header field fixed (mtime 0, root owner,
 * 0644/0755), so that the same image gives the same archive bytes.
 */
final class DeterministicTar implements Closeable {

  private final TarArchiveOutputStream tar;

  DeterministicTar(OutputStream out) {
    tar = new TarArchiveOutputStream(out, StandardCharsets.UTF_8.name());
    tar.setLongFileMode(TarArchiveOutputStream.LONGFILE_POSIX);
    tar.setBigNumberMode(TarArchiveOutputStream.BIGNUMBER_POSIX);
    tar.setAddPaxHeadersForNonAsciiNames(true);
  }

  void directory(String name) throws IOException {
    TarArchiveEntry e = entry(name.endsWith("/") ? name : name + "/", TarArchiveEntry.LF_DIR);
    e.setMode(040755);
    tar.putArchiveEntry(e);
    tar.closeArchiveEntry();
  }

  void file(String name, byte[] content) throws IOException {
    TarArchiveEntry e = entry(name, TarArchiveEntry.LF_NORMAL);
    e.setMode(0100644);
    e.setSize(content.length);
    tar.putArchiveEntry(e);
    tar.write(content);
    tar.closeArchiveEntry();
  }

  /** A file of known size streamed from {@code in}; fails if the stream has another length. */
  void file(String name, long size, InputStream in) throws IOException {
    TarArchiveEntry e = entry(name, TarArchiveEntry.LF_NORMAL);
    e.setMode(0100644);
    e.setSize(size);
    tar.putArchiveEntry(e);
    long copied = in.transferTo(tar);
    if (copied != size) {
      throw new IOException(name + ": expected " + size + " bytes, got " + copied);
    }
    tar.closeArchiveEntry();
  }

  private static TarArchiveEntry entry(String name, byte type) {
    TarArchiveEntry e = new TarArchiveEntry(name, type);
    e.setModTime(0);
    e.setIds(0, 0);
    e.setUserName("");
    e.setGroupName("");
    return e;
  }

  /** Writes the end-of-archive blocks; the underlying stream is closed too. */
  @Override
  public void close() throws IOException {
    tar.finish();
    tar.close();
  }
}
