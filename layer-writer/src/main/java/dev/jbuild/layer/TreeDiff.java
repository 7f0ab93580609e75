package dev.jbuild.layer;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ThreadLocalRandom;

/**
 * The layer of what a process changed in a private copy of a root filesystem: the snapshotter
 * for machines where overlayfs cannot be mounted. The copy starts as the flattened extraction
 * of a {@link LayerStack}; afterwards the copy is walked and compared with the stack (read from
 * the layer tars, no second copy on disk). The entries are those that
 * {@link LayerWriter#writeDirectory(Path, boolean, java.io.OutputStream)} would find in the
 * overlayfs upper dir of the same step, so that both snapshotters write the same bytes:
 *
 * <ul>
 *   <li>a file, link, device or directory is in the layer when it is new or its type, mode,
 *       owner, size, mtime, link target, device numbers, xattrs or (when all of these agree)
 *       content differ from the stack; a file whose ctime predates the step is not looked at
 *       (a directory that overlayfs copied up and that holds no change is left out of the
 *       overlay path's layer too, as BuildKit's differ does);
 *   <li>every directory above a change is in the layer with its own metadata, as overlayfs
 *       copies parents up unchanged;
 *   <li>a path of the stack that is gone becomes a {@code .wh.} whiteout (owned by the user
 *       who writes into the copy, as overlay's whiteouts are owned by the mounter);
 *   <li>a directory that replaced whatever the stack had at its path (removed and made again,
 *       or made where a file was) is opaque, as overlayfs marks a directory made over a
 *       whiteout, and shows only its new contents;
 *   <li>hard links: names made during the step go in as one group, and a name linked during
 *       the step brings an older name along ({@code ln old new} puts both names in the layer,
 *       as overlayfs's link-up does); changed names of the stack go in as files of their own,
 *       as overlayfs copies each name up on its own.
 * </ul>
 *
 * <p>What overlayfs does and a walk cannot see: a file opened for writing but left as it was,
 * or given by chmod/chown/touch the values it already had, is copied up by overlayfs and absent
 * here (its ctime moves, but a file's ctime also moves when another of its names is linked or
 * removed, so it cannot stand for a copy-up); a file of the stack with several hard-linked
 * names is copied up by overlayfs under the names written or linked through (the others keep
 * the old inode), while here all its names change together (they match when the step touches
 * every name, as {@code chmod -R} or a glob does), and a new link brings the first older name
 * in layer order; a directory made elsewhere during the step and renamed into
 * an existing directory is opaque in overlayfs (the marker hides nothing) and not here.
 */
public final class TreeDiff {
  private static final String ATTRS = "unix:mode,ino,dev,rdev,nlink,uid,gid,size,lastModifiedTime,ctime";
  private static final long UNKNOWN = Long.MIN_VALUE;

  private TreeDiff() {}

  /**
   * The copy as it was before the process ran: when it was taken, which directories were
   * there (by inode), and which entries of the stack the extraction could not make (devices
   * without privilege), so that their absence is not a deletion. Take it right after
   * extracting (or copying) the root filesystem and before the process starts.
   */
  public static final class Baseline {
    private final long takenNanos;
    private final long ownerUid;
    private final long ownerGid;
    private final Map<String, List<Long>> directories;
    private final Set<String> notMaterialised;

    private Baseline(long takenNanos, long ownerUid, long ownerGid,
        Map<String, List<Long>> directories, Set<String> notMaterialised) {
      this.takenNanos = takenNanos;
      this.ownerUid = ownerUid;
      this.ownerGid = ownerGid;
      this.directories = Map.copyOf(directories);
      this.notMaterialised = Set.copyOf(notMaterialised);
    }

    /** When the baseline was taken, on the copy's filesystem clock. */
    public Instant taken() {
      return Instant.ofEpochSecond(Math.floorDiv(takenNanos, 1_000_000_000L),
          Math.floorMod(takenNanos, 1_000_000_000L));
    }

    /** Paths of the stack that the extraction could not make (devices without privilege). */
    public Set<String> notMaterialised() {
      return notMaterialised;
    }
  }

  /**
   * Records the copy at {@code root}, just extracted from {@code before}. Returns after the
   * copy's filesystem clock has moved past the moment recorded, so that whatever the process
   * does afterwards has a later ctime.
   */
  public static Baseline baseline(Path root, LayerStack before) throws IOException {
    Path dir = realDirectory(root);
    Map<String, List<Long>> directories = new HashMap<>();
    Set<String> notMaterialised = new HashSet<>();
    recordDirectories(dir, "", before, directories, notMaterialised);
    // A marker made now is later than every extracted file; wait until the clock ticks past it
    // (1 to 10 ms on coarse-grained filesystems) so that nothing the process does shares its time.
    Path marker = dir.resolve(".jbuild-baseline-" + Long.toHexString(ThreadLocalRandom.current().nextLong()));
    Files.createFile(marker);
    try {
      Map<String, Object> a = Files.readAttributes(marker, "unix:uid,gid,ctime", LinkOption.NOFOLLOW_LINKS);
      long taken = nanos((FileTime) a.get("ctime"));
      for (int i = 0; i < 1000; i++) {
        Files.setLastModifiedTime(marker, FileTime.from(Instant.now()));
        if (nanos((FileTime) Files.getAttribute(marker, "unix:ctime", LinkOption.NOFOLLOW_LINKS)) > taken) {
          break;
        }
        sleepBriefly();
      }
      return new Baseline(taken, id(a.get("uid")), id(a.get("gid")), directories, notMaterialised);
    } finally {
      Files.deleteIfExists(marker);
    }
  }

  private static void recordDirectories(Path dir, String rel, LayerStack before,
      Map<String, List<Long>> directories, Set<String> notMaterialised) throws IOException {
    for (LayerEntry e : before.list(rel)) {
      String name = LayerPaths.name(e.path());
      String path = LayerPaths.join(rel, name);
      Path p = dir.resolve(name);
      if (e.type() == EntryType.DIRECTORY) {
        Map<String, Object> a;
        try {
          a = Files.readAttributes(p, "unix:dev,ino,mode", LinkOption.NOFOLLOW_LINKS);
        } catch (NoSuchFileException x) {
          notMaterialised.add(path);
          continue;
        }
        if (((Integer) a.get("mode") & Posix.S_IFMT) != Posix.S_IFDIR) {
          throw new IOException(p + " is not a directory, but the layers below it have one there:"
              + " the copy is not an extraction of these layers");
        }
        directories.put(path, List.of((Long) a.get("dev"), (Long) a.get("ino")));
        recordDirectories(p, path, before, directories, notMaterialised);
      } else if (e.type().isDevice() && !Files.exists(p, LinkOption.NOFOLLOW_LINKS)) {
        notMaterialised.add(path);
      }
    }
  }

  /**
   * The entries of the layer of the changes in {@code root} since {@code baseline}, ready for
   * {@link LayerWriter#write}. {@code excluded} paths (mount points the sandbox made, with
   * everything below them) are left out, and their absence is not a deletion.
   */
  public static List<LayerEntry> diff(Path root, LayerStack before, Baseline baseline,
      Set<String> excluded) throws IOException {
    return changes(root, before, baseline, excluded).entries();
  }

  /**
   * What {@link #diff} finds, and whether the copy is now exactly what extracting the stack and
   * then the layer of these entries gives, once {@link #settle} has given it the layer's
   * mtimes: then it can stand for that extraction in the next step.
   *
   * @param entries the layer's entries, in layer order
   * @param replayable false when the copy holds what the layer cannot say: a socket, an
   *     excluded path, a name that shares its inode with a changed file but is not in the layer
   */
  public record Changes(List<LayerEntry> entries, boolean replayable) {
    public Changes {
      entries = List.copyOf(entries);
    }
  }

  /** {@link #diff}, with whether the copy can be replayed (see {@link Changes}). */
  public static Changes changes(Path root, LayerStack before, Baseline baseline,
      Set<String> excluded) throws IOException {
    Objects.requireNonNull(before, "before");
    Objects.requireNonNull(baseline, "baseline");
    Walk walk = new Walk(realDirectory(root), before, baseline, Set.copyOf(excluded));
    List<LayerEntry> entries = walk.run();
    return new Changes(entries, walk.replayable);
  }

  /**
   * Gives the copy's changed entries the mtimes their layer holds (whole seconds, clamped to
   * {@code sourceDateEpoch} when set), so that the next step sees what an extraction of the
   * layer would show it, as the overlay path's next step does.
   */
  public static void settle(Path root, List<LayerEntry> entries, Instant sourceDateEpoch)
      throws IOException {
    Path dir = realDirectory(root);
    for (LayerEntry e : entries) {
      if (e.whiteoutKind() != Whiteouts.Kind.NONE || e.type() == EntryType.HARDLINK) {
        continue; // nothing of the copy, or the same inode as the entry that carries it
      }
      long seconds = e.mtime().getEpochSecond();
      if (sourceDateEpoch != null) {
        seconds = Math.min(seconds, sourceDateEpoch.getEpochSecond());
      }
      Posix.lutimes(dir.resolve(e.path()), seconds, 0);
    }
  }

  /** {@link #diff(Path, LayerStack, Baseline, Set)} with nothing excluded. */
  public static List<LayerEntry> diff(Path root, LayerStack before, Baseline baseline)
      throws IOException {
    return diff(root, before, baseline, Set.of());
  }

  /** One comparison of the copy with the stack. */
  private static final class Walk {
    private final Path root;
    private final LayerStack stack;
    private final Baseline base;
    private final Set<String> excluded;
    private final Map<String, LayerEntry> out = new HashMap<>();
    // Regular files with several names, by (dev, ino): their names in walk order.
    private final Map<List<Long>, List<String>> links = new LinkedHashMap<>();
    // Those of them that are files of the stack too (extracted hard links, normally).
    private final Set<String> oldNames = new HashSet<>();
    private final byte[] bufferA = new byte[64 * 1024];
    private final byte[] bufferB = new byte[64 * 1024];
    boolean replayable = true;

    Walk(Path root, LayerStack stack, Baseline base, Set<String> excluded) {
      this.root = root;
      this.stack = stack;
      this.base = base;
      this.excluded = excluded;
    }

    List<LayerEntry> run() throws IOException {
      Map<String, Object> rootAttrs = Files.readAttributes(root, ATTRS, LinkOption.NOFOLLOW_LINKS);
      directory(root, "", true, rootAttrs);
      hardLinks();
      parents();
      List<LayerEntry> entries = new ArrayList<>(out.values());
      entries.sort((a, b) -> LayerPaths.compare(a.path(), b.path()));
      return entries;
    }

    /**
     * Compares one directory of the copy; {@code same} when it is the very directory the
     * extraction made (so the stack describes what it held), false when it is new.
     */
    private void directory(Path dir, String rel, boolean same, Map<String, Object> dirAttrs)
        throws IOException {
      Map<String, LayerEntry> below = new HashMap<>();
      if (same) {
        for (LayerEntry e : stack.list(rel)) {
          below.put(LayerPaths.name(e.path()), e);
        }
      }
      List<String> names = new ArrayList<>();
      try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir)) {
        for (Path p : ds) {
          names.add(p.getFileName().toString());
        }
      }
      names.sort(LayerPaths::compareName);
      Set<String> present = new HashSet<>(names);
      for (String name : names) {
        String path = LayerPaths.join(rel, name);
        if (excluded.contains(path)) {
          replayable = false;
          continue;
        }
        if (name.startsWith(Whiteouts.PREFIX)) {
          throw new IOException("\"" + path + "\" in " + root + " starts with " + Whiteouts.PREFIX
              + ", which a layer cannot hold (it would read as a whiteout)");
        }
        child(dir.resolve(name), path, same ? below.get(name) : null, same);
      }
      // What the stack had here and the copy has no more: whiteouts, dated by the directory's
      // ctime, the last change made in it, which no utimes can put back (overlayfs dates its
      // whiteout device when it makes it; a mount point removed restores the directory's mtime).
      for (Map.Entry<String, LayerEntry> b : below.entrySet()) {
        String path = LayerPaths.join(rel, b.getKey());
        if (!present.contains(b.getKey()) && !excluded.contains(path)
            && !base.notMaterialised.contains(path)) {
          out.put(LayerPaths.whiteoutOf(path), new LayerEntry(LayerPaths.whiteoutOf(path),
              EntryType.FILE, 0, base.ownerUid, base.ownerGid,
              ((FileTime) dirAttrs.get("ctime")).toInstant(), 0, "", Map.of(),
              0, 0, null));
        }
      }
    }

    private void child(Path p, String path, LayerEntry before, boolean parentSame)
        throws IOException {
      Map<String, Object> a = Files.readAttributes(p, ATTRS, LinkOption.NOFOLLOW_LINKS);
      int fmt = (Integer) a.get("mode") & Posix.S_IFMT;
      if (fmt == Posix.S_IFSOCK) {
        replayable = false;
        return; // sockets cannot be archived, as in the overlay path
      }
      boolean touched = nanos((FileTime) a.get("ctime")) > base.takenNanos;
      if (fmt == Posix.S_IFDIR) {
        boolean same = before != null && before.type() == EntryType.DIRECTORY && sameDirectory(p, path, a);
        if (!same) {
          out.put(path, entry(p, path, a));
          if (before != null && parentSame) {
            // Made over what the stack had here: overlayfs marks such a directory opaque.
            out.put(LayerPaths.join(path, Whiteouts.OPAQUE),
                LayerEntry.file(LayerPaths.join(path, Whiteouts.OPAQUE), 0, 0, Content.EMPTY)
                    .withMtime(mtime(a)));
          }
        } else if (touched) {
          // Overlayfs copies up a directory whatever moved its ctime, but the sandbox drops the
          // copied-up directories that hold no change (a mount point made and removed, chmod to
          // the same mode), as BuildKit's differ does: only a real change counts here too.
          LayerEntry now = entry(p, path, a);
          if (!sameMetadata(now, before)) {
            out.put(path, now);
          }
        }
        directory(p, path, same, a);
        return;
      }
      if (fmt == Posix.S_IFREG && (Integer) a.get("nlink") > 1) {
        links.computeIfAbsent(List.of((Long) a.get("dev"), (Long) a.get("ino")),
            k -> new ArrayList<>()).add(path);
        if (before != null && before.type() == EntryType.FILE) {
          oldNames.add(path);
        }
      }
      if (before == null) {
        out.put(path, entry(p, path, a));
        return;
      }
      if (!touched) {
        return; // ctime predates the step: neither content nor metadata changed
      }
      LayerEntry now = entry(p, path, a);
      if (!sameMetadata(now, before) || now.type() == EntryType.FILE && !sameContent(p, path)) {
        out.put(path, now);
      }
    }

    /** The directory the extraction made, not one removed and made again at this path. */
    private boolean sameDirectory(Path p, String path, Map<String, Object> a) throws IOException {
      List<Long> recorded = base.directories.get(path);
      if (recorded == null || !recorded.equals(List.of((Long) a.get("dev"), (Long) a.get("ino")))) {
        return false;
      }
      long born = BirthTime.of(p); // ext4 reuses a freed inode number at once
      return born == UNKNOWN || born <= base.takenNanos;
    }

    private boolean sameContent(Path p, String path) throws IOException {
      try (InputStream a = Files.newInputStream(p, LinkOption.NOFOLLOW_LINKS);
          InputStream b = stack.open(path)) {
        while (true) {
          int n = a.readNBytes(bufferA, 0, bufferA.length);
          int m = b.readNBytes(bufferB, 0, n == 0 ? 1 : n);
          if (n != m || !Arrays.equals(bufferA, 0, n, bufferB, 0, m)) {
            return false;
          }
          if (n == 0) {
            return true;
          }
        }
      }
    }

    /**
     * The names of files with several names. Overlayfs copies up each name of a lower file on
     * its own (the copy-up breaks the hard link), so every changed name of the stack stays a
     * file of its own; names linked during the step are hard links to one of them, or, when
     * none changed, to the first older name in layer order, which overlayfs's link-up copies
     * up (which name the link was made from is recorded nowhere).
     */
    private void hardLinks() throws IOException {
      for (List<String> names : links.values()) {
        if (names.size() < 2) {
          continue;
        }
        List<String> changedOld = new ArrayList<>();
        List<String> group = new ArrayList<>();
        String unchangedOld = null;
        for (String name : names) { // walk order is layer order
          if (!oldNames.contains(name)) {
            group.add(name);
          } else if (out.containsKey(name)) {
            changedOld.add(name);
          } else if (unchangedOld == null) {
            unchangedOld = name;
          }
        }
        if (group.isEmpty()) {
          replayable &= changedOld.size() < 2; // the copy keeps them linked; the layer cannot
          continue;
        }
        String carrier = !changedOld.isEmpty() ? changedOld.get(0) : unchangedOld;
        if (carrier != null) {
          if (!out.containsKey(carrier)) {
            out.put(carrier, entry(root.resolve(carrier), carrier,
                Files.readAttributes(root.resolve(carrier), ATTRS, LinkOption.NOFOLLOW_LINKS)));
          }
          group.add(carrier);
          group.sort(LayerPaths::compare);
        }
        if (group.size() < names.size()) {
          replayable = false; // other names keep sharing the changed inode in the copy
        }
        String first = group.get(0);
        for (String name : group) {
          LayerEntry e = out.get(name);
          if (!name.equals(first)) {
            out.put(name, new LayerEntry(name, EntryType.HARDLINK, e.mode(), e.uid(), e.gid(),
                e.mtime(), 0, first, e.xattrs(), 0, 0, null));
          }
        }
      }
    }

    /** Directories above each change, with their own metadata. */
    private void parents() throws IOException {
      for (String path : new ArrayList<>(out.keySet())) {
        for (String p = LayerPaths.parent(path); !p.isEmpty() && !out.containsKey(p);
            p = LayerPaths.parent(p)) {
          Path dir = root.resolve(p);
          out.put(p, entry(dir, p, Files.readAttributes(dir, ATTRS, LinkOption.NOFOLLOW_LINKS)));
        }
      }
    }

    /** The entry of a path of the copy, as the overlay path's directory walk makes it. */
    private LayerEntry entry(Path p, String path, Map<String, Object> a) throws IOException {
      int mode = (Integer) a.get("mode");
      int perm = mode & 07777;
      long uid = id(a.get("uid"));
      long gid = id(a.get("gid"));
      Instant mtime = mtime(a);
      Map<String, byte[]> xattrs = xattrs(p);
      switch (mode & Posix.S_IFMT) {
        case Posix.S_IFDIR:
          return new LayerEntry(path, EntryType.DIRECTORY, perm, uid, gid, mtime, 0, "", xattrs, 0, 0, null);
        case Posix.S_IFREG:
          return new LayerEntry(path, EntryType.FILE, perm, uid, gid, mtime, (Long) a.get("size"), "",
              xattrs, 0, 0, Content.ofFile(p));
        case Posix.S_IFLNK:
          return new LayerEntry(path, EntryType.SYMLINK, perm, uid, gid, mtime, 0,
              Files.readSymbolicLink(p).toString(), xattrs, 0, 0, null);
        case Posix.S_IFCHR:
        case Posix.S_IFBLK: {
          long rdev = (Long) a.get("rdev");
          return new LayerEntry(path, (mode & Posix.S_IFMT) == Posix.S_IFCHR ? EntryType.CHAR_DEVICE
              : EntryType.BLOCK_DEVICE, perm, uid, gid, mtime, 0, "", xattrs, Posix.major(rdev),
              Posix.minor(rdev), null);
        }
        case Posix.S_IFIFO:
          return new LayerEntry(path, EntryType.FIFO, perm, uid, gid, mtime, 0, "", xattrs, 0, 0, null);
        default:
          throw new IOException("\"" + path + "\" in " + root + " is a kind of file (mode "
              + Integer.toOctalString(mode) + ") that a layer cannot hold");
      }
    }
  }

  /** Metadata equal to the stack's entry (a symlink's mode is always 0777 on Linux). */
  static boolean sameMetadata(LayerEntry now, LayerEntry before) {
    return now.type() == before.type()
        && (now.type() == EntryType.SYMLINK || now.mode() == before.mode())
        && now.uid() == before.uid() && now.gid() == before.gid()
        && now.size() == before.size()
        && now.mtime().equals(before.mtime())
        && now.linkTarget().equals(before.linkTarget())
        && now.devMajor() == before.devMajor() && now.devMinor() == before.devMinor()
        && sameXattrs(now.xattrs(), before.xattrs());
  }

  private static boolean sameXattrs(Map<String, byte[]> now, Map<String, byte[]> before) {
    Map<String, byte[]> b = new TreeMap<>(before);
    b.keySet().removeIf(Whiteouts::isOverlayXattr);
    if (!now.keySet().equals(b.keySet())) {
      return false;
    }
    for (Map.Entry<String, byte[]> x : now.entrySet()) {
      if (!Arrays.equals(x.getValue(), b.get(x.getKey()))) {
        return false;
      }
    }
    return true;
  }

  /** The file's xattrs without overlayfs's own, as the overlay path drops them. */
  private static Map<String, byte[]> xattrs(Path p) throws IOException {
    Map<String, byte[]> all = Posix.lxattrs(p);
    if (all.isEmpty()) {
      return all;
    }
    Map<String, byte[]> kept = new LinkedHashMap<>(all);
    kept.keySet().removeIf(Whiteouts::isOverlayXattr);
    return kept;
  }

  private static Path realDirectory(Path root) throws IOException {
    Path real = root.toRealPath();
    if (!Files.isDirectory(real, LinkOption.NOFOLLOW_LINKS)) {
      throw new java.nio.file.NotDirectoryException(root.toString());
    }
    return real;
  }

  private static Instant mtime(Map<String, Object> a) {
    return ((FileTime) a.get("lastModifiedTime")).toInstant();
  }

  private static long nanos(FileTime t) {
    Instant i = t.toInstant();
    return i.getEpochSecond() * 1_000_000_000L + i.getNano();
  }

  private static long id(Object n) {
    return ((Number) n).longValue() & 0xffffffffL;
  }

  private static void sleepBriefly() throws IOException {
    try {
      Thread.sleep(1);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new java.io.InterruptedIOException("interrupted while taking a baseline");
    }
  }
}
