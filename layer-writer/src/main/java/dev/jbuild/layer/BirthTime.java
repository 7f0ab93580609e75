package dev.jbuild.layer;

import com.sun.jna.LastErrorException;
import com.sun.jna.Native;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;

/**
 * A file's birth time through {@code statx(2)}, which the JDK 17 file attributes do not give
 * (their {@code creationTime} is the mtime on Linux). {@link TreeDiff} needs it to tell a
 * directory that was removed and made again from the one that was there, because ext4 hands
 * the freed inode number straight back to the next {@code mkdir}.
 */
final class BirthTime {
  private static final int AT_FDCWD = -100;
  private static final int AT_SYMLINK_NOFOLLOW = 0x100;
  private static final int STATX_INO = 0x100;
  private static final int STATX_BTIME = 0x800;
  private static final int STATX_SIZE = 256; // struct statx
  private static final int OFF_MASK = 0;
  private static final int OFF_BTIME = 80; // struct statx_timestamp stx_btime

  private static final boolean AVAILABLE = register();

  private BirthTime() {}

  private static boolean register() {
    try {
      Native.register(BirthTime.class, "c");
      return true;
    } catch (UnsatisfiedLinkError | IllegalArgumentException e) {
      return false; // glibc older than 2.28: no statx wrapper
    }
  }

  private static native int statx(int dirfd, byte[] path, int flags, int mask, byte[] buf)
      throws LastErrorException;

  /**
   * The birth time in nanoseconds since the epoch, or {@link Long#MIN_VALUE} when the
   * filesystem or the C library does not record it.
   */
  static long of(Path path) throws Posix.PosixException {
    if (!AVAILABLE) {
      return Long.MIN_VALUE;
    }
    byte[] buf = new byte[STATX_SIZE];
    try {
      statx(AT_FDCWD, Posix.bytes(path), AT_SYMLINK_NOFOLLOW, STATX_BTIME | STATX_INO, buf);
    } catch (LastErrorException e) {
      if (e.getErrorCode() == 38) { // ENOSYS: a kernel older than 4.11
        return Long.MIN_VALUE;
      }
      throw new Posix.PosixException("statx", path, e.getErrorCode());
    }
    ByteBuffer b = ByteBuffer.wrap(buf).order(ByteOrder.nativeOrder());
    if ((b.getInt(OFF_MASK) & STATX_BTIME) == 0) {
      return Long.MIN_VALUE;
    }
    return b.getLong(OFF_BTIME) * 1_000_000_000L + (b.getInt(OFF_BTIME + 8) & 0xffffffffL);
  }
}
