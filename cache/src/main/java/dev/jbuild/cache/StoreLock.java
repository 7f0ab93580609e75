package dev.jbuild.cache;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantLock;

/**
 * An exclusive lock shared by threads and processes: a JVM-wide lock per file (file locks
 * belong to the process, and two channels of one JVM on the same file throw rather than wait),
 * then {@code FileChannel.lock} on the file, which the kernel releases if the process dies.
 */
final class StoreLock implements AutoCloseable {

  private static final ConcurrentHashMap<Path, ReentrantLock> IN_PROCESS =
      new ConcurrentHashMap<>();

  private final ReentrantLock jvmLock;
  private final FileChannel channel;
  private final FileLock fileLock;

  private StoreLock(ReentrantLock jvmLock, FileChannel channel, FileLock fileLock) {
    this.jvmLock = jvmLock;
    this.channel = channel;
    this.fileLock = fileLock;
  }

  /** Blocks until the lock on {@code file} is held. */
  static StoreLock acquire(Path file) {
    Path key = file.toAbsolutePath().normalize();
    ReentrantLock jvm = IN_PROCESS.computeIfAbsent(key, k -> new ReentrantLock());
    jvm.lock();
    FileChannel ch = null;
    try {
      Files.createDirectories(key.getParent());
      ch = FileChannel.open(key, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
      FileLock lock = ch.lock();
      return new StoreLock(jvm, ch, lock);
    } catch (IOException | RuntimeException e) {
      try {
        if (ch != null) {
          ch.close();
        }
      } catch (IOException ignored) {
        // reporting the lock failure matters more
      }
      jvm.unlock();
      throw new CacheException("cannot lock " + key + ": " + e + ". Check that the directory"
          + " is writable and on a filesystem that supports locks.", key, e);
    }
  }

  @Override
  public void close() {
    try {
      fileLock.release();
      channel.close();
    } catch (IOException ignored) {
      // closing the channel releases the lock in any case
    } finally {
      jvmLock.unlock();
    }
  }
}
