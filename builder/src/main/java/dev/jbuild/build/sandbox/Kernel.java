package dev.jbuild.build.sandbox;

import com.sun.jna.LastErrorException;
import com.sun.jna.Native;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import java.util.TreeMap;

/**
 * The Linux system calls the sandbox worker makes through JNA: mount and umount2, per-thread
 * unshare, sethostname and bringing the loopback interface up. Only the worker (inside its
 * mount namespace) calls them; nothing here spawns {@code mount} or {@code ip}.
 */
final class Kernel {
  static final long MS_RDONLY = 1;
  static final long MS_NOSUID = 2;
  static final long MS_NODEV = 4;
  static final long MS_NOEXEC = 8;
  static final long MS_REMOUNT = 32;
  static final long MS_BIND = 4096;
  static final long MS_REC = 16384;
  static final long MS_PRIVATE = 1 << 18;

  static final int MNT_DETACH = 2;
  static final int UMOUNT_NOFOLLOW = 8;

  static final int CLONE_NEWUTS = 0x04000000;
  static final int CLONE_NEWIPC = 0x08000000;
  static final int CLONE_NEWNET = 0x40000000;

  static final int EPERM = 1;
  static final int ENOENT = 2;
  static final int EINVAL = 22;
  static final int EACCES = 13;
  static final int EBUSY = 16;
  static final int EEXIST = 17;
  static final int ENODATA = 61;
  static final int ENOSYS = 38;

  private static final int AT_FDCWD = -100;
  private static final int AT_SYMLINK_NOFOLLOW = 0x100;
  private static final int RENAME_NOREPLACE = 1;
  private static final int O_DIRECTORY = 0200000;
  private static final int O_CLOEXEC = 02000000;
  private static final int O_PATH = 010000000;

  private static final int AF_INET = 2;
  private static final int SOCK_DGRAM = 2;
  private static final long SIOCGIFFLAGS = 0x8913;
  private static final long SIOCSIFFLAGS = 0x8914;
  private static final short IFF_UP = 0x1;

  /** libc through JNA direct mapping; errno arrives as LastErrorException. */
  private static final class LibC {
    static {
      Native.register(LibC.class, "c");
    }

    private LibC() {}

    static native int mount(byte[] source, byte[] target, byte[] type, long flags, byte[] data)
        throws LastErrorException;

    static native int umount2(byte[] target, int flags) throws LastErrorException;

    static native int unshare(int flags) throws LastErrorException;

    static native int sethostname(byte[] name, long len) throws LastErrorException;

    static native int socket(int domain, int type, int protocol) throws LastErrorException;

    static native int ioctl(int fd, long request, byte[] arg) throws LastErrorException;

    static native int close(int fd) throws LastErrorException;

    static native int open(byte[] path, int flags) throws LastErrorException;

    static native int chdir(byte[] path) throws LastErrorException;

    static native int fcntl(int fd, int cmd, int arg) throws LastErrorException;

    static native int geteuid();

    static native int umask(int mask);

    static native long lgetxattr(byte[] path, byte[] name, byte[] value, long size)
        throws LastErrorException;

    static native long llistxattr(byte[] path, byte[] list, long size) throws LastErrorException;

    static native int lsetxattr(byte[] path, byte[] name, byte[] value, long size, int flags)
        throws LastErrorException;

    static native int lremovexattr(byte[] path, byte[] name) throws LastErrorException;

    static native int utimensat(int dirfd, byte[] path, long[] times, int flags)
        throws LastErrorException;

    static native int renameat2(int olddirfd, byte[] oldpath, int newdirfd, byte[] newpath,
        int flags) throws LastErrorException;
  }

  private Kernel() {}

  /** A failed system call, with its errno. */
  static final class KernelException extends IOException {
    private final int errno;

    KernelException(String what, int errno) {
      super(what + ": " + describe(errno));
      this.errno = errno;
    }

    int errno() {
      return errno;
    }

    private static String describe(int errno) {
      switch (errno) {
        case EPERM: return "operation not permitted (EPERM)";
        case EACCES: return "permission denied (EACCES)";
        case ENOENT: return "no such file or directory (ENOENT)";
        case EINVAL: return "invalid argument (EINVAL)";
        case EBUSY: return "device or resource busy (EBUSY)";
        case EEXIST: return "file exists (EEXIST)";
        default: return "errno " + errno;
      }
    }
  }

  private static byte[] cstr(String s) {
    if (s == null) {
      return null;
    }
    byte[] b = s.getBytes(StandardCharsets.UTF_8);
    return Arrays.copyOf(b, b.length + 1);
  }

  private static byte[] cpath(Path p) {
    return cstr(p.toString());
  }

  static int geteuid() {
    return LibC.geteuid();
  }

  /** umask(2) for the whole process; returns the previous mask. */
  static int umask(int mask) {
    return LibC.umask(mask);
  }

  /**
   * The extended attributes of a file itself (not a symlink's target), by name; empty when the
   * filesystem has none.
   */
  static Map<String, byte[]> xattrs(Path path) throws KernelException {
    byte[] p = cpath(path);
    byte[] list;
    try {
      long size = LibC.llistxattr(p, null, 0);
      if (size <= 0) {
        return Map.of();
      }
      list = new byte[(int) size];
      list = Arrays.copyOf(list, (int) LibC.llistxattr(p, list, list.length));
    } catch (LastErrorException e) {
      if (e.getErrorCode() == 95) { // ENOTSUP
        return Map.of();
      }
      throw new KernelException("llistxattr " + path, e.getErrorCode());
    }
    Map<String, byte[]> out = new TreeMap<>();
    int start = 0;
    for (int i = 0; i < list.length; i++) {
      if (list[i] != 0) {
        continue;
      }
      if (i > start) {
        String name = new String(list, start, i - start, StandardCharsets.UTF_8);
        try {
          byte[] n = cstr(name);
          long size = LibC.lgetxattr(p, n, null, 0);
          byte[] v = new byte[(int) size];
          if (size > 0) {
            v = Arrays.copyOf(v, (int) LibC.lgetxattr(p, n, v, v.length));
          }
          out.put(name, v);
        } catch (LastErrorException e) {
          if (e.getErrorCode() != 61 && e.getErrorCode() != EPERM && e.getErrorCode() != EACCES) {
            throw new KernelException("lgetxattr " + name + " " + path, e.getErrorCode());
          }
          // ENODATA: removed meanwhile; EPERM/EACCES: trusted.* invisible here
        }
      }
      start = i + 1;
    }
    return out;
  }

  /** The names of a file's own extended attributes (not a symlink's target's). */
  static java.util.List<String> xattrNames(Path path) throws KernelException {
    byte[] p = cpath(path);
    byte[] list;
    try {
      long size = LibC.llistxattr(p, null, 0);
      if (size <= 0) {
        return java.util.List.of();
      }
      list = new byte[(int) size];
      list = Arrays.copyOf(list, (int) LibC.llistxattr(p, list, list.length));
    } catch (LastErrorException e) {
      if (e.getErrorCode() == 95) { // ENOTSUP
        return java.util.List.of();
      }
      throw new KernelException("llistxattr " + path, e.getErrorCode());
    }
    java.util.List<String> names = new java.util.ArrayList<>();
    int start = 0;
    for (int i = 0; i < list.length; i++) {
      if (list[i] == 0) {
        if (i > start) {
          names.add(new String(list, start, i - start, StandardCharsets.UTF_8));
        }
        start = i + 1;
      }
    }
    return names;
  }

  /** lsetxattr(2). */
  static void lsetxattr(Path path, String name, byte[] value) throws KernelException {
    try {
      LibC.lsetxattr(cpath(path), cstr(name), value, value.length, 0);
    } catch (LastErrorException e) {
      throw new KernelException("lsetxattr " + name + " " + path, e.getErrorCode());
    }
  }

  /** lremovexattr(2); an attribute already gone is fine. */
  static void lremovexattr(Path path, String name) throws KernelException {
    try {
      LibC.lremovexattr(cpath(path), cstr(name));
    } catch (LastErrorException e) {
      if (e.getErrorCode() != ENODATA) {
        throw new KernelException("lremovexattr " + name + " " + path, e.getErrorCode());
      }
    }
  }

  /** Sets atime and mtime of a file itself (a symlink is not followed), whole seconds. */
  static void lutimes(Path path, long seconds) throws KernelException {
    try {
      LibC.utimensat(AT_FDCWD, cpath(path), new long[] {seconds, 0, seconds, 0},
          AT_SYMLINK_NOFOLLOW);
    } catch (LastErrorException e) {
      throw new KernelException("utimensat " + path, e.getErrorCode());
    }
  }

  /**
   * Renames {@code source} to {@code target} unless {@code target} exists (renameat2
   * RENAME_NOREPLACE; rename(2) would replace an empty directory).
   *
   * @return false when {@code target} exists
   * @throws KernelException with {@code ENOSYS} or {@code EINVAL} when the kernel or the
   *     filesystem cannot rename without replacing
   */
  static boolean renameNoReplace(Path source, Path target) throws KernelException {
    try {
      LibC.renameat2(AT_FDCWD, cpath(source), AT_FDCWD, cpath(target), RENAME_NOREPLACE);
      return true;
    } catch (LastErrorException e) {
      if (e.getErrorCode() == EEXIST) {
        return false;
      }
      throw new KernelException("renameat2 " + source + " " + target, e.getErrorCode());
    }
  }

  /**
   * An {@code O_PATH} descriptor of a directory: {@code /proc/self/fd/<fd>} names the directory
   * itself, wherever it is renamed to, until {@link #close(int)}.
   */
  static int openPath(Path dir) throws KernelException {
    try {
      return LibC.open(cpath(dir), O_PATH | O_DIRECTORY | O_CLOEXEC);
    } catch (LastErrorException e) {
      throw new KernelException("open " + dir, e.getErrorCode());
    }
  }

  /** close(2); a failure is ignored (the descriptor is gone either way). */
  static void close(int fd) {
    try {
      LibC.close(fd);
    } catch (LastErrorException e) {
      // EBADF or EINTR: nothing to do
    }
  }

  /** mount(2). */
  static void mount(String source, Path target, String type, long flags, String data)
      throws KernelException {
    try {
      LibC.mount(cstr(source), cpath(target), cstr(type), flags, cstr(data));
    } catch (LastErrorException e) {
      throw new KernelException(
          "mount " + (type == null ? "" : type + " ") + (source == null ? "" : source + " ")
              + "on " + target + (data == null ? "" : " (" + data + ")"),
          e.getErrorCode());
    }
  }

  /** A read-only or read-write bind mount of {@code source} on {@code target}. */
  static void bind(Path source, Path target, boolean readOnly) throws KernelException {
    mount(source.toString(), target, null, MS_BIND | MS_REC, null);
    if (readOnly) {
      mount(null, target, null, MS_BIND | MS_REMOUNT | MS_RDONLY | MS_REC, null);
    }
  }

  /** umount2(2). */
  static void umount(Path target, int flags) throws KernelException {
    try {
      LibC.umount2(cpath(target), flags);
    } catch (LastErrorException e) {
      throw new KernelException("umount " + target, e.getErrorCode());
    }
  }

  /** unshare(2) for the calling thread only (network, UTS and IPC namespaces). */
  static void unshareThread(int flags) throws KernelException {
    try {
      LibC.unshare(flags);
    } catch (LastErrorException e) {
      throw new KernelException("unshare", e.getErrorCode());
    }
  }

  /** sethostname(2) in the calling thread's UTS namespace. */
  static void sethostname(String name) throws KernelException {
    byte[] b = name.getBytes(StandardCharsets.UTF_8);
    try {
      LibC.sethostname(b, b.length);
    } catch (LastErrorException e) {
      throw new KernelException("sethostname", e.getErrorCode());
    }
  }

  private static final int F_SETPIPE_SZ = 1031;

  /**
   * Makes the pipe at {@code fd} hold {@code bytes} (rounded up to pages by the kernel) and
   * returns its new size; the kernel caps what an unprivileged process may ask for at {@code
   * fs.pipe-max-size} (1 MiB by default).
   */
  static int setPipeSize(int fd, int bytes) throws KernelException {
    try {
      return LibC.fcntl(fd, F_SETPIPE_SZ, bytes);
    } catch (LastErrorException e) {
      throw new KernelException("fcntl F_SETPIPE_SZ " + fd, e.getErrorCode());
    }
  }

  /** chdir(2): the process's working directory, which relative mount options resolve from. */
  static void chdir(Path dir) throws KernelException {
    try {
      LibC.chdir(cpath(dir));
    } catch (LastErrorException e) {
      throw new KernelException("chdir " + dir, e.getErrorCode());
    }
  }

  /**
   * Sets {@code lo} up in the calling thread's network namespace (a new one starts with the
   * loopback interface down; BuildKit's {@code --network=none} has it up).
   */
  static void loopbackUp() throws KernelException {
    int fd;
    try {
      fd = LibC.socket(AF_INET, SOCK_DGRAM, 0);
    } catch (LastErrorException e) {
      throw new KernelException("socket", e.getErrorCode());
    }
    try {
      byte[] ifreq = new byte[40]; // struct ifreq: 16-byte name, then the union (flags: short)
      byte[] name = "lo".getBytes(StandardCharsets.US_ASCII);
      System.arraycopy(name, 0, ifreq, 0, name.length);
      LibC.ioctl(fd, SIOCGIFFLAGS, ifreq);
      short flags = (short) ((ifreq[16] & 0xff) | (ifreq[17] & 0xff) << 8);
      flags |= IFF_UP;
      ifreq[16] = (byte) flags;
      ifreq[17] = (byte) (flags >> 8);
      LibC.ioctl(fd, SIOCSIFFLAGS, ifreq);
    } catch (LastErrorException e) {
      throw new KernelException("ioctl SIOCSIFFLAGS lo", e.getErrorCode());
    } finally {
      try {
        LibC.close(fd);
      } catch (LastErrorException ignored) {
        // nothing to do about a failed close of a socket
      }
    }
  }
}
