package dev.jbuild.layer;

import com.sun.jna.LastErrorException;
import com.sun.jna.Native;
import java.io.IOException;
import java.nio.charset.Charset;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The few libc calls the JDK lacks: mknod, lchown, chmod with setuid bits, l*xattr and
 * utimensat on symlinks. Paths cross as raw bytes so that no name is re-encoded.
 */
final class Posix {
  static final int EPERM = 1;
  static final int ENOENT = 2;
  static final int EACCES = 13;
  static final int EEXIST = 17;
  static final int EINVAL = 22;
  static final int ERANGE = 34;
  static final int ENODATA = 61;
  static final int ENOTSUP = 95;

  static final int S_IFIFO = 0010000;
  static final int S_IFCHR = 0020000;
  static final int S_IFDIR = 0040000;
  static final int S_IFBLK = 0060000;
  static final int S_IFREG = 0100000;
  static final int S_IFLNK = 0120000;
  static final int S_IFSOCK = 0140000;
  static final int S_IFMT = 0170000;

  private static final int AT_FDCWD = -100;
  private static final int AT_SYMLINK_NOFOLLOW = 0x100;
  private static final Charset FS = Charset.forName(System.getProperty("sun.jnu.encoding", "UTF-8"));

  /**
   * libc through JNA direct mapping (native methods bound once; no reflective proxy per call,
   * which matters at one llistxattr per file); errno arrives as LastErrorException.
   */
  static final class LibC {
    static {
      Native.register(LibC.class, "c");
    }

    private LibC() {}

    static native int mknod(byte[] path, int mode, long dev) throws LastErrorException;

    static native int lchown(byte[] path, int uid, int gid) throws LastErrorException;

    static native int chmod(byte[] path, int mode) throws LastErrorException;

    static native int lsetxattr(byte[] path, byte[] name, byte[] value, long size, int flags)
        throws LastErrorException;

    static native long lgetxattr(byte[] path, byte[] name, byte[] value, long size)
        throws LastErrorException;

    static native long llistxattr(byte[] path, byte[] list, long size) throws LastErrorException;

    static native int lremovexattr(byte[] path, byte[] name) throws LastErrorException;

    static native int utimensat(int dirfd, byte[] path, long[] times, int flags)
        throws LastErrorException;

    static native int symlink(byte[] target, byte[] linkpath) throws LastErrorException;

    static native int geteuid();

    static native int getegid();
  }

  /**
   * statx(2), bound apart from {@link LibC}: a libc older than 2.28 lacks the symbol, and then
   * (or where the kernel or a seccomp filter refuses the call) {@link #lstat} asks the JDK.
   */
  private static final class Statx {
    static final boolean BOUND;

    static {
      boolean bound;
      try {
        Native.register(Statx.class, "c");
        bound = true;
      } catch (UnsatisfiedLinkError | RuntimeException e) {
        bound = false;
      }
      BOUND = bound;
    }

    private Statx() {}

    static native int statx(int dirfd, byte[] path, int flags, int mask, byte[] buf)
        throws LastErrorException;
  }

  private static final int STATX_BASIC_STATS = 0x7ff;
  /** type, mode, nlink, uid, gid, mtime, ctime, ino, size: what {@link FileStat} needs. */
  private static final int STATX_NEEDED =
      0x1 | 0x2 | 0x4 | 0x8 | 0x10 | 0x40 | 0x80 | 0x100 | 0x200;
  private static final int ENOSYS = 38;
  private static final String JDK_ATTRS =
      "unix:mode,ino,dev,rdev,nlink,uid,gid,size,lastModifiedTime,ctime";
  private static volatile boolean statxWorks = true;

  /**
   * lstat through statx into a plain record. The JDK's {@code readAttributes(p, "unix:…")}
   * parses the attribute list and fills a map of boxed values per call, and that chain was
   * most of what C2 compiled in a fresh sandbox worker; this is one native call and a few
   * reads of a byte array. Same values as the JDK's (dev and rdev in glibc's encoding, the
   * times to the nanosecond). Failures are PosixExceptions; {@link FileStat#lstat} turns them
   * into the JDK's.
   */
  static FileStat lstat(Path path) throws IOException {
    if (Statx.BOUND && statxWorks) {
      byte[] buf = new byte[256];
      try {
        Statx.statx(AT_FDCWD, bytes(path), AT_SYMLINK_NOFOLLOW, STATX_BASIC_STATS, buf);
        java.nio.ByteBuffer b = java.nio.ByteBuffer.wrap(buf).order(java.nio.ByteOrder.nativeOrder());
        if ((b.getInt(0) & STATX_NEEDED) == STATX_NEEDED) {
          long mtimeSeconds = b.getLong(112);
          int mtimeNanos = b.getInt(120);
          return new FileStat(b.getShort(28) & 0xffff,
              makedev(b.getInt(136) & 0xffffffffL, b.getInt(140) & 0xffffffffL), b.getLong(32),
              makedev(b.getInt(128) & 0xffffffffL, b.getInt(132) & 0xffffffffL), b.getInt(16),
              b.getInt(20) & 0xffffffffL, b.getInt(24) & 0xffffffffL, b.getLong(40),
              mtime(mtimeSeconds, mtimeNanos), FileStat.nanos(mtimeSeconds, mtimeNanos),
              FileStat.nanos(b.getLong(96), b.getInt(104)));
        }
        // a filesystem that cannot tell all of them: the JDK's answer, whatever it is
      } catch (LastErrorException e) {
        int errno = e.getErrorCode();
        if (errno != ENOSYS && errno != EPERM) {
          throw new PosixException("statx", path, errno);
        }
        statxWorks = false; // an old kernel, or a seccomp filter that refuses statx
      }
    }
    return jdkLstat(path);
  }

  /** {@link #lstat} through the JDK, failing with its exceptions (NoSuchFileException …). */
  static FileStat jdkLstat(Path path) throws IOException {
    java.util.Map<String, Object> a =
        java.nio.file.Files.readAttributes(path, JDK_ATTRS, java.nio.file.LinkOption.NOFOLLOW_LINKS);
    java.nio.file.attribute.FileTime mtime =
        (java.nio.file.attribute.FileTime) a.get("lastModifiedTime");
    java.nio.file.attribute.FileTime ctime = (java.nio.file.attribute.FileTime) a.get("ctime");
    return new FileStat((Integer) a.get("mode"), (Long) a.get("dev"), (Long) a.get("ino"),
        (Long) a.get("rdev"), (Integer) a.get("nlink"),
        ((Number) a.get("uid")).longValue() & 0xffffffffL,
        ((Number) a.get("gid")).longValue() & 0xffffffffL, (Long) a.get("size"),
        mtime.toInstant(), mtime.to(java.util.concurrent.TimeUnit.NANOSECONDS),
        ctime.to(java.util.concurrent.TimeUnit.NANOSECONDS));
  }

  /** Whether {@link #lstat} goes through statx here (else through the JDK). */
  static boolean statxInUse() {
    return Statx.BOUND && statxWorks;
  }

  /**
   * The mtime as the JDK makes it (UnixFileAttributes.toFileTime): to the nanosecond, or to the
   * microsecond where the nanoseconds since 1970 overflow a long.
   */
  private static java.time.Instant mtime(long seconds, int nanos) {
    if (nanos == 0) {
      return java.time.Instant.ofEpochSecond(seconds);
    }
    try {
      Math.addExact(nanos, Math.multiplyExact(seconds, 1_000_000_000L));
      return java.time.Instant.ofEpochSecond(seconds, nanos);
    } catch (ArithmeticException e) {
      return java.nio.file.attribute.FileTime.from(seconds * 1_000_000L + nanos / 1_000,
          java.util.concurrent.TimeUnit.MICROSECONDS).toInstant();
    }
  }

  private Posix() {}

  /** An errno-carrying failure of a native call on a path. */
  static final class PosixException extends IOException {
    private final int errno;

    PosixException(String call, Path path, int errno) {
      super(call + " " + path + ": " + describe(errno));
      this.errno = errno;
    }

    int errno() {
      return errno;
    }

    /** True when the process lacks the privilege (or the filesystem the support) for the call. */
    boolean notPermitted() {
      return errno == EPERM || errno == EACCES || errno == ENOTSUP;
    }

    private static String describe(int errno) {
      switch (errno) {
        case EPERM: return "operation not permitted (EPERM)";
        case EACCES: return "permission denied (EACCES)";
        case ENOENT: return "no such file (ENOENT)";
        case EEXIST: return "file exists (EEXIST)";
        case ENOTSUP: return "not supported (ENOTSUP)";
        case ENODATA: return "no such attribute (ENODATA)";
        default: return "errno " + errno;
      }
    }
  }

  static byte[] bytes(Path path) {
    byte[] b = path.toString().getBytes(FS);
    byte[] z = new byte[b.length + 1];
    System.arraycopy(b, 0, z, 0, b.length);
    return z;
  }

  private static byte[] cstr(String s) {
    byte[] b = s.getBytes(java.nio.charset.StandardCharsets.UTF_8);
    return java.util.Arrays.copyOf(b, b.length + 1);
  }

  static boolean isRoot() {
    return LibC.geteuid() == 0;
  }

  /** Whether files this process creates belong to 0:0 (outside a setgid directory). */
  static boolean createsAsRoot() {
    return LibC.geteuid() == 0 && LibC.getegid() == 0;
  }

  /**
   * The process's umask from {@code /proc/self/status} (Linux 4.7 and later), or -1 when it
   * cannot be read; umask(2) cannot be read without setting it, which races other threads.
   */
  static int umask() {
    try {
      for (String line : java.nio.file.Files.readAllLines(java.nio.file.Path.of("/proc/self/status"))) {
        if (line.startsWith("Umask:")) {
          return Integer.parseInt(line.substring(6).trim(), 8);
        }
      }
    } catch (IOException | RuntimeException e) {
      return -1;
    }
    return -1;
  }

  /** Linux (glibc) dev_t encoding of major and minor. */
  static long makedev(long major, long minor) {
    return (minor & 0xffL)
        | ((major & 0xfffL) << 8)
        | ((minor & ~0xffL) << 12)
        | ((major & ~0xfffL) << 32);
  }

  static long major(long dev) {
    return ((dev >>> 8) & 0xfffL) | ((dev >>> 32) & ~0xfffL);
  }

  static long minor(long dev) {
    return (dev & 0xffL) | ((dev >>> 12) & ~0xffL);
  }

  static void mknod(Path path, int mode, long dev) throws PosixException {
    try {
      LibC.mknod(bytes(path), mode, dev);
    } catch (LastErrorException e) {
      throw new PosixException("mknod", path, e.getErrorCode());
    }
  }

  /** symlink(2) with the target's exact bytes (Path would normalise "a//b" and "dir/"). */
  static void symlink(String target, Path link) throws PosixException {
    byte[] t = target.getBytes(java.nio.charset.StandardCharsets.UTF_8);
    byte[] z = java.util.Arrays.copyOf(t, t.length + 1);
    try {
      LibC.symlink(z, bytes(link));
    } catch (LastErrorException e) {
      throw new PosixException("symlink", link, e.getErrorCode());
    }
  }

  static void lchown(Path path, long uid, long gid) throws PosixException {
    try {
      LibC.lchown(bytes(path), (int) uid, (int) gid);
    } catch (LastErrorException e) {
      throw new PosixException("lchown", path, e.getErrorCode());
    }
  }

  /** chmod(2), which keeps setuid, setgid and sticky bits (Files.setPosixFilePermissions drops them). */
  static void chmod(Path path, int mode) throws PosixException {
    try {
      LibC.chmod(bytes(path), mode & 07777);
    } catch (LastErrorException e) {
      throw new PosixException("chmod", path, e.getErrorCode());
    }
  }

  static void lsetxattr(Path path, String name, byte[] value) throws PosixException {
    try {
      LibC.lsetxattr(bytes(path), cstr(name), value, value.length, 0);
    } catch (LastErrorException e) {
      throw new PosixException("lsetxattr " + name, path, e.getErrorCode());
    }
  }

  static void lremovexattr(Path path, String name) throws PosixException {
    try {
      LibC.lremovexattr(bytes(path), cstr(name));
    } catch (LastErrorException e) {
      throw new PosixException("lremovexattr " + name, path, e.getErrorCode());
    }
  }

  /** One attribute's value, or null when the file does not carry it. */
  static byte[] lgetxattr(Path path, String name) throws PosixException {
    byte[] p = bytes(path);
    byte[] n = cstr(name);
    for (int attempt = 0; attempt < 8; attempt++) {
      try {
        long size = LibC.lgetxattr(p, n, null, 0);
        byte[] value = new byte[(int) size];
        if (size == 0) {
          return value;
        }
        long got = LibC.lgetxattr(p, n, value, value.length);
        return got == size ? value : java.util.Arrays.copyOf(value, (int) got);
      } catch (LastErrorException e) {
        if (e.getErrorCode() == ENODATA) {
          return null;
        }
        if (e.getErrorCode() != ERANGE) { // ERANGE: it grew between the two calls
          throw new PosixException("lgetxattr " + name, path, e.getErrorCode());
        }
      }
    }
    throw new PosixException("lgetxattr " + name, path, ERANGE);
  }

  /** Every extended attribute of the file itself (not a symlink's target), in listing order. */
  static Map<String, byte[]> lxattrs(Path path) throws PosixException {
    List<String> names = lxattrNames(path);
    if (names.isEmpty()) {
      return Map.of();
    }
    Map<String, byte[]> out = new LinkedHashMap<>();
    for (String name : names) {
      byte[] v = lgetxattr(path, name);
      if (v != null) {
        out.put(name, v);
      }
    }
    return out;
  }

  /**
   * The names of the file's own extended attributes, in listing order (one llistxattr; the
   * values cost a call each, for the names a caller keeps).
   */
  static List<String> lxattrNames(Path path) throws PosixException {
    byte[] p = bytes(path);
    byte[] list;
    try {
      long size = LibC.llistxattr(p, null, 0);
      if (size == 0) {
        return List.of();
      }
      list = new byte[(int) size];
      long got = LibC.llistxattr(p, list, list.length);
      list = java.util.Arrays.copyOf(list, (int) got);
    } catch (LastErrorException e) {
      if (e.getErrorCode() == ENOTSUP) {
        return List.of();
      }
      throw new PosixException("llistxattr", path, e.getErrorCode());
    }
    List<String> names = new ArrayList<>();
    int start = 0;
    for (int i = 0; i < list.length; i++) {
      if (list[i] == 0) {
        if (i > start) {
          names.add(new String(list, start, i - start, java.nio.charset.StandardCharsets.UTF_8));
        }
        start = i + 1;
      }
    }
    return names;
  }

  /** Sets access and modification time of the file itself, symlinks included. */
  static void lutimes(Path path, long seconds, long nanos) throws PosixException {
    try {
      LibC.utimensat(AT_FDCWD, bytes(path), new long[] {seconds, nanos, seconds, nanos},
          AT_SYMLINK_NOFOLLOW);
    } catch (LastErrorException e) {
      throw new PosixException("utimensat", path, e.getErrorCode());
    }
  }
}
