package dev.jbuild.layer;

import java.io.IOException;
import java.io.InputStream;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.Deque;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;

/**
 * The file tree of an image's layers merged without extracting them: later layers win,
 * whiteouts and opaque markers hide lower entries, symlinks in parent components resolve inside
 * the tree, hard links read their target's bytes. Built by reading each layer's headers once;
 * opening a file streams just its bytes from its layer blob (a seek in a plain tar, a
 * forward skip over a compressed one, which is read once when files are opened in layer order).
 * Open one file at a time and close it before opening the next; not thread-safe.
 */
public final class LayerStack implements java.io.Closeable {
  private static final int MAX_LINKS = 255;

  private final List<Path> blobs;
  private final Map<Integer, Cursor> cursors = new java.util.HashMap<>();
  private final Node root = Node.directory(null, -1);
  /** What a stack of some paths read; null for the whole stack. */
  private Part part;

  /** A file of the merged tree and where its bytes are. */
  private static final class Node {
    LayerEntry entry;
    int layer; // last layer that created or touched this node
    int contentLayer = -1;
    long dataOffset;
    TreeMap<String, Node> children;

    static Node directory(LayerEntry e, int layer) {
      Node n = new Node();
      n.entry = e;
      n.layer = layer;
      n.children = new TreeMap<>(LayerPaths::compareName);
      return n;
    }
  }

  private LayerStack(List<Path> blobs) {
    this.blobs = List.copyOf(blobs);
  }

  /** Indexes the layer blobs, bottom layer first. */
  public static LayerStack of(List<Path> blobs) throws IOException {
    List<Path> none = new ArrayList<>();
    for (int i = 0; i < blobs.size(); i++) {
      none.add(null);
    }
    return of(blobs, none);
  }

  /**
   * Indexes the layer blobs, bottom layer first, through their header index files ({@code
   * indexes}, one per blob, null for none): a layer with an index is not read at all, one
   * without is read once and its index written (see {@link LayerHeaders}).
   */
  public static LayerStack of(List<Path> blobs, List<Path> indexes) throws IOException {
    if (indexes.size() != blobs.size()) {
      throw new IllegalArgumentException(blobs.size() + " blobs, " + indexes.size() + " indexes");
    }
    LayerStack s = new LayerStack(blobs);
    for (int i = 0; i < s.blobs.size(); i++) {
      try {
        for (LayerHeaders.Header h : LayerHeaders.of(s.blobs.get(i), indexes.get(i))) {
          s.add(i, h.entry(), h.dataOffset());
        }
      } catch (LayerFormatException e) {
        throw new LayerFormatException(s.blobs.get(i) + ": " + e.getMessage());
      }
    }
    return s;
  }

  /**
   * The tree as far as it concerns {@code paths} (relative, clean: no "." or ".." components):
   * {@link #stat} of them and of their parent directories, and {@link #open} of those that are
   * files, answer as on the whole stack. See {@link #ofPaths(List, List, Collection,
   * Collection)}.
   */
  public static Optional<LayerStack> ofPaths(
      List<Path> blobs, List<Path> indexes, Collection<String> paths) throws IOException {
    return ofPaths(blobs, indexes, paths, List.of());
  }

  /**
   * The tree as far as it concerns {@code paths} and everything under {@code subtrees} (all
   * relative and clean: no "." or ".." components): {@link #stat} of those paths, of their
   * parent directories and of anything under a subtree, {@link #list} of a subtree's
   * directories and {@link #open} of its files answer as on the whole stack; asked about
   * another path, the stack throws {@link OutsidePartException}. Empty when a symbolic link or
   * a hard link lies in that part, which could lead outside it, or a subtree is the whole tree
   * (use {@link #of} then). Builds only the nodes of that part: entries elsewhere are passed
   * over by their path's bytes, so it is cheap on layers of many files.
   */
  public static Optional<LayerStack> ofPaths(
      List<Path> blobs, List<Path> indexes, Collection<String> paths, Collection<String> subtrees)
      throws IOException {
    if (indexes.size() != blobs.size()) {
      throw new IllegalArgumentException(blobs.size() + " blobs, " + indexes.size() + " indexes");
    }
    Part part = new Part();
    for (String p : paths) {
      if (!part.want(p, false)) {
        return Optional.empty();
      }
    }
    for (String p : subtrees) {
      if (!part.want(p, true)) {
        return Optional.empty();
      }
    }
    part.seal();
    LayerStack s = new LayerStack(blobs);
    s.part = part;
    for (int i = 0; i < s.blobs.size(); i++) {
      try {
        for (LayerHeaders.Header h : LayerHeaders.of(s.blobs.get(i), indexes.get(i), part)) {
          if (h.entry() == null) {
            // an entry left out marks its wanted parents as add() would: that decides what a
            // later opaque marker of the same layer hides
            s.directory(h.touched(), i);
            continue;
          }
          EntryType t = h.entry().type();
          if (t == EntryType.SYMLINK || t == EntryType.HARDLINK) {
            return Optional.empty();
          }
          s.add(i, h.entry(), h.dataOffset());
        }
      } catch (LayerFormatException e) {
        throw new LayerFormatException(s.blobs.get(i) + ": " + e.getMessage());
      }
    }
    return Optional.of(s);
  }

  /** Thrown by a stack of some paths ({@link #ofPaths}) asked about a path outside them. */
  public static final class OutsidePartException extends IOException {
    OutsidePartException(String path) {
      super("\"" + path + "\" is outside the part of the layers that was read");
    }
  }

  /**
   * The paths a partial stack reads: the wanted ones with their parents, and subtrees whose
   * every entry is wanted. Chooses entries by their path's bytes (see {@link
   * LayerHeaders.PathFilter}).
   */
  private static final class Part implements LayerHeaders.PathFilter {
    private static final byte[] PREFIX = Whiteouts.PREFIX.getBytes(StandardCharsets.UTF_8);
    private static final byte[] OPAQUE = Whiteouts.OPAQUE.getBytes(StandardCharsets.UTF_8);

    final Set<String> wanted = new HashSet<>();
    final Set<String> subtrees = new HashSet<>();
    /** The wanted paths, deepest first, as strings and as UTF-8 bytes. */
    private String[] names;
    private byte[][] bytes;
    private boolean[] subtree;

    /** Adds a path (and its parents); false when it is not clean, or is the whole tree. */
    boolean want(String p, boolean whole) {
      String clean = LayerPaths.clean(p);
      if (clean == null || !clean.equals(p.startsWith("/") ? p.substring(1) : p)
          || (whole && clean.isEmpty())) {
        return false;
      }
      if (whole) {
        subtrees.add(clean);
      }
      for (String q = clean; !q.isEmpty(); q = LayerPaths.parent(q)) {
        wanted.add(q);
      }
      return true;
    }

    void seal() {
      names = wanted.stream()
          .sorted(java.util.Comparator.comparingInt(String::length).reversed())
          .toArray(String[]::new);
      bytes = new byte[names.length][];
      subtree = new boolean[names.length];
      for (int i = 0; i < names.length; i++) {
        bytes[i] = names[i].getBytes(StandardCharsets.UTF_8);
        subtree[i] = subtrees.contains(names[i]);
      }
    }

    /** Whether a lookup of {@code clean} (a clean relative path) is answered as on the whole. */
    boolean covers(String clean) {
      // wanted, or inside a subtree: then its parent's contents are complete
      return clean.isEmpty() || wanted.contains(clean)
          || coversContents(LayerPaths.parent(clean));
    }

    /** Whether {@code list} of the directory {@code clean} is complete. */
    boolean coversContents(String clean) {
      for (String q = clean; !q.isEmpty(); q = LayerPaths.parent(q)) {
        if (subtrees.contains(q)) {
          return true;
        }
      }
      return false;
    }

    /*
     * What add() does with an entry decides what must be kept: an ordinary entry or an opaque
     * marker at or under a kept path is added; a whiteout is added when what it hides is kept;
     * AUFS metadata is ignored; any other entry (not a whiteout) only marks the wanted
     * directories it lies in as touched by its layer.
     */
    @Override
    public String select(byte[] b, int from, int to) {
      int slash = to - 1;
      while (slash >= from && b[slash] != '/') {
        slash--;
      }
      int name = slash + 1; // slash < from: a top-level name
      if (startsWith(b, name, to, PREFIX)) {
        if (to - name == OPAQUE.length && startsWith(b, name, to, OPAQUE)) {
          return slash < from || kept(b, from, slash) ? KEEP : deepest(b, from, to);
        }
        if (startsWith(b, name + PREFIX.length, to, PREFIX)) {
          return null; // AUFS metadata
        }
        // a whiteout: what it hides is the path with ".wh." taken out of its name
        byte[] hidden = new byte[to - from - PREFIX.length];
        System.arraycopy(b, from, hidden, 0, name - from);
        System.arraycopy(b, name + PREFIX.length, hidden, name - from, to - name - PREFIX.length);
        int hiddenName = hidden.length - (name - from);
        boolean illegal = hiddenName == 0 || (hiddenName <= 2
            && hidden[hidden.length - 1] == '.' && (hiddenName == 1 || hidden[name - from] == '.'));
        // a name that hides nothing legal is kept, for add() to reject as the whole stack does
        return illegal || kept(hidden, 0, hidden.length) ? KEEP : null;
      }
      return kept(b, from, to) ? KEEP : deepest(b, from, to);
    }

    /** Whether the path is wanted or lies in a subtree. */
    private boolean kept(byte[] b, int from, int to) {
      for (int i = 0; i < bytes.length; i++) {
        byte[] w = bytes[i];
        if (w.length == to - from) {
          if (Arrays.equals(w, 0, w.length, b, from, to)) {
            return true;
          }
        } else if (subtree[i] && isUnder(b, from, to, w)) {
          return true;
        }
      }
      return false;
    }

    /** The deepest wanted directory the path lies in, or null. */
    private String deepest(byte[] b, int from, int to) {
      for (int i = 0; i < bytes.length; i++) {
        if (isUnder(b, from, to, bytes[i])) {
          return names[i];
        }
      }
      return null;
    }

    private static boolean isUnder(byte[] b, int from, int to, byte[] dir) {
      return to - from > dir.length && b[from + dir.length] == '/'
          && Arrays.equals(dir, 0, dir.length, b, from, from + dir.length);
    }

    private static boolean startsWith(byte[] b, int from, int to, byte[] prefix) {
      return to - from >= prefix.length
          && Arrays.equals(prefix, 0, prefix.length, b, from, from + prefix.length);
    }
  }

  private void add(int layer, LayerEntry e, long dataOffset) throws IOException {
    Whiteouts.Kind kind = e.whiteoutKind();
    if (kind == Whiteouts.Kind.METADATA) {
      return;
    }
    if (kind == Whiteouts.Kind.WHITEOUT) {
      String hidden = Whiteouts.hiddenPath(e.path());
      Node parent = directory(LayerPaths.parent(hidden), -1);
      if (parent != null) {
        Node old = parent.children.get(LayerPaths.name(hidden));
        if (old != null && old.layer < layer) {
          parent.children.remove(LayerPaths.name(hidden));
        }
      }
      return;
    }
    Node parent = directory(LayerPaths.parent(e.path()), layer);
    if (kind == Whiteouts.Kind.OPAQUE) {
      hideBelow(parent, layer);
      return;
    }
    String name = LayerPaths.name(e.path());
    Node old = parent.children.get(name);
    Node n;
    if (e.type() == EntryType.DIRECTORY) {
      n = old != null && old.children != null ? old : Node.directory(e, layer);
      n.entry = e;
    } else {
      n = new Node();
      n.entry = e;
      if (e.type() == EntryType.FILE) {
        n.contentLayer = layer;
        n.dataOffset = dataOffset;
      } else if (e.type() == EntryType.HARDLINK) {
        Node target = lookup(e.linkTarget(), false);
        if (target == null || target.children != null) {
          throw new LayerFormatException("layer " + layer + ": hard link \"" + e.path()
              + "\" to \"" + e.linkTarget() + "\", which " + (target == null ? "does not exist"
                  : "is a directory"));
        }
        n.entry = target.entry.withPath(e.path());
        n.contentLayer = target.contentLayer;
        n.dataOffset = target.dataOffset;
      }
    }
    n.layer = layer;
    parent.children.put(name, n);
  }

  /** Opaque marker: entries of lower layers under {@code dir} disappear. */
  private static void hideBelow(Node dir, int layer) {
    Iterator<Node> it = dir.children.values().iterator();
    while (it.hasNext()) {
      Node c = it.next();
      if (c.layer < layer) {
        it.remove();
      } else if (c.children != null) {
        hideBelow(c, layer);
      }
    }
  }

  /**
   * The directory at {@code path}, symlinks followed inside the tree; with {@code createLayer}
   * ≥ 0 missing directories are created (as an applier would) and touched directories marked.
   */
  private Node directory(String path, int createLayer) throws IOException {
    Deque<String> todo = new ArrayDeque<>();
    for (String c : path.split("/")) {
      if (!c.isEmpty()) {
        todo.addLast(c);
      }
    }
    Deque<Node> stack = new ArrayDeque<>();
    Node cur = root;
    int links = 0;
    while (!todo.isEmpty()) {
      String c = todo.removeFirst();
      if (c.equals(".")) {
        continue;
      }
      if (c.equals("..")) {
        cur = stack.isEmpty() ? root : stack.removeLast();
        continue;
      }
      Node next = cur.children.get(c);
      if (next == null) {
        if (createLayer < 0) {
          return null;
        }
        next = Node.directory(LayerEntry.directory(LayerPaths.join(cur == root ? ""
            : cur.entry.path(), c), 0755), createLayer);
        cur.children.put(c, next);
      }
      if (next.entry.type() == EntryType.SYMLINK && next.children == null) {
        if (++links > MAX_LINKS) {
          throw new IOException("too many levels of symbolic links resolving \"" + path + "\"");
        }
        String target = next.entry.linkTarget();
        if (target.startsWith("/")) {
          stack.clear();
          cur = root;
        }
        String[] parts = target.split("/");
        for (int i = parts.length - 1; i >= 0; i--) {
          if (!parts[i].isEmpty()) {
            todo.addFirst(parts[i]);
          }
        }
        continue;
      }
      if (next.children == null) {
        if (createLayer < 0) {
          return null;
        }
        throw new LayerFormatException("layer " + createLayer + ": \"" + next.entry.path()
            + "\" is not a directory, but the layer puts files inside it");
      }
      if (createLayer >= 0) {
        next.layer = Math.max(next.layer, createLayer);
      }
      stack.addLast(cur);
      cur = next;
    }
    return cur;
  }

  private Node lookup(String path, boolean followFinal) throws IOException {
    String clean = LayerPaths.clean(path);
    if (clean == null) {
      clean = ""; // ".." above the root stops at the root, as in a chroot
    }
    if (clean.isEmpty()) {
      return root;
    }
    Node parent = directory(LayerPaths.parent(clean), -1);
    if (parent == null) {
      return null;
    }
    Node n = parent.children.get(LayerPaths.name(clean));
    int links = 0;
    while (followFinal && n != null && n.entry.type() == EntryType.SYMLINK) {
      if (++links > MAX_LINKS) {
        throw new IOException("too many levels of symbolic links resolving \"" + path + "\"");
      }
      String target = n.entry.linkTarget();
      String base = target.startsWith("/") ? target : LayerPaths.parent(n.entry.path()) + "/" + target;
      String resolved = LayerPaths.clean(base);
      resolved = resolved == null ? "" : resolved;
      if (resolved.isEmpty()) {
        return root;
      }
      Node p = directory(LayerPaths.parent(resolved), -1);
      n = p == null ? null : p.children.get(LayerPaths.name(resolved));
    }
    return n;
  }

  /**
   * The entry at {@code path} (absolute or relative to the root); a final symlink is not
   * followed. Empty when nothing is there, and for the root itself, which no layer describes.
   */
  public Optional<LayerEntry> stat(String path) throws IOException {
    checkCovered(path, false);
    return Optional.ofNullable(lookup(path, false)).filter(n -> n != root).map(this::view);
  }

  /** The entry at {@code path} with a final symlink followed (inside the tree). */
  public Optional<LayerEntry> statFollow(String path) throws IOException {
    checkCovered(path, false);
    return Optional.ofNullable(lookup(path, true)).filter(n -> n != root).map(this::view);
  }

  /** The entries of the directory at {@code path} (symlinks followed), in layer order. */
  public List<LayerEntry> list(String path) throws IOException {
    checkCovered(path, true);
    Node dir = lookup(path, true);
    if (dir == null || dir.children == null) {
      throw new java.nio.file.NotDirectoryException(path);
    }
    List<LayerEntry> out = new ArrayList<>(dir.children.size());
    for (Node c : dir.children.values()) {
      out.add(view(c));
    }
    return out;
  }

  /** The bytes of the regular file at {@code path} (symlinks followed). */
  public InputStream open(String path) throws IOException {
    checkCovered(path, false);
    Node n = lookup(path, true);
    if (n == null) {
      throw new java.nio.file.NoSuchFileException(path);
    }
    if (n.contentLayer < 0) {
      throw new IOException("\"" + path + "\" is a " + (n == root ? "directory" : n.entry.type())
          + ", not a regular file");
    }
    return openContent(n.contentLayer, n.dataOffset, n.entry.size());
  }

  /**
   * A stack of some paths answers only for them (it holds no links, so a lookup of such a path
   * stays inside the part).
   */
  private void checkCovered(String path, boolean contents) throws OutsidePartException {
    if (part == null) {
      return;
    }
    String clean = LayerPaths.clean(path);
    clean = clean == null ? "" : clean;
    if (contents ? !part.coversContents(clean) : !part.covers(clean)) {
      throw new OutsidePartException(path);
    }
  }

  private LayerEntry view(Node n) {
    LayerEntry e = n.entry;
    if (n.contentLayer >= 0) {
      int layer = n.contentLayer;
      long offset = n.dataOffset;
      long size = e.size();
      return new LayerEntry(e.path(), e.type(), e.mode(), e.uid(), e.gid(), e.mtime(), size,
          e.linkTarget(), e.xattrs(), e.devMajor(), e.devMinor(),
          () -> openContent(layer, offset, size));
    }
    return e;
  }

  private InputStream openContent(int layer, long offset, long size) throws IOException {
    Path blob = blobs.get(layer);
    byte[] head = new byte[4];
    int n;
    try (InputStream probe = Files.newInputStream(blob)) {
      n = probe.readNBytes(head, 0, 4);
    }
    if (Compression.detect(head, n) == Compression.NONE) {
      FileChannel ch = FileChannel.open(blob, StandardOpenOption.READ);
      ch.position(offset);
      return new BoundedStream(Channels.newInputStream(ch), size, true);
    }
    // Compressed: keep one decompressing cursor per layer, so that files opened in layer order
    // (a directory copied out of a stage) cost one pass over the blob, not one per file.
    Cursor c = cursors.get(layer);
    if (c == null || c.position > offset) {
      if (c != null) {
        c.in.close();
      }
      c = new Cursor(Compression.decompressed(Files.newInputStream(blob)));
      cursors.put(layer, c);
    }
    c.in.skipNBytes(offset - c.position);
    c.position = offset;
    Cursor cursor = c;
    return new BoundedStream(new InputStream() {
      @Override
      public int read() throws IOException {
        int r = cursor.in.read();
        cursor.position += r >= 0 ? 1 : 0;
        return r;
      }

      @Override
      public int read(byte[] b, int off, int len) throws IOException {
        int r = cursor.in.read(b, off, len);
        cursor.position += Math.max(r, 0);
        return r;
      }
    }, size, false); // the cursor stays open for the next file of this layer
  }

  /** A decompressing stream of one layer and how far it has been read. */
  private static final class Cursor {
    final InputStream in;
    long position;

    Cursor(InputStream in) {
      this.in = in;
    }
  }

  /** Releases the decompressing streams kept for sequential reads. */
  public void close() throws IOException {
    for (Cursor c : cursors.values()) {
      c.in.close();
    }
    cursors.clear();
  }

  /** At most {@code limit} bytes of {@code in}. */
  private static class BoundedStream extends java.io.FilterInputStream {
    private long left;
    private final boolean closeInner;

    BoundedStream(InputStream in, long limit, boolean closeInner) {
      super(in);
      this.left = limit;
      this.closeInner = closeInner;
    }

    @Override
    public int read() throws IOException {
      if (left <= 0) {
        return -1;
      }
      int b = in.read();
      if (b >= 0) {
        left--;
      }
      return b;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
      if (left <= 0) {
        return -1;
      }
      int n = in.read(b, off, (int) Math.min(len, left));
      if (n > 0) {
        left -= n;
      }
      return n;
    }

    @Override
    public long skip(long n) throws IOException {
      byte[] scratch = new byte[8192];
      long done = 0;
      while (done < n) {
        int r = read(scratch, 0, (int) Math.min(scratch.length, n - done));
        if (r < 0) {
          break;
        }
        done += r;
      }
      return done;
    }

    @Override
    public void close() throws IOException {
      if (closeInner) {
        in.close();
      }
    }
  }

  /** All merged paths, parents first (for tests and diagnostics). */
  Map<String, LayerEntry> snapshot() {
    Map<String, LayerEntry> out = new TreeMap<>(LayerPaths::compare);
    collect(root, "", out);
    return out;
  }

  private void collect(Node dir, String prefix, Map<String, LayerEntry> out) {
    for (Map.Entry<String, Node> c : dir.children.entrySet()) {
      String p = LayerPaths.join(prefix, c.getKey());
      out.put(p, view(c.getValue()).withPath(p));
      if (c.getValue().children != null) {
        collect(c.getValue(), p, out);
      }
    }
  }
}
