package dev.jbuild.layer;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * Applies a layer blob onto a directory, either flattened (whiteouts delete) or as an overlayfs
 * lower dir (whiteouts become 0/0 character devices, opaque markers an xattr). Every entry is
 * resolved inside the target through {@link RootPath}: no entry, link or whiteout of a hostile
 * layer reaches outside it. Ownership, modes (setuid included), xattrs and mtimes (symlinks
 * too) are restored where the process may; what it may not is counted in {@link ApplyResult}.
 */
public final class LayerApplier {

  /** How whiteouts are materialised. */
  public enum Form {
    /** The union view: whiteouts delete, opaque markers empty their directory. */
    FLATTENED,
    /** One overlayfs lower dir: whiteouts become 0/0 char devices, opaque markers an xattr. */
    OVERLAY_LOWER
  }

  /**
   * How to apply.
   *
   * @param form flattened or overlay lower dir
   * @param opaqueXattr the opaque xattr for OVERLAY_LOWER ({@code user.overlay.opaque} for
   *     overlay mounted with userxattr, {@code trusted.overlay.opaque} for real root)
   * @param allowDevices create character and block devices (otherwise counted and skipped)
   * @param restoreOwnership lchown entries to their uid/gid (failures counted)
   */
  public record Options(Form form, String opaqueXattr, boolean allowDevices,
      boolean restoreOwnership) {
    public Options {
      Objects.requireNonNull(form, "form");
      Objects.requireNonNull(opaqueXattr, "opaqueXattr");
      if (!opaqueXattr.equals(Whiteouts.USER_OVERLAY_OPAQUE)
          && !opaqueXattr.equals(Whiteouts.TRUSTED_OVERLAY_OPAQUE)) {
        throw new IllegalArgumentException("opaque xattr must be " + Whiteouts.USER_OVERLAY_OPAQUE
            + " or " + Whiteouts.TRUSTED_OVERLAY_OPAQUE + ", not " + opaqueXattr);
      }
    }

    /** Flattened, devices only as root, ownership restored. */
    public static Options flattened() {
      return new Options(Form.FLATTENED, Whiteouts.USER_OVERLAY_OPAQUE, Posix.isRoot(), true);
    }

    /** Overlay lower dir for overlay mounted with {@code userxattr}. */
    public static Options overlayLower() {
      return new Options(Form.OVERLAY_LOWER, Whiteouts.USER_OVERLAY_OPAQUE, Posix.isRoot(), true);
    }

    public Options withOpaqueXattr(String name) {
      return new Options(form, name, allowDevices, restoreOwnership);
    }

    public Options withAllowDevices(boolean allow) {
      return new Options(form, opaqueXattr, allow, restoreOwnership);
    }
  }

  private final Options options;

  public LayerApplier(Options options) {
    this.options = Objects.requireNonNull(options, "options");
  }

  /** Applies a layer blob file onto {@code target}, which must exist. */
  public ApplyResult apply(Path blob, Path target) throws IOException {
    return apply(blob, target, null);
  }

  /**
   * As {@link #apply(Path, Path)}, recording the layer's headers into {@code headers} (when
   * not null) in the same pass.
   */
  public ApplyResult apply(Path blob, Path target, LayerHeaders.Recorder headers)
      throws IOException {
    try (InputStream in = Files.newInputStream(blob)) {
      return apply(in, target, headers);
    }
  }

  /** Applies a layer blob (gzip, zstd or plain) onto {@code target}, which must exist. */
  public ApplyResult apply(InputStream blob, Path target) throws IOException {
    return apply(blob, target, null);
  }

  /**
   * As {@link #apply(InputStream, Path)}, recording the layer's headers into {@code headers}
   * (when not null) in the same pass.
   */
  public ApplyResult apply(InputStream blob, Path target, LayerHeaders.Recorder headers)
      throws IOException {
    if (!Files.isDirectory(target, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
      throw new java.nio.file.NotDirectoryException(target.toString());
    }
    Run run = new Run(new RootPath(target));
    try (LayerReader reader = LayerReader.open(new NonClosing(blob))) {
      for (LayerEntry e = reader.next(); e != null; e = reader.next()) {
        if (headers != null) {
          headers.read(e, reader.dataOffset());
        }
        run.apply(e);
      }
      run.finishDirectories();
      return new ApplyResult(reader.diffId(), run.entries, run.bytes, run.whiteouts,
          run.ownershipSkipped, run.devicesSkipped, run.xattrsSkipped);
    }
  }

  /** The state of one application: paths of this layer, deferred directory metadata, counts. */
  private final class Run {
    private final RootPath root;
    private final Set<String> ofThisLayer = new HashSet<>();
    private final Set<String> holdsThisLayer = new HashSet<>();
    private final List<Object[]> directories = new ArrayList<>();
    private final Map<String, Path> resolved = new HashMap<>();
    /**
     * Directories this application created, empty then: everything in them is of this layer,
     * so a name in one that is not in {@link #ofThisLayer} needs no lstat to know it is free
     * (an extraction into a new directory lstat'ed every entry, each miss a thrown
     * NoSuchFileException). Forgotten at any deletion, as {@link #resolved}.
     */
    private final Set<Path> created = new HashSet<>();
    private final byte[] buffer = new byte[256 * 1024];
    /**
     * The target itself, and whether it is setgid: what is created in it then takes its group
     * rather than the process's, so {@link #madeHere} does not count it.
     */
    private final Path top;
    private final boolean topSetgid;
    /** Whether new files belong to 0:0, so that lchown to 0:0 of one can be skipped. */
    private final boolean createsAsRoot = Posix.createsAsRoot();
    /** The umask the files are created under, -1 if unknown (then every mode is chmod'ed). */
    private final int umask = Posix.umask();
    private final Map<Integer, FileAttribute<Set<PosixFilePermission>>> permissions = new HashMap<>();
    long entries;
    long bytes;
    long whiteouts;
    long ownershipSkipped;
    long devicesSkipped;
    long xattrsSkipped;

    Run(RootPath root) throws IOException {
      this.root = root;
      top = root.directory("", null);
      topSetgid = (Posix.lstat(top).mode() & 02000) != 0;
      try (DirectoryStream<Path> ds = Files.newDirectoryStream(top)) {
        if (!ds.iterator().hasNext()) {
          created.add(top); // an extraction into a new directory
        }
      }
    }

    void apply(LayerEntry e) throws IOException {
      entries++;
      switch (e.whiteoutKind()) {
        case METADATA:
          return;
        case OPAQUE:
          opaque(e);
          return;
        case WHITEOUT:
          whiteout(e);
          return;
        default:
          break;
      }
      Path parent = directory(LayerPaths.parent(e.path()), this::implicitDirectory);
      Path target = parent.resolve(LayerPaths.name(e.path()));
      String rel = root.relative(target);
      BasicFileAttributes existing =
          created.contains(parent) && !ofThisLayer.contains(rel) && !holdsThisLayer.contains(rel)
              ? null
              : RootPath.lstat(target);
      // A directory over a directory merges (only metadata changes); anything else replaces,
      // and a symlink is removed, never written through.
      if (existing != null && !(existing.isDirectory() && e.type() == EntryType.DIRECTORY)) {
        delete(target, existing);
        existing = null;
      }
      boolean fresh = madeHere(parent);
      switch (e.type()) {
        case DIRECTORY:
          if (existing == null) {
            // writable while filling (the final mode is set at the end): made so when the
            // umask lets it, one chmod per directory less
            Files.createDirectory(target, permissions(0700));
            created.add(target);
            if (umask < 0 || (umask & 0700) != 0) {
              Posix.chmod(target, 0700);
            }
          } else {
            Posix.chmod(target, 0700);
          }
          ownerAndXattrs(target, e, existing == null && fresh);
          directories.add(new Object[] {target, e});
          break;
        case FILE: {
          // created with its permissions when the umask keeps them and no setuid, setgid or
          // sticky bit is asked for (lchown would clear those): no chmod of the file then
          int mode = e.mode() & 07777;
          boolean modeSet = umask >= 0 && (mode & ~0777) == 0 && (mode & umask) == 0;
          try (FileChannel out = FileChannel.open(target,
                  EnumSet.of(StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE),
                  permissions(modeSet ? mode : 0600));
              InputStream in = e.content().open()) {
            long n = 0;
            for (int r; (r = in.read(buffer)) > 0; ) {
              ByteBuffer b = ByteBuffer.wrap(buffer, 0, r);
              while (b.hasRemaining()) {
                out.write(b);
              }
              n += r;
            }
            bytes += n;
          }
          finish(target, e, fresh, modeSet);
          break;
        }
        case SYMLINK:
          Posix.symlink(e.linkTarget(), target);
          finish(target, e, fresh, false);
          break;
        case HARDLINK: {
          Path source = root.entry(e.linkTarget(), null);
          BasicFileAttributes a = source == null ? null : RootPath.lstat(source);
          if (a == null || a.isDirectory()) {
            throw new LayerFormatException("layer entry \"" + e.path() + "\": hard link to \""
                + e.linkTarget() + "\", which " + (a == null ? "does not exist" : "is a directory"));
          }
          Files.createLink(target, source); // link(2) links a symlink itself, never its target
          break;
        }
        case CHAR_DEVICE:
        case BLOCK_DEVICE:
          if (!options.allowDevices()) {
            devicesSkipped++;
            return;
          }
          if (!mknod(target, (e.type() == EntryType.CHAR_DEVICE ? Posix.S_IFCHR : Posix.S_IFBLK)
              | e.mode(), Posix.makedev(e.devMajor(), e.devMinor()))) {
            return;
          }
          finish(target, e, fresh, false);
          break;
        case FIFO:
          Posix.mknod(target, Posix.S_IFIFO | e.mode(), 0);
          finish(target, e, fresh, false);
          break;
        default:
          throw new IllegalStateException(e.type().toString());
      }
      mark(rel);
    }

    /**
     * {@link RootPath#directory}, remembered per directory name: resolving lstats every
     * component of the name, and the entries of a layer mostly share a few parents (a base
     * layer of 6,600 entries took ~5 lstats each). A resolution holds until something is
     * deleted ({@link #delete} forgets them all): only a deletion can turn a resolved
     * directory into a symlink, and creating a new name changes no existing one's resolution.
     */
    private Path directory(String dir, RootPath.Created create) throws IOException {
      Path p = resolved.get(dir);
      if (p == null && !dir.isEmpty()) {
        // a directory this application made, in a resolved parent, is that parent's child:
        // resolving it again lstat'ed each of its components (4,100 statx for debian's base)
        Path parent = resolved.get(LayerPaths.parent(dir));
        Path child = parent == null ? null : parent.resolve(LayerPaths.name(dir));
        if (child != null && created.contains(child)) {
          p = child;
          resolved.put(dir, p);
        }
      }
      if (p == null) {
        p = root.directory(dir, create);
        if (p != null) {
          resolved.put(dir, p);
        }
      }
      return p;
    }

    /**
     * Whether what is created in {@code dir} belongs to the process's ids: a directory this
     * application made is not setgid while it fills (0700 or 0755 until {@link
     * #finishDirectories}), and the target counts when it is not setgid.
     */
    private boolean madeHere(Path dir) {
      return created.contains(dir) && !(topSetgid && dir.equals(top));
    }

    private FileAttribute<Set<PosixFilePermission>> permissions(int mode) {
      return permissions.computeIfAbsent(
          mode, m -> PosixFilePermissions.asFileAttribute(FileStat.permissions(m)));
    }

    /** Records a path of this layer, and its ancestors as directories holding one. */
    private void mark(String rel) {
      ofThisLayer.add(rel);
      for (int i = rel.lastIndexOf('/'); i > 0; i = rel.lastIndexOf('/', i - 1)) {
        if (!holdsThisLayer.add(rel.substring(0, i))) {
          break;
        }
      }
    }

    private void implicitDirectory(Path dir) throws IOException {
      created.add(dir);
      Posix.chmod(dir, 0755);
      mark(root.relative(dir));
    }

    private void whiteout(LayerEntry e) throws IOException {
      whiteouts++;
      String hidden = Whiteouts.hiddenPath(e.path());
      if (options.form() == Form.FLATTENED) {
        Path parent = directory(LayerPaths.parent(hidden), null);
        if (parent == null) {
          return; // nothing below to hide
        }
        Path target = parent.resolve(LayerPaths.name(hidden));
        String rel = root.relative(target);
        if (ofThisLayer.contains(rel) || holdsThisLayer.contains(rel)) {
          return; // a whiteout hides only the layers below (LayerStack agrees)
        }
        BasicFileAttributes a = RootPath.lstat(target);
        if (a != null) {
          delete(target, a);
        }
        return;
      }
      Path parent = directory(LayerPaths.parent(hidden), this::implicitDirectory);
      Path target = parent.resolve(LayerPaths.name(hidden));
      String rel = root.relative(target);
      if (ofThisLayer.contains(rel) || holdsThisLayer.contains(rel)) {
        return;
      }
      BasicFileAttributes a = RootPath.lstat(target);
      if (a != null) {
        delete(target, a);
      }
      if (mknod(target, Posix.S_IFCHR | e.mode(), 0)) {
        finish(target, e.withXattrs(Map.of()), madeHere(parent), false);
        mark(rel);
      }
    }

    private void opaque(LayerEntry e) throws IOException {
      whiteouts++;
      Path dir = directory(LayerPaths.parent(e.path()), this::implicitDirectory);
      if (options.form() == Form.OVERLAY_LOWER) {
        Posix.lsetxattr(dir, options.opaqueXattr(), new byte[] {'y'});
        return;
      }
      hideBelow(dir);
    }

    /** Removes what lower layers put in {@code dir}, descending where this layer added entries. */
    private void hideBelow(Path dir) throws IOException {
      try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir)) {
        for (Path child : ds) {
          String rel = root.relative(child);
          BasicFileAttributes a = RootPath.lstat(child);
          if (a == null || ofThisLayer.contains(rel) && !holdsThisLayer.contains(rel)) {
            continue;
          }
          if (holdsThisLayer.contains(rel) && a.isDirectory()) {
            hideBelow(child);
          } else if (!ofThisLayer.contains(rel)) {
            delete(child, a);
          }
        }
      }
    }

    private boolean mknod(Path target, int mode, long dev) throws IOException {
      try {
        Posix.mknod(target, mode, dev);
        return true;
      } catch (Posix.PosixException x) {
        if (x.notPermitted()) {
          devicesSkipped++;
          return false;
        }
        throw x;
      }
    }

    /**
     * Metadata of a non-directory, right after creating it ({@code fresh}: in a directory of
     * {@link #madeHere}; {@code modeSet}: created with its final mode).
     */
    private void finish(Path target, LayerEntry e, boolean fresh, boolean modeSet)
        throws IOException {
      ownerAndXattrs(target, e, fresh);
      if (e.type() != EntryType.SYMLINK && !modeSet) {
        Posix.chmod(target, e.mode()); // after lchown, which clears setuid/setgid
      }
      Posix.lutimes(target, e.mtime().getEpochSecond(), e.mtime().getNano());
    }

    /**
     * Owner and xattrs of {@code target}; the lchown is skipped where the file was just created
     * ({@code fresh}) by a process whose files belong to 0:0 and the entry asks for 0:0 (nearly
     * every file of a base image: one syscall per file less).
     */
    private void ownerAndXattrs(Path target, LayerEntry e, boolean fresh) throws IOException {
      if (options.restoreOwnership()
          && !(fresh && createsAsRoot && e.uid() == 0 && e.gid() == 0)) {
        try {
          Posix.lchown(target, e.uid(), e.gid());
        } catch (Posix.PosixException x) {
          if (!x.notPermitted() && x.errno() != Posix.EINVAL) { // EINVAL: id not mapped in this userns
            throw x;
          }
          ownershipSkipped++;
        }
      }
      for (Map.Entry<String, byte[]> x : e.xattrs().entrySet()) {
        try {
          Posix.lsetxattr(target, x.getKey(), x.getValue());
        } catch (Posix.PosixException ex) {
          if (!ex.notPermitted()) {
            throw ex;
          }
          xattrsSkipped++;
        }
      }
    }

    /** Directory modes and mtimes last, deepest first, so that filling them changes nothing. */
    void finishDirectories() throws IOException {
      for (int i = directories.size() - 1; i >= 0; i--) {
        Path dir = (Path) directories.get(i)[0];
        LayerEntry e = (LayerEntry) directories.get(i)[1];
        BasicFileAttributes a = RootPath.lstat(dir);
        if (a == null || !a.isDirectory()) {
          continue; // replaced later in the layer
        }
        Posix.chmod(dir, e.mode());
        Posix.lutimes(dir, e.mtime().getEpochSecond(), e.mtime().getNano());
      }
    }

    /** Removes a file or a whole tree without following any symlink. */
    private void delete(Path p, BasicFileAttributes a) throws IOException {
      if (a.isDirectory()) {
        Posix.chmod(p, 0700); // a read-only directory from a lower layer must still empty
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(p)) {
          for (Path child : ds) {
            BasicFileAttributes ca = RootPath.lstat(child);
            if (ca != null) {
              delete(child, ca);
            }
          }
        }
      }
      resolved.clear();
      created.clear();
      Files.delete(p);
      ofThisLayer.remove(root.relative(p));
    }
  }

  /** Lets the caller keep its stream open. */
  private static final class NonClosing extends java.io.FilterInputStream {
    NonClosing(InputStream in) {
      super(in);
    }

    @Override
    public void close() {}
  }
}
