package dev.jbuild.build.context;

import dev.jbuild.build.TempTrees;
import dev.jbuild.oci.Digest;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.RecursiveAction;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The build context as COPY and ADD see it: a directory (or a tar stream extracted into a
 * private temporary directory) filtered by its {@code .dockerignore}.
 *
 * <p>Ignored paths are invisible, exactly as if BuildKit had never transferred them: a
 * literal source naming one is not found, wildcards never match one, walks skip it. A
 * directory that is ignored but holds re-included ({@code !pattern}) paths stays visible as
 * their parent. Symbolic links on the way to a source, and a source that is itself a link,
 * are followed with the context root as {@code /}: an absolute target or a run of {@code
 * ..} can never leave the context. Links inside a walked directory are entries, never
 * followed.
 *
 * <p>Directories are read lazily, once, and remembered, so the context is a consistent
 * snapshot of what was read. Instances are thread safe. Close the context to persist the
 * stat cache and remove an extracted tar.
 *
 * <p>For {@code COPY --parents}, resolve the part before the {@code /./} pivot (or the root)
 * and {@link #walk walk} it with the rest as the include pattern.
 */
public final class BuildContext implements AutoCloseable {

  /** As Linux's limit on link traversals in one lookup (SYMLOOP_MAX is 40; Go's fs uses 255). */
  private static final int MAX_LINKS = 255;

  private final Path root;
  private final PatternMatcher ignore;
  private final Path extracted; // removed on close, or null
  private final Map<String, Integer> archiveModes; // modes widened on disk when extracting
  private final Node rootNode;
  private final ContextHasher hasher;
  private final Map<String, CompletableFuture<Listing>> listings = new ConcurrentHashMap<>();
  private final Map<String, PatternMatcher.MatchState> states = new ConcurrentHashMap<>();
  private final AtomicInteger directoriesRead = new AtomicInteger();
  /**
   * The regular files of every listing by real path: what {@link #node} finds for them, in one
   * lookup instead of one per parent directory. A file in a listing is visible, and so is every
   * directory above it (an ignored directory is kept exactly when its listing is not empty).
   */
  private final Map<String, Node> files;

  private BuildContext(
      Path root,
      PatternMatcher ignore,
      Path extracted,
      Map<String, Integer> archiveModes,
      StatCache cache)
      throws IOException {
    this.root = root;
    this.ignore = ignore;
    this.extracted = extracted;
    this.archiveModes = Map.copyOf(archiveModes);
    // sized for the files the last build saw: growing to 25,000 entries while the directory
    // readers add to it was a few percent of a cached rebuild's samples
    this.files = new ConcurrentHashMap<>(Math.max(16, cache.expectedEntries() * 5 / 4));
    this.rootNode = Node.stat(root, "", "");
    this.hasher = new ContextHasher(this, cache);
  }

  /**
   * A directory context.
   *
   * @param dir the context directory
   * @param dockerfile the Dockerfile on disk (for {@code <Dockerfile>.dockerignore}), or null
   * @param jbuildRoot the jbuild state directory holding the stat cache under {@code
   *     cache/context-stat/}, or null to keep it in memory only
   * @throws ContextException when the directory does not exist or the ignore file is invalid
   */
  public static BuildContext ofDirectory(Path dir, Path dockerfile, Path jbuildRoot) {
    Path real;
    try {
      real = dir.toRealPath();
    } catch (NoSuchFileException e) {
      throw new ContextException("build context \"" + dir + "\" does not exist");
    } catch (IOException e) {
      throw new ContextException(
          "cannot open build context \"" + dir + "\": " + ContextHasher.reason(e), e);
    }
    if (!Files.isDirectory(real)) {
      throw new ContextException("build context \"" + dir + "\" is not a directory");
    }
    PatternMatcher ignore = IgnoreFile.load(real, dockerfile);
    StatCache cache =
        jbuildRoot == null
            ? StatCache.inMemory()
            : StatCache.loadInBackground(statCacheFile(jbuildRoot, real));
    try {
      return new BuildContext(real, ignore, null, Map.of(), cache);
    } catch (IOException e) {
      throw new ContextException(
          "cannot open build context \"" + dir + "\": " + ContextHasher.reason(e), e);
    }
  }

  /**
   * A context sent as a tar stream (plain, gzip or bzip2), as {@code jbuild build -} reads
   * from stdin. It is extracted into a new directory under {@code <jbuildRoot>/tmp/}, which
   * {@link #close()} removes; entry names that would leave it are refused.
   *
   * @param dockerfile the Dockerfile's path inside the context (for {@code
   *     <Dockerfile>.dockerignore}), or null
   * @throws ContextException for a malformed or hostile archive; nothing is left behind
   */
  public static BuildContext fromTar(InputStream tar, String dockerfile, Path jbuildRoot) {
    Objects.requireNonNull(jbuildRoot, "jbuildRoot");
    Path dir;
    try {
      Path tmp = jbuildRoot.resolve("tmp");
      Files.createDirectories(tmp);
      dir = Files.createTempDirectory(tmp, "context-").toRealPath();
    } catch (IOException e) {
      throw new ContextException(
          "cannot create a directory for the build context under "
              + jbuildRoot.resolve("tmp")
              + ": "
              + ContextHasher.reason(e),
          e);
    }
    try {
      Map<String, Integer> modes = TarContext.extract(tar, dir);
      Path dockerfilePath =
          dockerfile == null ? null : dir.resolve(SlashPath.normalizeSource(dockerfile));
      if (dockerfilePath != null && dockerfilePath.equals(dir)) {
        dockerfilePath = null;
      }
      PatternMatcher ignore = IgnoreFile.load(dir, dockerfilePath);
      return new BuildContext(dir, ignore, dir, modes, StatCache.inMemory());
    } catch (IOException | RuntimeException e) {
      TempTrees.deleteQuietly(dir);
      if (e instanceof ContextException) {
        throw (ContextException) e;
      }
      throw new ContextException("cannot read the build context archive: " + e.getMessage(), e);
    }
  }

  /**
   * The Dockerfile a context uses by default: {@code Dockerfile}, or a lowercase {@code
   * dockerfile} when only that exists (as BuildKit accepts).
   */
  public static Path defaultDockerfile(Path contextDir) {
    Path upper = contextDir.resolve("Dockerfile");
    Path lower = contextDir.resolve("dockerfile");
    return !Files.exists(upper) && Files.exists(lower) ? lower : upper;
  }

  /** Where the stat cache of the context directory {@code realDir} lives. */
  static Path statCacheFile(Path jbuildRoot, Path realDir) {
    byte[] path = realDir.toString().getBytes(StandardCharsets.UTF_8);
    return jbuildRoot.resolve("cache").resolve("context-stat").resolve(Digest.of(path).hex());
  }

  /** The context directory on disk (the extraction directory for a tar context). */
  public Path directory() {
    return root;
  }

  /** The {@code .dockerignore} patterns in force ({@link PatternMatcher#EMPTY} if none). */
  public PatternMatcher ignorePatterns() {
    return ignore;
  }

  /** Content hashing with this context's stat cache. */
  public ContextHasher hasher() {
    return hasher;
  }

  /**
   * Resolves one COPY/ADD source. The source is normalised as BuildKit does ({@code /} and
   * {@code ../} clamp to the root, a trailing {@code /} or {@code /.} is dropped). A source
   * whose segments hold no wildcard names one path, which must exist and not be ignored. A
   * source with wildcards ({@code *}, {@code ?}, {@code [...]}, Go {@code filepath.Match}
   * per segment; {@code **} is just two stars here) gives every match in walk order, possibly
   * none. A matched symbolic link is followed inside the context.
   *
   * @throws ContextException {@code "/x": not found} for a missing literal source (also one
   *     that is ignored or a link leading nowhere inside the context); a bad pattern
   */
  public List<SourceMatch> resolve(String source) {
    String rel = SlashPath.normalizeSource(source);
    List<String> segments = rel.isEmpty() ? List.of() : SlashPath.split(rel);
    int first = -1;
    for (int i = 0; i < segments.size(); i++) {
      if (Glob.hasWildcards(segments.get(i))) {
        first = i;
        break;
      }
    }
    if (first < 0) {
      Found found = resolveInRoot(rel, true);
      if (found == null) {
        throw notFound(rel);
      }
      return List.of(new SourceMatch(source, rel, found.path, found.node.type()));
    }
    for (int i = first; i < segments.size(); i++) {
      try {
        Glob.validate(segments.get(i));
      } catch (BadPatternException e) {
        throw new BadPatternException(
            source, "COPY source \"" + source + "\": " + BadPatternException.SYNTAX_ERROR);
      }
    }
    String prefix = String.join("/", segments.subList(0, first));
    List<SourceMatch> out = new ArrayList<>();
    Found base = resolveInRoot(prefix, true);
    // A missing directory before the first wildcard is a wildcard that matched nothing.
    if (base != null && base.node.type() == EntryType.DIRECTORY) {
      glob(base.path, prefix, segments, first, source, out);
    }
    return List.copyOf(out);
  }

  /**
   * Resolves a {@code COPY --parents} source as BuildKit does: the part before the first
   * {@code /./} (the context root when there is none) is resolved like any source, and the
   * rest, normalised, becomes the include pattern of the walk. A trailing {@code /.} is no
   * pivot.
   *
   * @throws ContextException when the part before the pivot is not found or a pattern is bad
   */
  public ParentsSelection resolveParents(String source) {
    int pivot = source.indexOf("/./");
    String parent = pivot < 0 ? "/" : source.substring(0, pivot);
    String pattern = pivot < 0 ? source : source.substring(pivot + 3);
    if (parent.isEmpty()) {
      parent = "/";
    }
    String include = SlashPath.normalizeSource(pattern);
    List<SourceMatch> roots = new ArrayList<>();
    for (SourceMatch m : resolve(parent)) {
      if (m.isDirectory()) {
        roots.add(m);
      }
    }
    try {
      return new ParentsSelection(
          roots,
          include.isEmpty() ? PatternMatcher.EMPTY : PatternMatcher.compile(List.of(include)));
    } catch (BadPatternException e) {
      throw new BadPatternException(
          source, "COPY source \"" + source + "\": " + e.getMessage());
    }
  }

  private void glob(
      String realDir,
      String shownDir,
      List<String> segments,
      int index,
      String source,
      List<SourceMatch> out) {
    String segment = segments.get(index);
    boolean last = index == segments.size() - 1;
    for (Node n : listing(realDir).nodes) {
      if (!Glob.matches(segment, n.name())) {
        continue;
      }
      String real = n.path();
      String shown = SlashPath.child(shownDir, n.name());
      if (!last) {
        // like Go's filepath.Walk, wildcards do not descend through linked directories
        if (n.type() == EntryType.DIRECTORY) {
          glob(real, shown, segments, index + 1, source, out);
        }
        continue;
      }
      Found found = n.type() == EntryType.SYMLINK ? resolveInRoot(real, true) : new Found(real, n);
      if (found == null) {
        throw new ContextException(
            "\"/"
                + shown
                + "\": not found (a symbolic link to \""
                + n.linkTarget()
                + "\", which is not in the build context)");
      }
      out.add(new SourceMatch(source, shown, found.path, found.node.type()));
    }
  }

  private ContextException notFound(String rel) {
    String message = "\"/" + rel + "\": not found";
    if (!rel.isEmpty()
        && !ignore.isEmpty()
        && ignore.matches(rel)
        && Files.exists(root.resolve(rel), LinkOption.NOFOLLOW_LINKS)) {
      message += " (it is excluded by .dockerignore)";
    }
    return new ContextException(message);
  }

  /**
   * The entries of a resolved source in walk order: the source itself first (path {@code
   * ""}), then for a directory its contents depth-first, each directory's entries by name
   * (UTF-8 byte order) and a directory before what it holds.
   *
   * @param include when not null, only paths it matches (or whose parent it matches) are
   *     selected, plus the directories leading to them ({@code --parents})
   * @param exclude when not null, paths it matches are left out, relative to the source
   *     ({@code COPY --exclude}); directories holding re-included paths stay
   */
  public List<ContextEntry> walk(
      SourceMatch source, PatternMatcher include, PatternMatcher exclude) {
    Found top = resolveInRoot(source.resolved(), false);
    if (top == null || top.node.type() == EntryType.SYMLINK) {
      throw notFound(source.resolved());
    }
    Walk walk = new Walk();
    walk.add(entry("", top.node), top.node);
    if (top.node.type() == EntryType.DIRECTORY) {
      PatternMatcher in = include == null || include.isEmpty() ? null : include;
      PatternMatcher ex = exclude == null || exclude.isEmpty() ? null : exclude;
      if (in == null && ex == null) {
        // the walk below will read every visible directory: the pool's threads read ahead of
        // it while this thread walks what is read, reading itself whatever is not claimed yet
        // (a directory is read once; the walk waits only for one being read)
        ForkJoinPool.commonPool().execute(new ReadTree(top.path));
      }
      walkDir(
          top.path,
          top.path.isEmpty() ? 0 : top.path.length() + 1,
          in,
          PatternMatcher.MatchState.NONE,
          ex,
          PatternMatcher.MatchState.NONE,
          walk);
    }
    return new Selection(
        walk.entries.toArray(new ContextEntry[0]), walk.nodes.toArray(new Node[0]));
  }

  /**
   * The entries a walk selected, each with its node, and the directories it holds back: they
   * are selected only if something below them is.
   */
  private static final class Walk {
    final List<ContextEntry> entries = new ArrayList<>();
    final List<Node> nodes = new ArrayList<>();
    final List<ContextEntry> pending = new ArrayList<>();
    final List<Node> pendingNodes = new ArrayList<>();

    /** Selects an entry, and the held-back directories above it. */
    void add(ContextEntry e, Node n) {
      if (!pending.isEmpty()) {
        entries.addAll(pending);
        nodes.addAll(pendingNodes);
        pending.clear();
        pendingNodes.clear();
      }
      entries.add(e);
      nodes.add(n);
    }

    void holdBack(ContextEntry e, Node n) {
      pending.add(e);
      pendingNodes.add(n);
    }

    /** Drops {@code e} if it is still held back last (nothing below it was selected). */
    void dropIfLast(ContextEntry e) {
      int last = pending.size() - 1;
      if (last >= 0 && pending.get(last) == e) {
        pending.remove(last);
        pendingNodes.remove(last);
      }
    }
  }

  /**
   * Walks {@code realDir}; {@code cut} is the length of the walk root's real path and its
   * slash, which a real path below it loses to become relative to the source.
   */
  private void walkDir(
      String realDir,
      int cut,
      PatternMatcher include,
      PatternMatcher.MatchState includeState,
      PatternMatcher exclude,
      PatternMatcher.MatchState excludeState,
      Walk out) {
    for (Node n : listing(realDir).nodes) {
      String real = n.path();
      String rel = real.substring(cut); // the same string when the root is walked
      boolean excluded = false;
      PatternMatcher.MatchState exChild = PatternMatcher.MatchState.NONE;
      if (exclude != null) {
        PatternMatcher.Result r = exclude.matches(rel, excludeState);
        excluded = r.matched();
        exChild = r.state();
      }
      boolean included = true;
      PatternMatcher.MatchState inChild = PatternMatcher.MatchState.NONE;
      if (include != null) {
        PatternMatcher.Result r = include.matches(rel, includeState);
        included = r.matched();
        inChild = r.state();
      }
      ContextEntry e = entry(rel, n);
      if (n.type() != EntryType.DIRECTORY) {
        if (!excluded && included) {
          out.add(e, n);
        }
        continue;
      }
      if (excluded && !exclude.mayReincludeBelow(rel)) {
        continue;
      }
      if (!excluded && included) {
        out.add(e, n);
        walkDir(real, cut, include, inChild, exclude, exChild, out);
      } else {
        // kept only if something below it is selected
        out.holdBack(e, n);
        walkDir(real, cut, include, inChild, exclude, exChild, out);
        out.dropIfLast(e);
      }
    }
  }

  /**
   * Reads a directory and, in parallel, every visible directory below it. Errors are left for
   * the walk, which reads a directory whose read failed again and reports it in walk order.
   */
  private final class ReadTree extends RecursiveAction {
    private final String dir;

    ReadTree(String dir) {
      this.dir = dir;
    }

    @Override
    protected void compute() {
      Listing listing;
      try {
        listing = listing(dir);
      } catch (RuntimeException e) {
        return;
      }
      List<ReadTree> below = new ArrayList<>();
      for (Node n : listing.nodes) {
        if (n.type() == EntryType.DIRECTORY) {
          below.add(new ReadTree(n.path()));
        }
      }
      invokeAll(below);
    }
  }

  private ContextEntry entry(String rel, Node n) {
    String hardlinkKey =
        n.type() == EntryType.FILE && n.nlink() > 1 ? n.dev() + ":" + n.ino() : null;
    return new ContextEntry(
        rel,
        n.path(),
        n.type(),
        archiveModes.isEmpty()
            ? n.permissions()
            : archiveModes.getOrDefault(n.path(), n.permissions()),
        n.size(),
        n.mtime(),
        n.linkTarget(),
        n.file(),
        hardlinkKey);
  }

  /** The stat the walk saw for an entry, or a fresh one for an entry from elsewhere. */
  Node statForHash(ContextEntry entry) {
    Node n = files.get(entry.contextPath());
    if (n == null) {
      n = node(entry.contextPath());
    }
    if (n != null && n.type() == EntryType.FILE) {
      return n;
    }
    try {
      Node fresh =
          Node.stat(
              entry.file(), entry.contextPath(), SlashPath.baseName(entry.contextPath()));
      if (fresh == null || fresh.type() != EntryType.FILE) {
        throw new ContextException("\"/" + entry.contextPath() + "\" is not a regular file");
      }
      return fresh;
    } catch (IOException e) {
      throw new ContextException(
          "cannot read \"/" + entry.contextPath() + "\" from the build context: "
              + ContextHasher.reason(e),
          e);
    }
  }

  /** The visible node at a real context path, or null. */
  private Node node(String real) {
    if (real.isEmpty()) {
      return rootNode;
    }
    int slash = real.lastIndexOf('/');
    String parent = slash < 0 ? "" : real.substring(0, slash);
    Node dir = node(parent);
    if (dir == null || dir.type() != EntryType.DIRECTORY) {
      return null;
    }
    return listing(parent).byName.get(real.substring(slash + 1));
  }

  private record Found(String path, Node node) {}

  /**
   * Resolves {@code rel} with the context root as {@code /}, following symbolic links on the
   * way (and the final one when {@code followFinal}), as BuildKit's {@code fs.RootPath}. Null
   * when some element does not exist or is ignored.
   */
  private Found resolveInRoot(String rel, boolean followFinal) {
    Deque<String> todo = new ArrayDeque<>(SlashPath.split(rel));
    List<String> done = new ArrayList<>();
    int links = 0;
    while (!todo.isEmpty()) {
      String s = todo.pollFirst();
      if (s.isEmpty() || s.equals(".")) {
        continue;
      }
      if (s.equals("..")) {
        if (!done.isEmpty()) {
          done.remove(done.size() - 1);
        }
        continue;
      }
      Node n = listing(String.join("/", done)).byName.get(s);
      if (n == null) {
        return null;
      }
      boolean more = todo.stream().anyMatch(t -> !t.isEmpty() && !t.equals("."));
      if (n.type() == EntryType.SYMLINK && (followFinal || more)) {
        if (++links > MAX_LINKS) {
          throw new ContextException(
              "\"/" + rel + "\": too many levels of symbolic links in the build context");
        }
        String target = n.linkTarget();
        if (target.startsWith("/")) {
          done.clear();
        }
        List<String> parts = SlashPath.split(target);
        for (int k = parts.size() - 1; k >= 0; k--) {
          todo.addFirst(parts.get(k));
        }
        continue;
      }
      if (!todo.isEmpty() && n.type() != EntryType.DIRECTORY) {
        return null; // a path through a non-directory
      }
      done.add(s);
    }
    String path = String.join("/", done);
    Node node = node(path);
    return node == null ? null : new Found(path, node);
  }

  /** The visible children of a real, visible directory, sorted by name. */
  private record Listing(List<Node> nodes, Map<String, Node> byName) {}

  private static final Listing EMPTY_LISTING = new Listing(List.of(), Map.of());

  /**
   * The listing of {@code dir}, read once. Threads list different directories at the same
   * time; a second thread asking for a directory being read waits for that read. A read only
   * ever waits for directories below its own (the state of {@code dir} is settled before its
   * read is claimed), so waits cannot form a cycle.
   */
  private Listing listing(String dir) {
    CompletableFuture<Listing> pending = listings.get(dir);
    if (pending != null) {
      return await(pending);
    }
    PatternMatcher.MatchState state =
        dir.isEmpty() ? PatternMatcher.MatchState.NONE : states.get(dir);
    if (state == null) {
      int slash = dir.lastIndexOf('/');
      listing(slash < 0 ? "" : dir.substring(0, slash)); // records the state of its children
      state = states.get(dir);
      if (state == null) {
        return EMPTY_LISTING; // not a directory of the context
      }
    }
    CompletableFuture<Listing> mine = new CompletableFuture<>();
    pending = listings.putIfAbsent(dir, mine);
    if (pending != null) {
      return await(pending);
    }
    try {
      Listing listing = read(dir, state);
      mine.complete(listing);
      return listing;
    } catch (RuntimeException | Error e) {
      listings.remove(dir, mine); // the next caller tries again and reports it
      mine.completeExceptionally(e);
      throw e;
    }
  }

  private static Listing await(CompletableFuture<Listing> f) {
    try {
      return f.join();
    } catch (java.util.concurrent.CompletionException e) {
      if (e.getCause() instanceof RuntimeException) {
        throw (RuntimeException) e.getCause();
      }
      if (e.getCause() instanceof Error) {
        throw (Error) e.getCause();
      }
      throw e;
    }
  }

  /** Reads a directory: its visible entries, and the ignore state of its subdirectories. */
  private Listing read(String dir, PatternMatcher.MatchState state) {
    List<Node> nodes = new ArrayList<>();
    Path path = disk(dir);
    directoriesRead.incrementAndGet();
    try (DirectoryStream<Path> stream = Files.newDirectoryStream(path)) {
      for (Path p : stream) {
        String name = p.getFileName().toString();
        String rel = SlashPath.child(dir, name);
        PatternMatcher.Result r = null;
        if (!ignore.isEmpty()) {
          // patterns match paths whatever they name: an ignored path that nothing below can
          // re-include is invisible as a file and as a directory alike, so it is not stat'ed
          r = ignore.matches(rel, state);
          if (r.matched() && !ignore.mayReincludeBelow(rel)) {
            continue;
          }
        }
        Node n;
        try {
          n = Node.stat(p, rel, name);
        } catch (NoSuchFileException e) {
          continue; // removed while we looked
        }
        if (n == null) {
          continue; // sockets, pipes, devices
        }
        boolean visible = true;
        if (r != null) {
          if (n.type() == EntryType.DIRECTORY) {
            states.put(rel, r.state());
          }
          if (r.matched()) {
            // kept as the parent of what it re-includes, if anything
            visible = n.type() == EntryType.DIRECTORY && !listing(rel).nodes.isEmpty();
          }
        } else if (n.type() == EntryType.DIRECTORY) {
          states.put(rel, PatternMatcher.MatchState.NONE);
        }
        if (visible) {
          nodes.add(n);
          if (n.type() == EntryType.FILE) {
            files.put(rel, n);
          }
        }
      }
    } catch (NoSuchFileException | NotDirectoryException e) {
      nodes.clear();
    } catch (AccessDeniedException e) {
      throw new ContextException(
          "cannot read directory \"/" + dir + "\" of the build context: permission denied", e);
    } catch (IOException e) {
      throw new ContextException(
          "cannot read directory \"/" + dir + "\" of the build context: "
              + ContextHasher.reason(e),
          e);
    }
    Map<String, Node> byName = new HashMap<>(nodes.size() * 2);
    for (Node n : nodes) {
      byName.put(n.name(), n);
    }
    return new Listing(sortedByName(nodes, byName), byName);
  }

  /**
   * The nodes in the UTF-8 byte order of their names. Sorted as Strings first: UTF-16 order is
   * the same but where a surrogate meets a char above it, and String.compareTo is compiled to
   * an intrinsic, where the comparator through SlashPath.compare was a fifth of reading a
   * directory. The result is then checked pair by pair, which proves it sorted (the order is
   * total, names are unique) or else sorts again the exact way.
   */
  private static List<Node> sortedByName(List<Node> nodes, Map<String, Node> byName) {
    String[] names = new String[nodes.size()];
    for (int i = 0; i < names.length; i++) {
      names[i] = nodes.get(i).name();
    }
    Arrays.sort(names);
    Node[] sorted = new Node[names.length];
    for (int i = 0; i < names.length; i++) {
      if (i > 0 && SlashPath.compare(names[i - 1], names[i]) >= 0) {
        List<Node> exact = new ArrayList<>(nodes);
        exact.sort((a, b) -> SlashPath.compare(a.name(), b.name()));
        return List.copyOf(exact);
      }
      sorted[i] = byName.get(names[i]);
    }
    return List.of(sorted);
  }

  /** How many directories have been listed so far. */
  int directoriesRead() {
    return directoriesRead.get();
  }

  private Path disk(String rel) {
    return rel.isEmpty() ? root : root.resolve(rel);
  }

  /** Persists the stat cache and removes an extracted tar context. */
  @Override
  public void close() {
    hasher.flush();
    if (extracted != null) {
      TempTrees.deleteQuietly(extracted);
    }
  }
}
