package dev.jbuild.build.context;

import dev.jbuild.oci.Digest;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.LinkOption;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.BooleanSupplier;

/**
 * Content hashes of context files and the digest of a source selection, which feed the
 * build-cache key of COPY/ADD. Backed by a {@link StatCache}: a file whose size, mtime,
 * ctime, inode, device and mode are unchanged since it was hashed is not read again. Thread
 * safe.
 */
public final class ContextHasher {

  /**
   * A file modified this close to (or after) the moment it was hashed may change again
   * within the same timestamp tick without its stat changing ("racy git"); such an entry is
   * re-hashed next time. Covers file systems with coarse (up to 2 s) timestamps.
   */
  static final long RACY_NANOS = TimeUnit.SECONDS.toNanos(3);

  /**
   * A context whose stat cache holds this many files probably has a selection this large: its
   * digest hashes a few MB of key bytes, worth having SHA-256 compiled for first.
   */
  static final int LARGE_SELECTION = 4096;

  private static final byte[] SELECTION_TAG =
      "jbuild context selection v1\n".getBytes(StandardCharsets.UTF_8);
  /**
   * A digest per thread, reused file after file: updated from a direct buffer, a digest copies
   * through a 4 KB array of its own, and one per file was 100 MB of garbage for a 24,500-file
   * context (and a young collection in the middle of its hashing).
   */
  private static final ThreadLocal<MessageDigest> DIGESTS =
      ThreadLocal.withInitial(Digest::newSha256);

  private static final ThreadLocal<ByteBuffer> BUFFERS =
      ThreadLocal.withInitial(() -> ByteBuffer.allocateDirect(1 << 16));

  private final BuildContext context;
  private final StatCache cache;
  private final LongAdder filesRead = new LongAdder();
  private final LongAdder bytesRead = new LongAdder();
  private final LongAdder cacheHits = new LongAdder();
  private final LongAdder selectionHits = new LongAdder();
  private final AtomicBoolean warmUpStarted = new AtomicBoolean();

  ContextHasher(BuildContext context, StatCache cache) {
    this.context = context;
    this.cache = cache;
  }

  /**
   * The sha256 of a file's content, from the stat cache when the file is unchanged.
   *
   * @throws IllegalArgumentException for an entry that is not a file
   * @throws ContextException when the file cannot be read
   */
  public Digest contentDigest(ContextEntry entry) {
    if (entry.type() != EntryType.FILE) {
      throw new IllegalArgumentException("not a file: " + entry.path());
    }
    return Digest.sha256(contentSha256(entry, context.statForHash(entry), Instant.now()));
  }

  /**
   * {@link #contentDigest} as the 32 bytes of the hash, without a {@link Digest} object.
   *
   * @param node the stat of the file ({@link BuildContext#statForHash})
   * @param now a time taken before the file is looked at: a hash remembered as taken then
   *     rather than later is only ever re-hashed sooner by the racy rule
   */
  private byte[] contentSha256(ContextEntry entry, Node node, Instant now) {
    String key = entry.contextPath();
    StatCache.Entry cached = cache.get(key);
    long nowNanos = now.getEpochSecond() * 1_000_000_000L + now.getNano();
    if (cached != null
        && cached.sameFile(node)
        && node.mtimeNanos() < cached.hashedAtNanos() - RACY_NANOS) {
      cacheHits.increment();
      cache.used(key, cached, now.getEpochSecond());
      return cached.sha256();
    }
    byte[] sha = hashContent(entry);
    cache.put(
        key,
        new StatCache.Entry(
            node.size(),
            node.mtimeNanos(),
            node.ctimeNanos(),
            node.ino(),
            node.dev(),
            node.mode(),
            sha,
            nowNanos,
            now.getEpochSecond()));
    return sha;
  }

  /**
   * One digest over a selection as the cache key sees it: for each entry in the given order
   * its path, type, mode, size, link target and content hash. Modification times are left
   * out, as BuildKit leaves them out of its content checksums. Files are hashed in parallel.
   *
   * <p>A selection whose {@link Fingerprint} (every field of the digest but the content hashes,
   * and for each file the stat the stat cache compares) is one the cache remembers gets the
   * remembered digest: the files' stat entries would all be trusted and give the same hashes.
   */
  public Digest selectionDigest(List<ContextEntry> entries) {
    int n = entries.size();
    Node[] nodes = new Node[n];
    byte[] fingerprint = fingerprintInParallel(entries, nodes);
    Instant start = Instant.now();
    byte[] memo = cache.memo(fingerprint, start.getEpochSecond());
    if (memo != null) {
      cacheHits.add(files(nodes));
      selectionHits.increment();
      return Digest.sha256(memo);
    }
    warmUpFor(n);
    // The content hashes (stat cache lookups, or reads) are taken in chunks by pool threads
    // and this one, while this thread feeds the chunks that are ready, in order, to the digest:
    // the digest is sequential, and on a cached rebuild it costs as much as the lookups.
    byte[][] contents = new byte[n][];
    AtomicBoolean racy = new AtomicBoolean();
    // small enough that a selection of a few large files still spreads over the threads
    int chunk = Math.max(1, Math.min(256, n / 64));
    int chunks = (n + chunk - 1) / chunk;
    // Chunks are claimed in order from one cursor. Waiting for chunk k while a helper holds it,
    // this thread takes the next unclaimed one instead: had it only tried chunk k+1 once k was
    // done, the helper, already running, would claim it first every time, and the hashing of a
    // cold 25,000-file context ran on one core while the other waited.
    AtomicInteger cursor = new AtomicInteger();
    List<CompletableFuture<Void>> done = new ArrayList<>(chunks);
    for (int k = 0; k < chunks; k++) {
      done.add(new CompletableFuture<>());
    }
    AtomicBoolean abandoned = new AtomicBoolean();
    Runnable helper =
        () -> {
          for (int k = cursor.getAndIncrement(); k < chunks && !abandoned.get();
              k = cursor.getAndIncrement()) {
            fill(entries, nodes, contents, racy, k, chunk, done.get(k));
          }
        };
    for (int h = Math.min(ForkJoinPool.getCommonPoolParallelism(), chunks - 1); h > 0; h--) {
      ForkJoinPool.commonPool().execute(helper);
    }
    // The bytes are those of the field-wise definition (SELECTION_TAG, then per entry: string
    // path, type byte, mode, size, string link target, string "sha256:<hex>" or ""), fed in
    // large blocks: tens of thousands of small updates cost more than the hashing itself.
    MessageDigest md = Digest.newSha256();
    md.update(SELECTION_TAG);
    KeyBytes out = new KeyBytes(md);
    try {
      for (int k = 0; k < chunks; k++) {
        while (!done.get(k).isDone()) {
          int next = cursor.getAndIncrement();
          if (next >= chunks) {
            break;
          }
          fill(entries, nodes, contents, racy, next, chunk, done.get(next));
        }
        joined(done.get(k));
        for (int i = k * chunk; i < Math.min(n, (k + 1) * chunk); i++) {
          ContextEntry e = entries.get(i);
          out.string(e.path());
          out.put((byte) e.type().ordinal());
          out.number(e.mode());
          out.number(e.size());
          out.string(e.linkTarget() == null ? "" : e.linkTarget());
          out.sha256Text(contents[i]);
        }
      }
    } finally {
      abandoned.set(true); // after a failure the helpers stop at their next chunk
    }
    out.flush();
    byte[] digest = md.digest();
    if (!racy.get()) {
      // every file's hash is now in the cache under the stat in the fingerprint, trusted
      cache.remember(fingerprint, digest, start.getEpochSecond());
    }
    if (n >= LARGE_SELECTION) {
      saveInBackground();
    }
    return Digest.sha256(digest);
  }

  /**
   * Takes the content hashes of a selection's files ahead of {@link #selectionDigest}, one file
   * at a time, until {@code stop} says so: nothing when the cache remembers the selection.
   */
  public void prefetch(List<ContextEntry> entries, BooleanSupplier stop) {
    Node[] nodes = new Node[entries.size()];
    byte[] fingerprint = fingerprint(entries, nodes, stop);
    // stopped: the step computes the digest itself, hashing what the cache lacks on both cores
    if (fingerprint == null || cache.memo(fingerprint, Instant.now().getEpochSecond()) != null) {
      return;
    }
    warmUpFor(entries.size());
    for (int i = 0; i < nodes.length && !stop.getAsBoolean(); i++) {
      if (nodes[i] != null) {
        contentSha256(entries.get(i), nodes[i], Instant.now());
      }
    }
  }

  /**
   * The fingerprint of a selection, filling {@code nodes} with the stat of each file (null for
   * other entries); null when {@code stop} said so (asked every 1,024 entries).
   *
   * @throws ContextException when a file is no longer a regular file
   */
  private byte[] fingerprint(List<ContextEntry> entries, Node[] nodes, BooleanSupplier stop) {
    String base = entries.isEmpty() ? "" : entries.get(0).contextPath();
    Fingerprint f = new Fingerprint(entries.size());
    f.string(base);
    return fingerprint(entries, nodes, base, 0, nodes.length, f, stop) ? f.bytes() : null;
  }

  /**
   * {@link #fingerprint(List, Node[], BooleanSupplier)} in two halves, the second on a pool
   * thread: on a no-change rebuild it is the step's only work after the walk, when the pool
   * has nothing else to do.
   */
  private byte[] fingerprintInParallel(List<ContextEntry> entries, Node[] nodes) {
    int n = entries.size();
    if (n < LARGE_SELECTION) {
      return fingerprint(entries, nodes, () -> false);
    }
    String base = entries.get(0).contextPath();
    int mid = n / 2;
    AtomicBoolean claimed = new AtomicBoolean();
    CompletableFuture<byte[]> tail = new CompletableFuture<>();
    Runnable second =
        () -> {
          if (claimed.compareAndSet(false, true)) {
            try {
              Fingerprint f = new Fingerprint(n - mid);
              fingerprint(entries, nodes, base, mid, n, f, () -> false);
              tail.complete(f.bytes());
            } catch (RuntimeException | Error e) {
              tail.completeExceptionally(e);
            }
          }
        };
    ForkJoinPool.commonPool().execute(second);
    Fingerprint f = new Fingerprint(n);
    f.string(base);
    fingerprint(entries, nodes, base, 0, mid, f, () -> false); // its error first: walk order
    second.run(); // when no pool thread has taken it yet
    f.append(joined(tail));
    return f.bytes();
  }

  /** Adds entries {@code [from, to)}; false when {@code stop} said so. */
  private boolean fingerprint(
      List<ContextEntry> entries, Node[] nodes, String base, int from, int to, Fingerprint f,
      BooleanSupplier stop) {
    Selection walked = entries instanceof Selection ? (Selection) entries : null;
    for (int i = from; i < to; i++) {
      if ((i & 1023) == 0 && stop.getAsBoolean()) {
        return false;
      }
      ContextEntry e = entries.get(i);
      Node node = null;
      if (e.type() == EntryType.FILE) {
        // the walk's stat is the one statForHash finds for it, without a lookup by path
        node = walked != null ? walked.node(i) : context.statForHash(e);
        nodes[i] = node;
      }
      f.add(e, base, node);
    }
    return true;
  }

  /** The future's value; its failure rethrown as the exception it failed with. */
  private static <T> T joined(CompletableFuture<T> f) {
    try {
      return f.join();
    } catch (CompletionException e) {
      if (e.getCause() instanceof RuntimeException) {
        throw (RuntimeException) e.getCause();
      }
      if (e.getCause() instanceof Error) {
        throw (Error) e.getCause();
      }
      throw e;
    }
  }

  private static int files(Node[] nodes) {
    int files = 0;
    for (Node n : nodes) {
      if (n != null) {
        files++;
      }
    }
    return files;
  }

  /**
   * Starts the SHA-256 warm-up, once, when a large selection is about to be hashed without a
   * memo in a context whose cache held many files (a rebuild after a change): its key bytes are
   * then hashed by compiled code.
   */
  private void warmUpFor(int selectionSize) {
    if (selectionSize >= LARGE_SELECTION
        && cache.expectedEntries() >= LARGE_SELECTION
        && warmUpStarted.compareAndSet(false, true)) {
      Thread t = new Thread(ContextHasher::warmUpSha256, "jbuild-sha256-warmup");
      t.setDaemon(true);
      t.start();
    }
  }

  /** Takes the content hashes of the files of chunk {@code k}, then completes {@code done}. */
  private void fill(
      List<ContextEntry> entries, Node[] nodes, byte[][] contents, AtomicBoolean racy, int k,
      int chunk, CompletableFuture<Void> done) {
    try {
      Instant now = Instant.now(); // one clock read per chunk: per file it showed in profiles
      long racyFrom = now.getEpochSecond() * 1_000_000_000L + now.getNano() - RACY_NANOS;
      for (int i = k * chunk; i < Math.min(entries.size(), (k + 1) * chunk); i++) {
        Node node = nodes[i];
        if (node != null) {
          contents[i] = contentSha256(entries.get(i), node, now);
          // a cache hit is older than the racy window by its definition; a fresh hash is in
          // the cache now but would not be trusted next time: no memo then
          if (node.mtimeNanos() >= racyFrom) {
            racy.set(true);
          }
        }
      }
      done.complete(null);
    } catch (RuntimeException | Error e) {
      done.completeExceptionally(e);
    }
  }

  /**
   * Has the JIT compile SHA-256 down to its CPU intrinsic before a large selection digest needs
   * it (see {@link Digest#warmUpSha256}): a cold JVM took 130-480 ms for the 3.5 MB of key bytes
   * of a 25,000-file selection, on the thread every later step waits for; then 2.5 ms, and the
   * warm-up cost less CPU than the plain-Java hashing it spares.
   */
  static void warmUpSha256() {
    Digest.warmUpSha256(() -> false);
  }

  /** How many files had their content read (cache misses), since this context was opened. */
  public long filesRead() {
    return filesRead.sum();
  }

  /** How many bytes of file content were read. */
  public long bytesRead() {
    return bytesRead.sum();
  }

  /** How many content hashes came from the stat cache. */
  public long cacheHits() {
    return cacheHits.sum();
  }

  /** How many selection digests the stat cache remembered whole (their files count as hits). */
  long selectionHits() {
    return selectionHits.sum();
  }

  /** Persists the stat cache (atomically); a failure only costs the next build time. */
  public void flush() {
    Thread early = backgroundSave.get();
    if (early != null) {
      try {
        early.join();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    save();
  }

  private void save() {
    try {
      cache.save(Instant.now().getEpochSecond());
    } catch (IOException e) {
      // the cache is an optimisation: a read-only root must not fail the build
    }
  }

  /**
   * Writes the stat cache now, on a thread of its own, once per build: after the digest of a
   * large selection the cache holds what the next build needs, and writing its tens of
   * thousands of entries (0.1 s for 24,500) then overlaps the layer written from them instead
   * of delaying the end of the build. {@link #flush()} waits for it and writes again only what
   * was added since.
   */
  private void saveInBackground() {
    Thread t = new Thread(this::save, "jbuild-stat-cache-save");
    t.setDaemon(true);
    if (backgroundSave.compareAndSet(null, t)) {
      t.start();
    }
  }

  private final java.util.concurrent.atomic.AtomicReference<Thread> backgroundSave =
      new java.util.concurrent.atomic.AtomicReference<>();

  private byte[] hashContent(ContextEntry entry) {
    MessageDigest md = DIGESTS.get();
    md.reset(); // after a failed read
    ByteBuffer buffer = BUFFERS.get();
    long total = 0;
    try (FileChannel ch =
        FileChannel.open(entry.file(), StandardOpenOption.READ, LinkOption.NOFOLLOW_LINKS)) {
      while (true) {
        buffer.clear();
        int n = ch.read(buffer);
        if (n < 0) {
          break;
        }
        total += n;
        buffer.flip();
        md.update(buffer);
      }
    } catch (IOException e) {
      throw new ContextException(
          "cannot read \"/" + entry.contextPath() + "\" from the build context: " + reason(e), e);
    }
    filesRead.increment();
    bytesRead.add(total);
    return md.digest();
  }

  static String reason(IOException e) {
    if (e instanceof java.nio.file.AccessDeniedException) {
      return "permission denied";
    }
    if (e instanceof java.nio.file.NoSuchFileException) {
      return "it was removed during the build";
    }
    return e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
  }

  /**
   * What a selection digest depends on besides file contents, as bytes compared for equality:
   * per entry its path, type, mode, size and link target (the digest's fields), its real path
   * in the context, and for a file the stat identity the stat cache compares (size, mtime,
   * ctime, inode, device, mode). Strings are length-prefixed and every field has a fixed
   * place, so equal bytes mean equal fields. Never stored anywhere but beside the digest it
   * stands for.
   */
  private static final class Fingerprint {
    private byte[] buf;
    private int n;

    Fingerprint(int entries) {
      buf = new byte[Math.max(256, entries * 96)];
    }

    /** One entry; {@code base} is the real path of the selection's first entry. */
    void add(ContextEntry e, String base, Node node) {
      boolean below = below(e.contextPath(), base, e.path());
      // first what follows: the flags say which of the optional fields are there
      room(2);
      buf[n++] = (byte) e.type().ordinal();
      buf[n++] = (byte) ((e.linkTarget() == null ? 0 : 1) | (below ? 0 : 2) | (node == null ? 0 : 4));
      string(e.path());
      if (e.linkTarget() != null) {
        string(e.linkTarget());
      }
      if (!below) {
        string(e.contextPath());
      }
      room(4 + 8 + 5 * 8 + 4);
      integer(e.mode());
      number(e.size());
      if (node != null) {
        number(node.size());
        number(node.mtimeNanos());
        number(node.ctimeNanos());
        number(node.ino());
        number(node.dev());
        integer(node.mode());
      }
    }

    /** Whether {@code contextPath} is {@code path} below {@code base}, as a walk makes it. */
    private static boolean below(String contextPath, String base, String path) {
      if (base.isEmpty()) {
        return contextPath.equals(path);
      }
      if (path.isEmpty()) {
        return contextPath.equals(base);
      }
      return contextPath.length() == base.length() + 1 + path.length()
          && contextPath.charAt(base.length()) == '/'
          && contextPath.startsWith(base)
          && contextPath.endsWith(path);
    }

    /**
     * Its UTF-8 length, then the bytes: one copy per string (a loop over its chars ran in the
     * interpreter long enough to show).
     */
    void string(String s) {
      byte[] bytes = s.getBytes(StandardCharsets.UTF_8);
      room(4 + bytes.length);
      integer(bytes.length);
      System.arraycopy(bytes, 0, buf, n, bytes.length);
      n += bytes.length;
    }

    /** Big-endian, unrolled (callers make room). */
    private void integer(int v) {
      buf[n] = (byte) (v >>> 24);
      buf[n + 1] = (byte) (v >>> 16);
      buf[n + 2] = (byte) (v >>> 8);
      buf[n + 3] = (byte) v;
      n += 4;
    }

    private void number(long v) {
      integer((int) (v >>> 32));
      integer((int) v);
    }

    private void room(int bytes) {
      if (buf.length - n < bytes) {
        buf = java.util.Arrays.copyOf(buf, Math.max(buf.length * 2, n + bytes));
      }
    }

    /** Bytes another Fingerprint made, as if added here. */
    void append(byte[] bytes) {
      room(bytes.length);
      System.arraycopy(bytes, 0, buf, n, bytes.length);
      n += bytes.length;
    }

    byte[] bytes() {
      return java.util.Arrays.copyOf(buf, n);
    }
  }

  /** Fills a buffer with a selection's fields and hands it to the digest when full. */
  private static final class KeyBytes {
    private static final byte[] HEX = "0123456789abcdef".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] SHA256_PREFIX = "sha256:".getBytes(StandardCharsets.US_ASCII);
    private static final int SHA256_TEXT = SHA256_PREFIX.length + 64;

    private final MessageDigest md;
    private final byte[] buf = new byte[1 << 16];
    private int n;

    KeyBytes(MessageDigest md) {
      this.md = md;
    }

    void put(byte b) {
      room(1);
      buf[n++] = b;
    }

    void number(long v) {
      room(8);
      for (int i = 56; i >= 0; i -= 8) {
        buf[n++] = (byte) (v >>> i);
      }
    }

    void string(String s) {
      byte[] bytes = s.getBytes(StandardCharsets.UTF_8);
      number(bytes.length);
      if (bytes.length > buf.length - n) {
        flush();
        md.update(bytes);
        return;
      }
      System.arraycopy(bytes, 0, buf, n, bytes.length);
      n += bytes.length;
    }

    /** What {@code string(Digest.sha256(sha).toString())} writes; {@code string("")} for null. */
    void sha256Text(byte[] sha) {
      if (sha == null) {
        number(0);
        return;
      }
      number(SHA256_TEXT);
      room(SHA256_TEXT);
      System.arraycopy(SHA256_PREFIX, 0, buf, n, SHA256_PREFIX.length);
      n += SHA256_PREFIX.length;
      for (byte b : sha) {
        buf[n++] = HEX[(b >> 4) & 0xf];
        buf[n++] = HEX[b & 0xf];
      }
    }

    private void room(int bytes) {
      if (buf.length - n < bytes) {
        flush();
      }
    }

    void flush() {
      md.update(buf, 0, n);
      n = 0;
    }
  }
}
