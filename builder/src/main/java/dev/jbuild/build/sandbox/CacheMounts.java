package dev.jbuild.build.sandbox;

import dev.jbuild.dockerfile.ir.CacheSharing;
import dev.jbuild.oci.Digest;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The persistent directories of {@code RUN --mount=type=cache}, under {@code
 * <root>/cache-mounts/}: one directory per cache key (the id, namespaced by {@code
 * BUILDKIT_CACHE_MOUNT_NS}, and what seeds it), holding numbered instances {@code 0/}, {@code
 * 1/}, … each with its lock file {@code N.lock}. Nothing here is part of a layer or a cache key.
 *
 * <p>Sharing as BuildKit's cache-mount refs behave ({@code solver/llbsolver/mounts}): {@code
 * shared} users hold a shared lock on the first instance nobody holds exclusively, so any
 * number of them use one directory at once; {@code private} takes the first instance nobody
 * holds and makes a new one when all are busy; {@code locked} takes the first instance nobody
 * holds and otherwise waits (polling, as BuildKit does) until one is released. Locks are held
 * across processes ({@code FileChannel} locks, released by the kernel if jbuild dies) and across
 * threads of this JVM (a table of what this process holds, since a JVM cannot lock a file twice).
 */
public final class CacheMounts {

  /** The store's directory under the jbuild root. */
  public static final String DIR = "cache-mounts";

  private static final long POLL_MILLIS = 100;

  /** What this JVM holds, by lock file: file locks belong to the process, not the thread. */
  private static final Map<Path, Held> HELD = new HashMap<>();

  private final Path dir;

  /** The cache-mount store under {@code dir} (normally {@code <root>/cache-mounts}). */
  public CacheMounts(Path dir) {
    this.dir = dir.toAbsolutePath().normalize();
  }

  /** The directory of all cache mounts. */
  public Path dir() {
    return dir;
  }

  /**
   * Takes an instance of the cache {@code key} for one RUN step, waiting for {@code locked}.
   * The instance's {@link Lease#dir()} exists; its {@code data/} is made by the sandbox the
   * first time the cache is used.
   *
   * @param key the cache key (namespaced id and seed identity); any string
   * @throws UncheckedIOException when the store cannot be written or locked
   */
  public Lease acquire(String key, CacheSharing sharing) {
    Objects.requireNonNull(key, "key");
    Objects.requireNonNull(sharing, "sharing");
    Path cache = dir.resolve(Digest.of(key.getBytes(StandardCharsets.UTF_8)).hex());
    try {
      Files.createDirectories(cache);
      Path keyFile = cache.resolve("key");
      if (!Files.exists(keyFile)) {
        // for people and prune: which id this directory holds
        Path tmp = Files.createTempFile(cache, "key", ".tmp");
        Files.writeString(tmp, key + "\n", StandardCharsets.UTF_8);
        Files.move(tmp, keyFile, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      }
      boolean exclusive = sharing != CacheSharing.SHARED;
      while (true) {
        int n = 0;
        for (; Files.isDirectory(cache.resolve(Integer.toString(n))); n++) {
          Lease lease = tryLock(cache, n, exclusive);
          if (lease != null) {
            return lease;
          }
        }
        if (sharing == CacheSharing.LOCKED && n > 0) {
          // every instance is in use: wait for one, as BuildKit's locked sharing does
          Thread.sleep(POLL_MILLIS);
          continue;
        }
        // every instance is in use (or there is none yet): a new one
        for (; ; n++) {
          try {
            Files.createDirectory(cache.resolve(Integer.toString(n)));
          } catch (FileAlreadyExistsException raced) {
            continue;
          }
          Lease lease = tryLock(cache, n, exclusive);
          if (lease != null) {
            return lease;
          }
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException(
          "cannot use the cache mount directory " + cache + ": " + e.getMessage(), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new UncheckedIOException(
          new java.io.InterruptedIOException("interrupted while waiting for cache mount " + key));
    }
  }

  /**
   * Deletes every cache whose instances no process holds ({@code jbuild prune --all}; run in the
   * sandbox's user namespace, where the files' owners are mapped). Each instance's lock is taken
   * exclusively while the cache is deleted, so a step using one keeps it; a build that takes
   * a cache in the moment it is deleted finds it empty again, which a cache may always be.
   *
   * @return how many caches were deleted
   */
  int prune() throws IOException {
    if (!Files.isDirectory(dir)) {
      return 0;
    }
    int removed = 0;
    List<Path> caches;
    try (java.util.stream.Stream<Path> s = Files.list(dir)) {
      caches = s.filter(Files::isDirectory).toList();
    }
    for (Path cache : caches) {
      List<FileChannel> locks = new ArrayList<>();
      try {
        boolean free = true;
        List<Path> lockFiles;
        try (java.util.stream.Stream<Path> s = Files.list(cache)) {
          lockFiles = s.filter(p -> p.getFileName().toString().endsWith(".lock")).toList();
        }
        for (Path lockFile : lockFiles) {
          FileChannel ch = FileChannel.open(lockFile, StandardOpenOption.WRITE);
          locks.add(ch);
          if (ch.tryLock() == null) {
            free = false;
            break;
          }
        }
        if (free) {
          Trees.delete(cache);
          removed++;
        }
      } finally {
        for (FileChannel ch : locks) {
          ch.close();
        }
      }
    }
    return removed;
  }

  /** The lease on instance {@code n}, or null when it is held in a conflicting way. */
  private static Lease tryLock(Path cache, int n, boolean exclusive) throws IOException {
    Path lockFile = cache.resolve(n + ".lock");
    synchronized (HELD) {
      Held held = HELD.get(lockFile);
      if (held != null) {
        if (exclusive || held.exclusive) {
          return null;
        }
        held.shared++;
        return new Lease(cache.resolve(Integer.toString(n)), lockFile);
      }
      FileChannel ch =
          FileChannel.open(
              lockFile, StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE);
      FileLock lock;
      try {
        lock = ch.tryLock(0, Long.MAX_VALUE, !exclusive);
      } catch (IOException | RuntimeException e) {
        // OverlappingFileLockException cannot happen: HELD says this JVM holds no lock here
        ch.close();
        throw e;
      }
      if (lock == null) {
        ch.close();
        return null;
      }
      Held h = new Held(ch, lock, exclusive);
      h.shared = exclusive ? 0 : 1;
      HELD.put(lockFile, h);
      return new Lease(cache.resolve(Integer.toString(n)), lockFile);
    }
  }

  private static final class Held {
    final FileChannel channel;
    final FileLock lock;
    final boolean exclusive;
    int shared;

    Held(FileChannel channel, FileLock lock, boolean exclusive) {
      this.channel = channel;
      this.lock = lock;
      this.exclusive = exclusive;
    }
  }

  /** One step's use of a cache instance; closing releases it. */
  public static final class Lease implements AutoCloseable {
    private final Path dir;
    private final Path lockFile;
    private boolean closed;

    private Lease(Path dir, Path lockFile) {
      this.dir = dir;
      this.lockFile = lockFile;
    }

    /** The instance directory ({@code data/} inside it is what the step sees). */
    public Path dir() {
      return dir;
    }

    @Override
    public void close() {
      synchronized (HELD) {
        if (closed) {
          return;
        }
        closed = true;
        Held h = HELD.get(lockFile);
        if (h == null) {
          return;
        }
        if (!h.exclusive && --h.shared > 0) {
          return;
        }
        HELD.remove(lockFile);
        try {
          h.lock.release();
        } catch (IOException ignored) {
          // closing the channel releases it too
        }
        try {
          h.channel.close();
        } catch (IOException ignored) {
          // nothing left to release
        }
      }
    }
  }
}
