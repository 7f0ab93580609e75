package dev.jbuild.layer;

import java.io.IOException;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermission;
import java.time.Instant;
import java.util.EnumSet;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * What one {@code lstat} tells about a file: mode with its type bits, (dev, ino) to find hard
 * links, rdev and size, nlink, owner (unsigned), mtime and ctime. The values are the JDK's for
 * {@code readAttributes(path, "unix:…", NOFOLLOW_LINKS)}: dev and rdev in glibc's encoding,
 * the times as its {@link FileTime}s make them.
 *
 * @param mtime the modification time as {@code lastModifiedTime().toInstant()}
 * @param mtimeNanos the modification time as {@code lastModifiedTime().to(NANOSECONDS)}
 * @param ctimeNanos the status change time as the JDK's {@code unix:ctime} {@code
 *     .to(NANOSECONDS)}
 */
public record FileStat(
    int mode,
    long dev,
    long ino,
    long rdev,
    int nlink,
    long uid,
    long gid,
    long size,
    Instant mtime,
    long mtimeNanos,
    long ctimeNanos) {

  /**
   * Stats {@code path} without following a final symbolic link: one statx(2) call through JNA
   * where libc and the kernel have it, else the JDK's {@code readAttributes}. The JDK's
   * builds a map of boxed values per call, several times the cost of the call itself over a
   * walk of tens of thousands of files.
   *
   * @throws IOException as the JDK's call throws it ({@link java.nio.file.NoSuchFileException},
   *     {@link java.nio.file.AccessDeniedException} …): a statx that fails is asked again of
   *     the JDK, which names the failure as callers expect
   */
  public static FileStat lstat(Path path) throws IOException {
    try {
      return Posix.lstat(path);
    } catch (Posix.PosixException e) {
      return Posix.jdkLstat(path);
    }
  }

  /**
   * The permission bits (0777) of {@code mode} as the JDK's set; setuid, setgid and sticky have
   * no place in it.
   */
  public static Set<PosixFilePermission> permissions(int mode) {
    Set<PosixFilePermission> set = EnumSet.noneOf(PosixFilePermission.class);
    for (PosixFilePermission p : PosixFilePermission.values()) {
      if ((mode & (0400 >> p.ordinal())) != 0) { // OWNER_READ … OTHERS_EXECUTE, 0400 … 01
        set.add(p);
      }
    }
    return set;
  }

  /** Whether {@link #lstat} goes through statx here (else through the JDK). */
  public static boolean statxInUse() {
    return Posix.statxInUse();
  }

  /**
   * {@code FileTime.to(NANOSECONDS)} of the time the JDK makes of (seconds, nanoseconds)
   * (UnixFileAttributes.toFileTime: whole seconds, else nanoseconds, else microseconds where
   * the nanoseconds since 1970 overflow a long), without making the FileTime.
   */
  static long nanos(long seconds, long nanos) {
    if (nanos != 0) {
      try {
        return Math.addExact(nanos, Math.multiplyExact(seconds, 1_000_000_000L));
      } catch (ArithmeticException e) {
        return FileTime.from(seconds * 1_000_000L + nanos / 1_000, TimeUnit.MICROSECONDS)
            .to(TimeUnit.NANOSECONDS);
      }
    }
    return FileTime.from(seconds, TimeUnit.SECONDS).to(TimeUnit.NANOSECONDS);
  }
}
