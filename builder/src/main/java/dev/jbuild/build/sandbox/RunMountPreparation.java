package dev.jbuild.build.sandbox;

import java.io.IOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * {@code RUN --mount} inside the sandbox worker (the {@link RunPreparation} found by the
 * service loader). The engine resolved every mount ({@link ResolvedMount}, sent over the
 * worker's pipe, secrets included); this sets them up on the step's root before the
 * process starts, in target order as BuildKit does, each undone after the process:
 *
 * <ul>
 *   <li>bind: the context copy, or the stage's layers stacked as a read-only overlay; {@code rw}
 *       puts a throw-away upper directory over it, so writes never reach the source;
 *   <li>cache: the instance directory the engine locked, its {@code data/} created on first use
 *       (seeded from {@code from}/{@code source}, or empty with uid, gid and mode);
 *   <li>tmpfs: {@code nosuid}, with {@code size};
 *   <li>secret: a file on a private tmpfs bind-mounted read-only on the target, so the value is
 *       never written to a disk;
 *   <li>ssh: a socket on a private tmpfs, owned and moded as asked, whose connections are
 *       forwarded to the agent's socket.
 * </ul>
 *
 * <p>Mount points that did not exist are created through {@link RunContext#mountPoint} and
 * removed before the snapshot (BuildKit's mount-stub cleaner), so neither they nor anything
 * written under a target reaches the layer.
 */
public final class RunMountPreparation implements RunPreparation {

  /** Size of a secret's private tmpfs: BuildKit's limit is 500 KiB. */
  private static final String SECRET_TMPFS = "mode=0700,size=1m,nr_inodes=16";

  /** For the service loader. */
  public RunMountPreparation() {}

  @Override
  public void prepare(RunContext context) throws IOException {
    List<ResolvedMount> mounts = new ArrayList<>(context.resolvedMounts());
    // BuildKit sorts an exec's mounts by target, so a mount inside another one comes after it
    mounts.sort(Comparator.comparing(ResolvedMount::target));
    int n = 0;
    for (ResolvedMount m : mounts) {
      Path work = Files.createDirectory(context.scratch().resolve("m" + n++));
      if (m instanceof ResolvedMount.Bind) {
        bind(context, (ResolvedMount.Bind) m, work);
      } else if (m instanceof ResolvedMount.Cache) {
        cache(context, (ResolvedMount.Cache) m, work);
      } else if (m instanceof ResolvedMount.Tmpfs) {
        tmpfs(context, (ResolvedMount.Tmpfs) m);
      } else if (m instanceof ResolvedMount.Secret) {
        secret(context, (ResolvedMount.Secret) m, work);
      } else {
        ssh(context, (ResolvedMount.Ssh) m, work);
      }
    }
  }

  // ---- bind ----

  private static void bind(RunContext context, ResolvedMount.Bind b, Path work) throws IOException {
    Path base;
    if (b.source() instanceof ResolvedMount.Source.Directory) {
      Path dir = ((ResolvedMount.Source.Directory) b.source()).dir();
      base = b.readOnly() ? dir : overlay(context, List.of(dir), work, true);
    } else {
      base = layers(context, ((ResolvedMount.Source.Layers) b.source()).layers(), work, !b.readOnly());
    }
    Path source = InRoot.resolve(base, b.path(), true);
    if (!Files.exists(source, LinkOption.NOFOLLOW_LINKS)) {
      throw new IOException(
          "mount source \"/" + b.path() + "\" for " + b.target() + ": not found in "
              + (b.source() instanceof ResolvedMount.Source.Directory ? "the build context" : "the stage"));
    }
    Path target = context.mountPoint(b.target(), Files.isDirectory(source));
    context.bind(source, target, b.readOnly());
  }

  /** Stacks extracted layers as an overlay; with {@code writable}, over a throw-away upper. */
  private static Path layers(RunContext context, List<RunStep.Layer> layers, Path work, boolean writable)
      throws IOException {
    List<Path> lowers = new ArrayList<>();
    for (RunStep.Layer l : layers) {
      Path dir = context.extractedLayer(l.blob(), l.diffId().toString());
      // one directory twice among the lower dirs is ELOOP: keep the topmost occurrence, which
      // applies again everything the lower one did (as OverlaySnapshotter does)
      lowers.remove(dir);
      lowers.add(dir);
    }
    return overlay(context, lowers, work, writable);
  }

  /**
   * An overlay of {@code lowers} (bottom first) at {@code work/o}: read-only, or over a fresh
   * upper directory in {@code work}. The lower dirs are named by short links and given relative
   * to the worker's working directory (as the root overlay is), so many layers fit the one page
   * of mount options; an empty bottom layer makes a read-only overlay of one layer valid.
   */
  private static Path overlay(RunContext context, List<Path> lowers, Path work, boolean writable)
      throws IOException {
    Path links = Files.createDirectory(work.resolve("l"));
    List<String> names = new ArrayList<>();
    for (int i = 0; i < lowers.size(); i++) {
      Path link = Files.createSymbolicLink(links.resolve(Integer.toString(i)), lowers.get(i));
      names.add(0, option(link));
    }
    names.add(option(Files.createDirectory(work.resolve("e"))));
    StringBuilder options = new StringBuilder("lowerdir=").append(String.join(":", names));
    if (writable) {
      options.append(",upperdir=").append(option(Files.createDirectory(work.resolve("u"))));
      options.append(",workdir=").append(option(Files.createDirectory(work.resolve("w"))));
    }
    options.append(",userxattr");
    Path merged = Files.createDirectory(work.resolve("o"));
    try {
      Kernel.mount("overlay", merged, "overlay", writable ? 0 : Kernel.MS_RDONLY, options.toString());
    } catch (Kernel.KernelException e) {
      throw new IOException(
          "a bind mount from a stage or an image, an rw bind mount and a cache seeded from= need"
              + " overlayfs, which this machine does not allow here (" + e.getMessage() + ")",
          e);
    }
    context.onUndo(() -> Kernel.umount(merged, Kernel.MNT_DETACH));
    return merged;
  }

  /** A path for mount options: relative to the working directory when below it (shorter). */
  private static String option(Path p) throws IOException {
    Path cwd;
    try {
      cwd = Files.readSymbolicLink(Path.of("/proc/self/cwd"));
    } catch (IOException e) {
      cwd = null;
    }
    Path abs = p.toAbsolutePath().normalize();
    String s = cwd != null && abs.startsWith(cwd) && !abs.equals(cwd) ? cwd.relativize(abs).toString() : abs.toString();
    if (s.indexOf(',') >= 0 || s.indexOf(':') >= 0) {
      throw new IOException("cannot name " + p + " in overlay options (it holds ',' or ':')");
    }
    return s;
  }

  // ---- cache ----

  private static void cache(RunContext context, ResolvedMount.Cache c, Path work) throws IOException {
    Path data = c.data();
    if (!Files.isDirectory(data)) {
      create(context, c, work);
    }
    Path target = context.mountPoint(c.target(), true);
    context.bind(data, target, c.readOnly());
  }

  /**
   * Makes a cache's {@code data/} the first time it is used: in a temporary directory beside it,
   * then renamed, so a concurrent first use in another build either wins or finds it made.
   */
  private static void create(RunContext context, ResolvedMount.Cache c, Path work) throws IOException {
    Path staging = Files.createTempDirectory(c.dir(), "data-");
    try {
      if (c.seed().isPresent()) {
        Path base;
        if (c.seed().get() instanceof ResolvedMount.Source.Directory) {
          base = ((ResolvedMount.Source.Directory) c.seed().get()).dir();
        } else {
          base = layers(context, ((ResolvedMount.Source.Layers) c.seed().get()).layers(), work, false);
        }
        Path from = InRoot.resolve(base, c.seedPath(), true);
        if (!Files.isDirectory(from)) {
          throw new IOException(
              "cache mount " + c.target() + ": source \"/" + c.seedPath() + "\" is not a directory of"
                  + " its from= stage or image");
        }
        copyTree(from, staging);
      } else {
        chmod(staging, c.mode());
        Files.setAttribute(staging, "unix:uid", (int) c.uid(), LinkOption.NOFOLLOW_LINKS);
        Files.setAttribute(staging, "unix:gid", (int) c.gid(), LinkOption.NOFOLLOW_LINKS);
      }
      try {
        Files.move(staging, c.data(), StandardCopyOption.ATOMIC_MOVE);
      } catch (FileAlreadyExistsException | DirectoryNotEmptyException | AtomicMoveNotSupportedException raced) {
        // another build made it first: use theirs
        Trees.deleteQuietly(staging);
      }
    } catch (IOException | RuntimeException e) {
      Trees.deleteQuietly(staging);
      throw e;
    }
  }

  /** Copies a tree with owners, modes and times (devices, fifos and sockets left out). */
  private static void copyTree(Path from, Path to) throws IOException {
    List<Path[]> dirs = new ArrayList<>();
    Files.walkFileTree(
        from,
        new SimpleFileVisitor<>() {
          @Override
          public FileVisitResult preVisitDirectory(Path d, BasicFileAttributes attrs) throws IOException {
            Path dest = to.resolve(from.relativize(d).toString());
            if (!d.equals(from)) {
              Files.createDirectory(dest);
            }
            dirs.add(new Path[] {d, dest});
            return FileVisitResult.CONTINUE;
          }

          @Override
          public FileVisitResult visitFile(Path f, BasicFileAttributes attrs) throws IOException {
            Path dest = to.resolve(from.relativize(f).toString());
            if (attrs.isSymbolicLink()) {
              Files.createSymbolicLink(dest, Files.readSymbolicLink(f));
              owner(f, dest);
            } else if (attrs.isRegularFile()) {
              Files.copy(f, dest, StandardCopyOption.COPY_ATTRIBUTES, LinkOption.NOFOLLOW_LINKS);
              owner(f, dest);
            }
            return FileVisitResult.CONTINUE;
          }
        });
    // directories last, deepest first: their modes may forbid writing, and writing changes mtimes
    for (int i = dirs.size() - 1; i >= 0; i--) {
      Path src = dirs.get(i)[0];
      Path dest = dirs.get(i)[1];
      owner(src, dest);
      Files.setPosixFilePermissions(dest, Files.getPosixFilePermissions(src));
      Files.setLastModifiedTime(dest, Files.getLastModifiedTime(src));
    }
  }

  private static void owner(Path src, Path dest) throws IOException {
    Files.setAttribute(dest, "unix:uid", Files.getAttribute(src, "unix:uid", LinkOption.NOFOLLOW_LINKS), LinkOption.NOFOLLOW_LINKS);
    Files.setAttribute(dest, "unix:gid", Files.getAttribute(src, "unix:gid", LinkOption.NOFOLLOW_LINKS), LinkOption.NOFOLLOW_LINKS);
  }

  // ---- tmpfs ----

  private static void tmpfs(RunContext context, ResolvedMount.Tmpfs t) throws IOException {
    Path target = context.mountPoint(t.target(), true);
    // BuildKit: nosuid, the kernel's default mode (1777), the size limit when given
    Kernel.mount(
        "tmpfs", target, "tmpfs",
        Kernel.MS_NOSUID | (t.readOnly() ? Kernel.MS_RDONLY : 0),
        t.size().isPresent() ? "size=" + t.size().getAsLong() : null);
    context.onUndo(() -> Kernel.umount(target, Kernel.MNT_DETACH));
  }

  // ---- secret ----

  private static void secret(RunContext context, ResolvedMount.Secret s, Path work) throws IOException {
    if (s.file().isEmpty()) {
      return; // exposed as a variable only: the engine put it into the environment
    }
    Path dir = privateTmpfs(context, work, SECRET_TMPFS);
    Path file = dir.resolve("secret");
    byte[] value = s.value();
    try {
      Files.write(file, value);
    } finally {
      java.util.Arrays.fill(value, (byte) 0);
    }
    chmod(file, s.mode());
    Files.setAttribute(file, "unix:uid", (int) s.uid(), LinkOption.NOFOLLOW_LINKS);
    Files.setAttribute(file, "unix:gid", (int) s.gid(), LinkOption.NOFOLLOW_LINKS);
    Path target = context.mountPoint(s.target(), false);
    if (!Files.isRegularFile(target)) {
      throw new IOException("secret " + s.id() + ": the target " + s.target() + " is not a file in the image");
    }
    context.bind(file, target, true);
  }

  /** A tmpfs of this step only on {@code work} (its content never touches a disk). */
  private static Path privateTmpfs(RunContext context, Path work, String options) throws IOException {
    Kernel.mount("tmpfs", work, "tmpfs", Kernel.MS_NOSUID | Kernel.MS_NODEV | Kernel.MS_NOEXEC, options);
    context.onUndo(() -> Kernel.umount(work, Kernel.MNT_DETACH));
    return work;
  }

  // ---- ssh ----

  private static void ssh(RunContext context, ResolvedMount.Ssh s, Path work) throws IOException {
    Path dir = privateTmpfs(context, work, "mode=0755,size=64k,nr_inodes=16");
    SshAgentMount forward = SshAgentMount.open(dir.resolve("agent.sock"), s.agent());
    context.onUndo(forward::close);
    Path sock = forward.socket();
    chmod(sock, s.mode() & 0777);
    Files.setAttribute(sock, "unix:uid", (int) s.uid(), LinkOption.NOFOLLOW_LINKS);
    Files.setAttribute(sock, "unix:gid", (int) s.gid(), LinkOption.NOFOLLOW_LINKS);
    Path target = context.mountPoint(s.target(), false);
    context.bind(sock, target, false);
  }

  /** chmod with all twelve bits (a cache's {@code mode=1777} keeps its sticky bit). */
  private static void chmod(Path p, int mode) throws IOException {
    Files.setAttribute(p, "unix:mode", mode & 07777);
  }
}
