package dev.jbuild.cache;

import java.io.Closeable;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.ThreadLocalRandom;

/**
 * A file written under a temporary name beside its target, fsynced, then renamed over the
 * target: readers see the old content or the whole new content, never a part. Closing without
 * {@link #commit()} deletes the temporary file, so a failure leaves nothing behind.
 *
 * <pre>{@code
 * try (AtomicFile f = AtomicFile.create(target)) {
 *   write(f.stream());
 *   f.commit();
 * }
 * }</pre>
 */
public final class AtomicFile implements Closeable {

  private final Path target;
  private final Path temp;
  private final FileChannel channel;
  private final OutputStream stream;
  private boolean done;

  private AtomicFile(Path target, Path temp, FileChannel channel) {
    this.target = target;
    this.temp = temp;
    this.channel = channel;
    // the channel stays open after the stream closes so that commit can force it
    this.stream = new java.io.BufferedOutputStream(
        new java.io.FilterOutputStream(Channels.newOutputStream(channel)) {
          @Override
          public void write(byte[] b, int off, int len) throws IOException {
            out.write(b, off, len);
          }

          @Override
          public void close() throws IOException {
            flush();
          }
        }, 64 * 1024);
  }

  /** Starts writing {@code target}; the temporary file is created in its directory. */
  public static AtomicFile create(Path target) {
    Path dir = target.toAbsolutePath().getParent();
    return createIn(target, dir);
  }

  /** Starts writing {@code target} with the temporary file in {@code tempDir} (same fs). */
  public static AtomicFile createIn(Path target, Path tempDir) {
    Path temp = null;
    try {
      Files.createDirectories(tempDir);
      temp = tempName(tempDir, target.getFileName().toString());
      FileChannel ch = FileChannel.open(temp, StandardOpenOption.CREATE_NEW,
          StandardOpenOption.WRITE);
      return new AtomicFile(target, temp, ch);
    } catch (IOException e) {
      throw new CacheException("cannot create a file in " + tempDir + ": " + e.getMessage()
          + ". Check that the directory exists and is writable.", tempDir, e);
    }
  }

  /** Writes {@code target} atomically with the given bytes, replacing what is there. */
  public static void write(Path target, byte[] content) {
    try (AtomicFile f = create(target)) {
      try {
        f.stream().write(content);
      } catch (IOException e) {
        throw new CacheException("cannot write " + target + ": " + e.getMessage(), target, e);
      }
      f.commit();
    }
  }

  static Path tempName(Path dir, String base) {
    String name = "." + (base.length() > 40 ? base.substring(0, 40) : base) + ".tmp-"
        + Long.toHexString(ThreadLocalRandom.current().nextLong() & Long.MAX_VALUE)
        + "-" + ProcessHandle.current().pid();
    return dir.resolve(name);
  }

  /**
   * Whether {@code temp} is a name of {@link #tempName} whose writing process has exited (a
   * killed build): it will never be committed, whatever its age. A live pid keeps it (also a pid
   * reused since, which only delays its removal to the age rule); a writer in another PID
   * namespace sharing the root is not supported.
   */
  static boolean writerGone(Path temp) {
    String name = temp.getFileName().toString();
    int dash = name.lastIndexOf('-');
    if (!name.startsWith(".") || !name.contains(".tmp-") || dash < 0) {
      return false;
    }
    long pid;
    try {
      pid = Long.parseLong(name.substring(dash + 1));
    } catch (NumberFormatException e) {
      return false;
    }
    return pid != ProcessHandle.current().pid() && ProcessHandle.of(pid).isEmpty();
  }

  /** The stream to write to; closing it does not commit. */
  public OutputStream stream() {
    return stream;
  }

  public Path target() {
    return target;
  }

  /** Flushes, fsyncs and renames over the target, then fsyncs the directory. */
  public void commit() {
    if (done) {
      throw new IllegalStateException("already committed or closed: " + target);
    }
    try {
      stream.flush();
      channel.force(true);
      channel.close();
      moveReplacing(temp, target);
      fsyncDirectory(target.toAbsolutePath().getParent());
      done = true;
    } catch (IOException e) {
      close();
      throw new CacheException("cannot write " + target + ": " + e.getMessage()
          + ". Check free space and permissions; nothing was changed.", target, e);
    }
  }

  /** Abandons the write unless committed: the temporary file is deleted. */
  @Override
  public void close() {
    if (done) {
      return;
    }
    done = true;
    try {
      channel.close();
    } catch (IOException ignored) {
      // the file is deleted next; its content does not matter
    }
    try {
      Files.deleteIfExists(temp);
    } catch (IOException ignored) {
      // a leftover temp file is removed by prune; the failure that got us here matters more
    }
  }

  static void moveReplacing(Path from, Path to) throws IOException {
    try {
      Files.move(from, to, StandardCopyOption.ATOMIC_MOVE);
    } catch (AtomicMoveNotSupportedException e) {
      throw new IOException("the temporary file " + from + " is not on the same filesystem as "
          + to, e);
    }
  }

  /**
   * Renames {@code from} to {@code to} unless {@code to} exists (then {@code from} is
   * deleted): content-addressed targets are equal, and the first writer wins.
   *
   * @return true if {@code from} became {@code to}
   */
  static boolean moveKeepingExisting(Path from, Path to) throws IOException {
    if (Files.exists(to)) {
      Files.deleteIfExists(from);
      return false;
    }
    try {
      // rename(2) would replace a concurrently created target; that is the same content, fine
      Files.move(from, to, StandardCopyOption.ATOMIC_MOVE);
      return true;
    } catch (FileAlreadyExistsException e) {
      Files.deleteIfExists(from);
      return false;
    }
  }

  /** Makes a rename durable: fsync on the directory (best effort where not supported). */
  static void fsyncDirectory(Path dir) {
    if (dir == null) {
      return;
    }
    try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
      ch.force(true);
    } catch (IOException ignored) {
      // some filesystems refuse fsync on directories; the rename itself is still atomic
    }
  }
}
