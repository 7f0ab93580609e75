package dev.jbuild.build;

import dev.jbuild.build.context.BuildContext;
import dev.jbuild.build.context.ContextEntry;
import dev.jbuild.build.context.ContextException;
import dev.jbuild.build.context.Glob;
import dev.jbuild.build.context.PatternMatcher;
import dev.jbuild.build.context.SourceMatch;
import dev.jbuild.layer.Content;
import dev.jbuild.layer.EntryType;
import dev.jbuild.layer.LayerEntry;
import dev.jbuild.layer.LayerReader;
import dev.jbuild.layer.LayerStack;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Deque;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * COPY and ADD on layers, without a root filesystem (spec §2.5, checklist 1–12): sources from
 * the build context or from a stage's or image's merged layers, the destination rules of
 * BuildKit's {@code prepareTargetDir} (a trailing slash means a directory, an existing
 * directory receives the file inside, directory sources copy their contents), parents created
 * 0755 (or the {@code --chmod} mode) owned by root or the {@code --chown} owner, existing
 * directories left with their own metadata, context files owned by 0:0 and {@code --from}
 * files keeping their owner, symbolic links on the destination path followed inside the
 * stage's filesystem. The result is the entries of the new layer.
 *
 * <p>{@code --parents} walks the part before a {@code /./} pivot (the source root without
 * one) with the rest as an include pattern, for the context and for a stage or image alike.
 */
final class FileCopy {

  /** Where the files come from. */
  interface Source {
    /** The matches of one source word: literal paths must exist, wildcards may match none. */
    List<Match> resolve(String word) throws IOException;

    /** The entries of a match: itself first (path ""), then a directory's contents. */
    List<Item> walk(Match m, PatternMatcher include, PatternMatcher exclude) throws IOException;
  }

  /** One matched source path. */
  record Match(String path, boolean directory, Object handle) {}

  /**
   * One file of a source selection.
   *
   * @param path relative to the match ("" for the match itself)
   * @param hardlinkKey equal for hard links to one file, else null
   */
  record Item(
      String path, EntryType type, int mode, long uid, long gid, Instant mtime, long size,
      String linkTarget, Map<String, byte[]> xattrs, Content content, String hardlinkKey) {}

  private final LayerStack dest;
  private final UserDb.Owner chown;
  private final Chmod chmod;
  private final Instant now;
  private final Map<String, LayerEntry> out = new LinkedHashMap<>();
  private final Map<String, String> realDirs = new HashMap<>();
  private final Map<String, String> hardlinks = new HashMap<>();

  /**
   * @param dest the destination stage's filesystem
   * @param chown the {@code --chown} owner, or null (context files 0:0, --from files keep theirs)
   * @param chmod the {@code --chmod} mode, or null
   * @param now the mtime of directories this copy creates on the way
   */
  FileCopy(LayerStack dest, UserDb.Owner chown, Chmod chmod, Instant now) {
    this.dest = dest;
    this.chown = chown;
    this.chmod = chmod;
    this.now = now;
  }

  /** The new layer's entries, parents first. */
  List<LayerEntry> entries() {
    return new ArrayList<>(out.values());
  }

  /**
   * Copies one matched source to {@code absoluteDest} (absolute, trailing slash kept).
   *
   * @param unpack ADD: a regular file that is a tar archive (plain, gzip, bzip2, xz, zstd) is
   *     extracted into the destination directory instead
   */
  void copy(Source source, Match match, String absoluteDest, PatternMatcher include,
      PatternMatcher exclude, boolean unpack) throws IOException {
    List<Item> items = source.walk(match, include, exclude);
    if (items.isEmpty()) {
      return;
    }
    boolean destIsDir = absoluteDest.endsWith("/");
    String destPath = SlashPaths.clean(absoluteDest);
    Item top = items.get(0);
    if (match.directory()) {
      String base = mkdirs(destPath, top);
      for (Item it : items.subList(1, items.size())) {
        put(base, it.path(), it, false);
      }
      return;
    }
    if (unpack && top.type() == EntryType.FILE && isArchive(top.content())) {
      String base = mkdirs(destPath, null);
      extract(base, top);
      return;
    }
    String name = match.path().isEmpty() ? "" : match.path().substring(match.path().lastIndexOf('/') + 1);
    String target;
    if (destIsDir || isDirectory(destPath)) {
      target = destPath.equals("/") ? "/" + name : destPath + "/" + name;
    } else {
      target = destPath;
    }
    String parent = mkdirs(parentOf(target), null);
    put(parent, nameOf(target), top, true);
  }

  /** A here-document file: 0644 (or --chmod), root or --chown. */
  void heredoc(String name, byte[] content, String absoluteDest) throws IOException {
    Item item =
        new Item("", EntryType.FILE, 0644, 0, 0, now, content.length, "", Map.of(),
            Content.ofBytes(content), null);
    String destPath = SlashPaths.clean(absoluteDest);
    String target =
        absoluteDest.endsWith("/") || isDirectory(destPath)
            ? (destPath.equals("/") ? "/" + name : destPath + "/" + name)
            : destPath;
    String parent = mkdirs(parentOf(target), null);
    put(parent, nameOf(target), item, true);
  }

  /** A downloaded file (ADD of a URL): 0600, mtime from Last-Modified, root or --chown. */
  void downloaded(String name, java.nio.file.Path file, long size, Instant mtime, String absoluteDest)
      throws IOException {
    Item item =
        new Item("", EntryType.FILE, 0600, 0, 0, mtime, size, "", Map.of(), Content.ofFile(file), null);
    String destPath = SlashPaths.clean(absoluteDest);
    String target =
        absoluteDest.endsWith("/") || isDirectory(destPath)
            ? (destPath.equals("/") ? "/" + name : destPath + "/" + name)
            : destPath;
    String parent = mkdirs(parentOf(target), null);
    put(parent, nameOf(target), item, true);
  }

  // ---- the destination ----

  private boolean isDirectory(String abs) throws IOException {
    if (abs.equals("/")) {
      return true;
    }
    String real = realDir(parentOf(abs));
    String p = join(real, nameOf(abs));
    LayerEntry pending = out.get(p);
    if (pending != null) {
      return pending.type() == EntryType.DIRECTORY;
    }
    Optional<LayerEntry> e = dest.statFollow(p);
    return e.isPresent() && e.get().type() == EntryType.DIRECTORY;
  }

  /**
   * Makes sure directory {@code abs} exists, creating what is missing (0755 or --chmod, root or
   * --chown, {@code top}'s metadata for the last one when it is a copied source directory);
   * returns its real path (relative, "" for the root).
   */
  private String mkdirs(String abs, Item top) throws IOException {
    if (abs.equals("/")) {
      return "";
    }
    String parent = mkdirs(parentOf(abs), null);
    String path = join(parent, nameOf(abs));
    String real = realDirs.get(abs);
    if (real != null) {
      return real;
    }
    LayerEntry pending = out.get(path);
    if (pending != null && pending.type() == EntryType.DIRECTORY) {
      realDirs.put(abs, path);
      return path;
    }
    Optional<LayerEntry> existing = pending != null ? Optional.of(pending) : dest.stat(path);
    if (existing.isPresent() && existing.get().type() == EntryType.SYMLINK) {
      String resolved = resolveLink(path, existing.get().linkTarget(), 0);
      Optional<LayerEntry> target = resolved.isEmpty() ? Optional.empty() : dest.stat(resolved);
      if (resolved.isEmpty() || (target.isPresent() && target.get().type() == EntryType.DIRECTORY)) {
        realDirs.put(abs, resolved);
        if (!resolved.isEmpty()) {
          keepExisting(resolved, target.get());
        }
        return resolved;
      }
      if (target.isPresent()) {
        throw new IOException("cannot copy to non-directory: /" + resolved);
      }
      path = resolved;
      existing = Optional.empty();
    }
    if (existing.isPresent()) {
      if (existing.get().type() != EntryType.DIRECTORY) {
        throw new IOException("cannot copy to non-directory: /" + path);
      }
      keepExisting(path, existing.get());
    } else {
      int mode = top != null ? mode(top.mode(), true) : chmod != null ? chmod.apply(0755, true) : 0755;
      // created directories are root's unless --chown, even for --from (T:copy testCopyChownExistingDir)
      long uid = chown != null ? chown.uid() : 0;
      long gid = chown != null ? chown.gid() : 0;
      Instant mtime = top != null ? top.mtime() : now;
      emitParents(path);
      out.put(path, LayerEntry.directory(path, mode).withOwner(uid, gid).withMtime(mtime));
    }
    realDirs.put(abs, path);
    return path;
  }

  /** An existing directory on the way is written with its own metadata (it stays as it is). */
  private void keepExisting(String path, LayerEntry e) throws IOException {
    if (!out.containsKey(path)) {
      emitParents(path);
      out.put(path, e.withPath(path));
    }
  }

  private void emitParents(String path) throws IOException {
    int slash = path.lastIndexOf('/');
    if (slash < 0) {
      return;
    }
    String parent = path.substring(0, slash);
    if (out.containsKey(parent)) {
      return;
    }
    Optional<LayerEntry> e = dest.stat(parent);
    if (e.isPresent() && e.get().type() == EntryType.DIRECTORY) {
      keepExisting(parent, e.get());
    }
  }

  /** Follows a link inside the stage's filesystem; "" is the root. */
  private String resolveLink(String linkPath, String target, int depth) throws IOException {
    if (depth > 40) {
      throw new IOException("too many levels of symbolic links at /" + linkPath);
    }
    String base = target.startsWith("/") ? "" : parentRel(linkPath);
    Deque<String> todo = new ArrayDeque<>(Arrays.asList(target.split("/")));
    String cur = base;
    while (!todo.isEmpty()) {
      String c = todo.removeFirst();
      if (c.isEmpty() || c.equals(".")) {
        continue;
      }
      if (c.equals("..")) {
        cur = parentRel(cur);
        continue;
      }
      String next = cur.isEmpty() ? c : cur + "/" + c;
      Optional<LayerEntry> e = dest.stat(next);
      if (e.isPresent() && e.get().type() == EntryType.SYMLINK) {
        cur = resolveLink(next, e.get().linkTarget(), depth + 1);
        continue;
      }
      cur = next;
    }
    return cur;
  }

  private String realDir(String abs) throws IOException {
    if (abs.equals("/")) {
      return "";
    }
    String r = realDirs.get(abs);
    if (r != null) {
      return r;
    }
    String parent = realDir(parentOf(abs));
    String path = join(parent, nameOf(abs));
    Optional<LayerEntry> e = out.containsKey(path) ? Optional.of(out.get(path)) : dest.stat(path);
    if (e.isPresent() && e.get().type() == EntryType.SYMLINK) {
      return resolveLink(path, e.get().linkTarget(), 0);
    }
    return path;
  }

  /** Writes one copied entry at {@code dir/rel} (rel may be empty for the match itself). */
  private void put(String dir, String rel, Item it, boolean single) throws IOException {
    String path = join(dir, rel);
    if (path.isEmpty()) {
      return;
    }
    if (!single) {
      // inside a copied directory: parents were written before their children
      String parent = parentRel(path);
      if (!parent.equals(dir) && !out.containsKey(parent)) {
        mkdirs("/" + parent, null);
      }
    }
    Optional<LayerEntry> existing =
        out.containsKey(path) ? Optional.of(out.get(path)) : dest.stat(path);
    if (it.type() == EntryType.DIRECTORY) {
      if (existing.isPresent() && existing.get().type() == EntryType.DIRECTORY) {
        keepExisting(path, existing.get());
        return;
      }
      if (existing.isPresent() && existing.get().type() != EntryType.SYMLINK) {
        throw new IOException("cannot copy to non-directory: /" + path);
      }
    } else if (existing.isPresent() && existing.get().type() == EntryType.DIRECTORY) {
      throw new IOException("cannot replace to directory /" + path + " with file");
    }
    long uid = chown != null ? chown.uid() : Math.max(it.uid(), 0);
    long gid = chown != null ? chown.gid() : Math.max(it.gid(), 0);
    LayerEntry e;
    switch (it.type()) {
      case DIRECTORY:
        e = LayerEntry.directory(path, mode(it.mode(), true));
        break;
      case SYMLINK:
        e = LayerEntry.symlink(path, it.linkTarget());
        break;
      default:
        if (it.hardlinkKey() != null) {
          String first = hardlinks.putIfAbsent(it.hardlinkKey(), path);
          if (first != null) {
            out.put(path, LayerEntry.hardlink(path, first).withOwner(uid, gid));
            return;
          }
        }
        e = LayerEntry.file(path, mode(it.mode(), false), it.size(), it.content());
    }
    e = e.withOwner(uid, gid).withMtime(it.mtime());
    if (!it.xattrs().isEmpty()) {
      e = e.withXattrs(it.xattrs());
    }
    out.remove(path);
    out.put(path, e);
  }

  private int mode(int mode, boolean directory) {
    return chmod != null ? chmod.apply(mode, directory) : mode;
  }

  // ---- ADD of local archives ----

  private static final byte[][] MAGICS = {
    {0x1f, (byte) 0x8b}, {'B', 'Z', 'h'}, {(byte) 0xfd, '7', 'z', 'X', 'Z', 0},
    {0x28, (byte) 0xb5, 0x2f, (byte) 0xfd}
  };

  /** BuildKit decides by content: a compressed stream or a tar header (ustar magic). */
  private static boolean isArchive(Content content) throws IOException {
    byte[] head;
    try (InputStream in = content.open()) {
      head = in.readNBytes(512);
    }
    for (byte[] m : MAGICS) {
      if (head.length >= m.length && Arrays.equals(Arrays.copyOf(head, m.length), m)) {
        return true;
      }
    }
    return head.length >= 262 && new String(head, 257, 5, java.nio.charset.StandardCharsets.US_ASCII).equals("ustar");
  }

  private void extract(String base, Item archive) throws IOException {
    try (InputStream raw = new BufferedInputStream(archive.content().open());
        LayerReader reader = LayerReader.open(plainTar(raw))) {
      for (LayerEntry e = reader.next(); e != null; e = reader.next()) {
        String path = join(base, e.path());
        LayerEntry copy = e.withPath(path);
        if (e.type() == EntryType.FILE) {
          byte[] bytes;
          try (InputStream in = e.content().open()) {
            bytes = in.readAllBytes();
          }
          copy = LayerEntry.file(path, e.mode(), bytes).withOwner(e.uid(), e.gid()).withMtime(e.mtime())
              .withXattrs(e.xattrs());
        } else if (e.type() == EntryType.HARDLINK) {
          copy = LayerEntry.hardlink(path, join(base, e.linkTarget()));
        }
        if (chown != null) {
          copy = copy.withOwner(chown.uid(), chown.gid());
        }
        Optional<LayerEntry> existing = dest.stat(path);
        if (e.type() == EntryType.DIRECTORY && existing.isPresent()
            && existing.get().type() == EntryType.DIRECTORY) {
          keepExisting(path, existing.get());
          continue;
        }
        emitParentsCreating(path);
        out.remove(path);
        out.put(path, copy);
      }
    }
  }

  /** Parents of an extracted entry: existing ones kept, missing ones 0755 root. */
  private void emitParentsCreating(String path) throws IOException {
    String parent = parentRel(path);
    if (parent.isEmpty() || out.containsKey(parent)) {
      return;
    }
    mkdirs("/" + parent, null);
  }

  /** bzip2 and xz are decompressed here; gzip, zstd and plain tar the layer reader reads. */
  private static InputStream plainTar(InputStream in) throws IOException {
    in.mark(8);
    byte[] head = in.readNBytes(6);
    in.reset();
    try {
      if (head.length >= 3 && head[0] == 'B' && head[1] == 'Z' && head[2] == 'h') {
        return new org.apache.commons.compress.compressors.bzip2.BZip2CompressorInputStream(in, true);
      }
      if (head.length >= 6 && (head[0] & 0xff) == 0xfd && head[1] == '7') {
        return new org.apache.commons.compress.compressors.xz.XZCompressorInputStream(in, true);
      }
    } catch (NoClassDefFoundError e) {
      throw new IOException("xz archives need the xz library, which this jbuild lacks");
    }
    return in;
  }

  // ---- paths ----

  static String parentOf(String abs) {
    int slash = abs.lastIndexOf('/');
    return slash <= 0 ? "/" : abs.substring(0, slash);
  }

  static String nameOf(String abs) {
    return abs.substring(abs.lastIndexOf('/') + 1);
  }

  private static String parentRel(String rel) {
    int slash = rel.lastIndexOf('/');
    return slash < 0 ? "" : rel.substring(0, slash);
  }

  private static String join(String dir, String rel) {
    if (rel.isEmpty()) {
      return dir;
    }
    return dir.isEmpty() ? rel : dir + "/" + rel;
  }

  // ---- sources ----

  /** The build context: owner 0:0, modes and mtimes as on disk. */
  static Source context(BuildContext context) {
    return new Source() {
      @Override
      public List<Match> resolve(String word) {
        List<Match> out = new ArrayList<>();
        for (SourceMatch m : context.resolve(word)) {
          out.add(new Match(m.path(), m.isDirectory(), m));
        }
        return out;
      }

      @Override
      public List<Item> walk(Match m, PatternMatcher include, PatternMatcher exclude) {
        List<Item> out = new ArrayList<>();
        for (ContextEntry e : context.walk((SourceMatch) m.handle(), include, exclude)) {
          EntryType type =
              e.type() == dev.jbuild.build.context.EntryType.DIRECTORY
                  ? EntryType.DIRECTORY
                  : e.type() == dev.jbuild.build.context.EntryType.SYMLINK
                      ? EntryType.SYMLINK
                      : EntryType.FILE;
          out.add(
              new Item(
                  e.path(), type, e.mode(), 0, 0, e.mtime(), e.size(),
                  e.linkTarget() == null ? "" : e.linkTarget(), Map.of(),
                  type == EntryType.FILE ? Content.ofFile(e.file()) : Content.EMPTY,
                  e.hardlinkKey()));
        }
        return out;
      }
    };
  }

  /**
   * A directory on disk copied whole (ADD of a git repository): owner 0:0, modes as on disk,
   * every mtime {@code mtime} (BuildKit's checkout time), symbolic links kept as links, a
   * top-level {@code .git} left out unless {@code keepGitDir}.
   */
  static Source directory(java.nio.file.Path root, Instant mtime, boolean keepGitDir) {
    return new Source() {
      @Override
      public List<Match> resolve(String word) {
        return List.of(new Match("", true, root));
      }

      @Override
      public List<Item> walk(Match m, PatternMatcher include, PatternMatcher exclude)
          throws IOException {
        List<Item> out = new ArrayList<>();
        out.add(new Item("", EntryType.DIRECTORY, 0755, 0, 0, mtime, 0, "", Map.of(),
            Content.EMPTY, null));
        walkDisk(root, "", exclude, out);
        return out;
      }

      private void walkDisk(java.nio.file.Path dir, String rel, PatternMatcher exclude,
          List<Item> out) throws IOException {
        List<java.nio.file.Path> children;
        try (var list = java.nio.file.Files.list(dir)) {
          children = new ArrayList<>(list.toList());
        }
        children.sort((a, b) -> a.getFileName().toString().compareTo(b.getFileName().toString()));
        for (java.nio.file.Path c : children) {
          String name = c.getFileName().toString();
          String childRel = join(rel, name);
          if (rel.isEmpty() && name.equals(".git") && !keepGitDir) {
            continue;
          }
          if (exclude != null && exclude.matches(childRel)) {
            continue;
          }
          java.nio.file.attribute.PosixFileAttributes a =
              java.nio.file.Files.readAttributes(c, java.nio.file.attribute.PosixFileAttributes.class,
                  java.nio.file.LinkOption.NOFOLLOW_LINKS);
          int mode = 0;
          for (java.nio.file.attribute.PosixFilePermission p : a.permissions()) {
            mode |= 0400 >> p.ordinal();
          }
          if (a.isSymbolicLink()) {
            out.add(new Item(childRel, EntryType.SYMLINK, 0777, 0, 0, mtime, 0,
                java.nio.file.Files.readSymbolicLink(c).toString(), Map.of(), Content.EMPTY, null));
          } else if (a.isDirectory()) {
            out.add(new Item(childRel, EntryType.DIRECTORY, mode, 0, 0, mtime, 0, "", Map.of(),
                Content.EMPTY, null));
            walkDisk(c, childRel, exclude, out);
          } else if (a.isRegularFile()) {
            out.add(new Item(childRel, EntryType.FILE, mode, 0, 0, mtime, a.size(), "", Map.of(),
                Content.ofFile(c), null));
          }
        }
      }
    };
  }

  /**
   * A stage's or image's merged layers ({@code COPY --from}): paths are absolute in that
   * filesystem, owners are kept, wildcards match per segment.
   */
  static Source layers(LayerStack stack) {
    return new Source() {
      @Override
      public List<Match> resolve(String word) throws IOException {
        String clean = SlashPaths.clean("/" + word);
        String rel = clean.substring(1);
        List<String> segments = rel.isEmpty() ? List.of() : List.of(rel.split("/"));
        boolean wild = segments.stream().anyMatch(Glob::hasWildcards);
        if (!wild) {
          if (rel.isEmpty()) {
            return List.of(new Match("", true, ""));
          }
          Optional<LayerEntry> e = stack.statFollow(rel);
          if (e.isEmpty()) {
            throw new ContextException("\"" + clean + "\": not found");
          }
          return List.of(new Match(rel, e.get().type() == EntryType.DIRECTORY, rel));
        }
        List<String> found = new ArrayList<>();
        expand(stack, "", segments, 0, found);
        List<Match> out = new ArrayList<>();
        for (String p : found) {
          Optional<LayerEntry> e = stack.statFollow(p);
          if (e.isPresent()) {
            out.add(new Match(p, e.get().type() == EntryType.DIRECTORY, p));
          }
        }
        return out;
      }

      @Override
      public List<Item> walk(Match m, PatternMatcher include, PatternMatcher exclude)
          throws IOException {
        String root = (String) m.handle();
        List<Item> out = new ArrayList<>();
        if (!m.directory()) {
          LayerEntry e = stack.statFollow(root).orElseThrow();
          out.add(item("", e));
          return out;
        }
        Optional<LayerEntry> self = root.isEmpty() ? Optional.empty() : stack.statFollow(root);
        out.add(
            self.map(e -> item("", e))
                .orElse(new Item("", EntryType.DIRECTORY, 0755, 0, 0, Instant.EPOCH, 0, "",
                    Map.of(), Content.EMPTY, null)));
        walkDir(stack, root, "", include, exclude, new ArrayList<>(), out);
        return out;
      }
    };
  }

  /**
   * A directory's contents in name order. With {@code include} ({@code --parents}) only the
   * paths it matches (or whose parent it matches) are taken, plus the directories leading to
   * them, which are held in {@code pending} until something below them is selected.
   */
  private static void walkDir(
      LayerStack stack, String root, String rel, PatternMatcher include, PatternMatcher exclude,
      List<Item> pending, List<Item> out)
      throws IOException {
    List<LayerEntry> children = new ArrayList<>(stack.list(join(root, rel)));
    children.sort((a, b) -> nameOf("/" + a.path()).compareTo(nameOf("/" + b.path())));
    for (LayerEntry c : children) {
      String childRel = join(rel, nameOf("/" + c.path()));
      if (exclude != null && exclude.matches(childRel)) {
        continue;
      }
      boolean included = include == null || include.isEmpty() || include.matches(childRel);
      Item it = item(childRel, c);
      if (included) {
        out.addAll(pending);
        pending.clear();
        out.add(it);
        if (c.type() == EntryType.DIRECTORY) {
          walkDir(stack, root, childRel, null, exclude, pending, out);
        }
      } else if (c.type() == EntryType.DIRECTORY) {
        pending.add(it);
        walkDir(stack, root, childRel, include, exclude, pending, out);
        if (!pending.isEmpty() && pending.get(pending.size() - 1) == it) {
          pending.remove(pending.size() - 1);
        }
      }
    }
  }

  private static Item item(String rel, LayerEntry e) {
    return new Item(rel, e.type() == EntryType.HARDLINK ? EntryType.FILE : e.type(), e.mode(),
        e.uid(), e.gid(), e.mtime(), e.size(), e.linkTarget(), e.xattrs(),
        e.content() == null ? Content.EMPTY : e.content(), null);
  }

  private static void expand(
      LayerStack stack, String dir, List<String> segments, int i, List<String> found)
      throws IOException {
    if (i == segments.size()) {
      found.add(dir);
      return;
    }
    String seg = segments.get(i);
    if (!Glob.hasWildcards(seg)) {
      String next = join(dir, seg);
      if (stack.statFollow(next).isPresent()) {
        expand(stack, next, segments, i + 1, found);
      }
      return;
    }
    Optional<LayerEntry> d = dir.isEmpty() ? Optional.empty() : stack.statFollow(dir);
    if (!dir.isEmpty() && (d.isEmpty() || d.get().type() != EntryType.DIRECTORY)) {
      return;
    }
    List<String> names = new ArrayList<>();
    for (LayerEntry c : stack.list(dir)) {
      names.add(nameOf("/" + c.path()));
    }
    names.sort(String::compareTo);
    for (String n : names) {
      if (Glob.matches(seg, n)) {
        expand(stack, join(dir, n), segments, i + 1, found);
      }
    }
  }
}
