package dev.jbuild.build.context;

import java.io.ByteArrayInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.zip.CRC32;
import java.util.zip.CheckedOutputStream;

/**
 * Remembers the sha256 of context files by their stat identity, so that a rebuild of an
 * unchanged context reads no file content. One file per context directory; written whole to
 * a temporary name and renamed, so concurrent builds never see a torn file (the last writer
 * wins and a lost entry only costs a re-hash). A file that fails its checksum is ignored.
 *
 * <p>Besides the per-file entries it remembers a few whole selections ({@link Memo}): the
 * digest of a COPY source together with the exact stats it was computed under. A rebuild that
 * finds the same stats in the same order takes the digest as it is, without decoding the
 * entries at all: on a context of 25,000 files that decode, the per-file lookups and hashing
 * the key bytes were a third of a no-change rebuild's CPU time.
 */
final class StatCache {

  private static final int MAGIC = 0x4a425343; // "JBSC"
  private static final int VERSION = 2; // 2: selection memos before the entries
  /** Entries unused this long are dropped when the cache is saved. */
  private static final long MAX_IDLE_SECONDS = 30L * 24 * 3600;
  /** A hit refreshes its last-use time only when it is older than this (avoids rewrites). */
  private static final long TOUCH_AFTER_SECONDS = 24L * 3600;
  /** The bytes of an entry besides its path: a bound on the count a file can hold. */
  private static final int ENTRY_FIXED_BYTES = 2 + 5 * 8 + 4 + 32 + 2 * 8;
  /** Selections remembered per context (the newest are kept): one per COPY source or so. */
  static final int MAX_MEMOS = 16;
  private static final int COMPARED_PER_CALL = 256;

  /** A remembered hash and the stat it was taken under. */
  record Entry(
      long size,
      long mtimeNanos,
      long ctimeNanos,
      long ino,
      long dev,
      int mode,
      byte[] sha256,
      long hashedAtNanos,
      long lastUsedSeconds) {

    boolean sameFile(Node n) {
      return n.size() == size
          && n.mtimeNanos() == mtimeNanos
          && n.ctimeNanos() == ctimeNanos
          && n.ino() == ino
          && n.dev() == dev
          && n.mode() == mode;
    }
  }

  /**
   * A selection digest and the fingerprint it was computed under ({@link ContextHasher} makes
   * both): bytes {@code [from, to)} of {@code bytes}, a slice of the file it was read from.
   * It only stands for the selection while the stat entries behind it would still be trusted,
   * so it is not used once it is as old as an entry's last-use refresh ({@code
   * TOUCH_AFTER_SECONDS}): the full path then refreshes the entries and records it anew.
   */
  private record Memo(byte[] bytes, int from, int to, byte[] digest, long recordedSeconds) {
    /**
     * Compared a few hundred bytes per call: one call over megabytes runs its loop in the
     * interpreter (25 ms for 2 MB in a fresh JVM), many short ones get it compiled (4 ms).
     */
    boolean matches(byte[] fingerprint) {
      if (fingerprint.length != to - from) {
        return false;
      }
      for (int at = 0; at < fingerprint.length; at += COMPARED_PER_CALL) {
        int end = Math.min(fingerprint.length, at + COMPARED_PER_CALL);
        if (!Arrays.equals(bytes, from + at, from + end, fingerprint, at, end)) {
          return false;
        }
      }
      return true;
    }
  }

  /** A cache file as read: its memos, and its entries still encoded from {@code entriesAt}. */
  private record Raw(byte[] bytes, int entriesAt, int count, List<Memo> memos) {}

  private static final Raw EMPTY = new Raw(new byte[0], 0, 0, List.of());

  private final Path file; // null: memory only
  private final int expectedEntries;
  /** The file as read: a load runs on its own thread while the build starts. */
  private final CompletableFuture<Raw> loaded;
  /** The entries, decoded on first use (a no-change rebuild answered by a memo never does). */
  private volatile Map<String, Entry> entries;
  private List<Memo> memos; // guarded by this; null until first asked
  private volatile boolean dirty;
  private final Object saving = new Object();

  private StatCache(Path file, CompletableFuture<Raw> loaded) {
    this.file = file;
    this.loaded = loaded;
    long bytes = 0;
    try {
      bytes = file == null ? 0 : Files.size(file);
    } catch (IOException e) {
      // no cache yet
    }
    this.expectedEntries = (int) Math.min(1 << 24, bytes / (ENTRY_FIXED_BYTES + 2 + 32));
  }

  /**
   * About how many entries the cache file holds, from its size and without waiting for the
   * load (a path of 32 bytes taken as typical): 0 for a new cache.
   */
  int expectedEntries() {
    return expectedEntries;
  }

  /** A cache that is never saved. */
  static StatCache inMemory() {
    return new StatCache(null, CompletableFuture.completedFuture(EMPTY));
  }

  /** Loads {@code file}; a missing, unreadable or corrupt file gives an empty cache. */
  static StatCache load(Path file) {
    return new StatCache(file, CompletableFuture.completedFuture(read(file)));
  }

  /**
   * Starts loading {@code file} on a daemon thread and returns at once: the first lookup
   * waits for it. The load of a large context's cache (a few MB) then overlaps parsing the
   * Dockerfile, resolving the base image and walking the context.
   */
  static StatCache loadInBackground(Path file) {
    CompletableFuture<Raw> f = new CompletableFuture<>();
    Thread t =
        new Thread(
            () -> {
              Raw raw;
              try {
                raw = read(file);
              } catch (Throwable e) {
                raw = EMPTY; // an optimisation only: start afresh
              }
              f.complete(raw);
            },
            "jbuild-statcache");
    t.setDaemon(true);
    t.start();
    return new StatCache(file, f);
  }

  /**
   * Reads the whole file in one go, checks it and finds its memos; the entries are decoded
   * from the array when first needed: per-field stream reads were most of the load time.
   */
  private static Raw read(Path file) {
    byte[] bytes;
    try {
      bytes = Files.readAllBytes(file);
    } catch (NoSuchFileException e) {
      return EMPTY; // first build of this context
    } catch (IOException | OutOfMemoryError e) {
      return EMPTY;
    }
    try {
      return parse(bytes);
    } catch (RuntimeException e) {
      return EMPTY; // truncated or garbled: start afresh
    }
  }

  /** A cache file's memos and where its entries start; empty when a header or checksum is wrong. */
  private static Raw parse(byte[] bytes) {
    if (bytes.length < 24) {
      return EMPTY;
    }
    ByteBuffer in = ByteBuffer.wrap(bytes); // big-endian, as DataOutputStream wrote it
    int body = bytes.length - 8;
    CRC32 crc = new CRC32();
    crc.update(bytes, 0, body);
    if (in.getLong(body) != crc.getValue() || in.getInt() != MAGIC) {
      return EMPTY;
    }
    int version = in.getInt();
    if (version != VERSION && version != 1) {
      return EMPTY;
    }
    // version 1 (before memos) is read as it is: its entries spare the first build after an
    // upgrade re-hashing the whole context
    int memoCount = version == 1 ? 0 : in.getInt();
    if (memoCount < 0 || memoCount > MAX_MEMOS) {
      return EMPTY;
    }
    List<Memo> memos = new ArrayList<>(memoCount);
    for (int i = 0; i < memoCount; i++) {
      int length = in.getInt();
      int from = in.position();
      if (length < 0 || length > body - from) {
        return EMPTY;
      }
      in.position(from + length);
      byte[] digest = new byte[32];
      in.get(digest);
      memos.add(new Memo(bytes, from, from + length, digest, in.getLong()));
    }
    int count = in.getInt();
    if (count < 0 || count > body / ENTRY_FIXED_BYTES) {
      return EMPTY;
    }
    return new Raw(bytes, in.position(), count, memos);
  }

  /** The entries of a cache file's bytes, empty when its header or checksum is wrong. */
  static Map<String, Entry> decode(byte[] bytes) {
    try {
      return decode(parse(bytes));
    } catch (RuntimeException e) {
      return new ConcurrentHashMap<>();
    }
  }

  private static Map<String, Entry> decode(Raw raw) {
    byte[] bytes = raw.bytes();
    int count = raw.count();
    if (count == 0) {
      return new ConcurrentHashMap<>();
    }
    ByteBuffer in = ByteBuffer.wrap(bytes);
    in.position(raw.entriesAt());
    int body = bytes.length - 8;
    Map<String, Entry> entries = new ConcurrentHashMap<>(Math.max(16, count * 2));
    for (int i = 0; i < count; i++) {
      String path = utf(bytes, in);
      long size = in.getLong();
      long mtime = in.getLong();
      long ctime = in.getLong();
      long ino = in.getLong();
      long dev = in.getLong();
      int mode = in.getInt();
      byte[] sha = new byte[32];
      in.get(sha);
      long hashedAt = in.getLong();
      long lastUsed = in.getLong();
      entries.put(path, new Entry(size, mtime, ctime, ino, dev, mode, sha, hashedAt, lastUsed));
    }
    if (in.position() != body) {
      return new ConcurrentHashMap<>();
    }
    return entries;
  }

  /** One string as {@link DataOutputStream#writeUTF} wrote it (modified UTF-8). */
  private static String utf(byte[] bytes, ByteBuffer in) {
    int length = in.getShort() & 0xffff;
    int start = in.position();
    in.position(start + length); // throws when it runs past the end
    for (int k = start; k < start + length; k++) {
      if (bytes[k] <= 0) {
        // non-ASCII (or an encoded NUL): decode the general form
        try {
          return DataInputStream.readUTF(
              new DataInputStream(new ByteArrayInputStream(bytes, start - 2, length + 2)));
        } catch (IOException e) {
          throw new IllegalArgumentException("bad string in the stat cache", e);
        }
      }
    }
    return new String(bytes, start, length, StandardCharsets.ISO_8859_1);
  }

  private Map<String, Entry> entries() {
    Map<String, Entry> e = entries;
    if (e == null) {
      synchronized (this) {
        e = entries;
        if (e == null) {
          try {
            e = decode(loaded.join());
          } catch (RuntimeException garbled) {
            e = new ConcurrentHashMap<>(); // an optimisation only: start afresh
          }
          entries = e;
        }
      }
    }
    return e;
  }

  private synchronized List<Memo> memos() {
    if (memos == null) {
      memos = new ArrayList<>(loaded.join().memos());
    }
    return memos;
  }

  /**
   * The digest remembered for a selection whose fingerprint is exactly {@code fingerprint}, or
   * null: none, or only one too old to stand for its entries.
   */
  byte[] memo(byte[] fingerprint, long nowSeconds) {
    for (Memo m : memos()) {
      if (nowSeconds - m.recordedSeconds() <= TOUCH_AFTER_SECONDS
          && nowSeconds >= m.recordedSeconds()
          && m.matches(fingerprint)) {
        return m.digest().clone();
      }
    }
    return null;
  }

  /**
   * Remembers a selection digest under its fingerprint. Only for a selection every file of
   * which has an entry here that a lookup would trust (the caller checks that), so that the
   * memo says nothing the entries would not.
   */
  synchronized void remember(byte[] fingerprint, byte[] digest, long nowSeconds) {
    List<Memo> list = memos();
    list.removeIf(m -> m.matches(fingerprint));
    list.add(new Memo(fingerprint, 0, fingerprint.length, digest.clone(), nowSeconds));
    if (list.size() > MAX_MEMOS) {
      list.sort(Comparator.comparingLong(Memo::recordedSeconds).reversed());
      list.subList(MAX_MEMOS, list.size()).clear();
    }
    dirty = true;
  }

  Entry get(String path) {
    return entries().get(path);
  }

  void put(String path, Entry entry) {
    entries().put(path, entry);
    dirty = true;
  }

  /** Notes that {@code entry} served a lookup now. */
  void used(String path, Entry entry, long nowSeconds) {
    if (nowSeconds - entry.lastUsedSeconds() > TOUCH_AFTER_SECONDS) {
      entries()
          .put(
              path,
              new Entry(
                  entry.size(),
                  entry.mtimeNanos(),
                  entry.ctimeNanos(),
                  entry.ino(),
                  entry.dev(),
                  entry.mode(),
                  entry.sha256(),
                  entry.hashedAtNanos(),
                  nowSeconds));
      dirty = true;
    }
  }

  int size() {
    return entries().size();
  }

  /**
   * Writes the cache if it changed: temp file in the same directory, fsync, atomic rename.
   *
   * @throws IOException when the directory is not writable; the caller decides whether that
   *     matters (a lost cache costs only time)
   */
  void save(long nowSeconds) throws IOException {
    synchronized (saving) { // one writer at a time; lookups and additions go on meanwhile
      saveNow(nowSeconds);
    }
  }

  private void saveNow(long nowSeconds) throws IOException {
    if (file == null || !dirty) {
      return;
    }
    Files.createDirectories(file.getParent());
    List<Memo> keep = new ArrayList<>();
    synchronized (this) {
      // cleared before the entries are read: one added meanwhile leaves the cache dirty, for
      // the next save to write
      dirty = false;
      for (Memo m : memos()) {
        if (nowSeconds - m.recordedSeconds() <= TOUCH_AFTER_SECONDS) {
          keep.add(m);
        }
      }
    }
    boolean saved = false;
    Path tmp = file.resolveSibling(file.getFileName() + ".tmp-" + UUID.randomUUID());
    try {
      try (FileChannel ch =
          FileChannel.open(tmp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
        OutputStream raw = Channels.newOutputStream(ch);
        CRC32 crc = new CRC32();
        DataOutputStream out =
            new DataOutputStream(new CheckedOutputStream(new BufferedOutputStream(raw, 1 << 16), crc));
        Map<String, Entry> live = new TreeMap<>();
        for (Map.Entry<String, Entry> e : entries().entrySet()) {
          if (nowSeconds - e.getValue().lastUsedSeconds() <= MAX_IDLE_SECONDS) {
            live.put(e.getKey(), e.getValue());
          }
        }
        out.writeInt(MAGIC);
        out.writeInt(VERSION);
        out.writeInt(keep.size());
        for (Memo m : keep) {
          out.writeInt(m.to() - m.from());
          out.write(m.bytes(), m.from(), m.to() - m.from());
          out.write(m.digest());
          out.writeLong(m.recordedSeconds());
        }
        out.writeInt(live.size());
        for (Map.Entry<String, Entry> e : live.entrySet()) {
          Entry v = e.getValue();
          out.writeUTF(e.getKey());
          out.writeLong(v.size());
          out.writeLong(v.mtimeNanos());
          out.writeLong(v.ctimeNanos());
          out.writeLong(v.ino());
          out.writeLong(v.dev());
          out.writeInt(v.mode());
          out.write(v.sha256());
          out.writeLong(v.hashedAtNanos());
          out.writeLong(v.lastUsedSeconds());
        }
        out.flush();
        DataOutputStream trailer = new DataOutputStream(raw);
        trailer.writeLong(crc.getValue());
        trailer.flush();
        ch.force(true);
      }
      try {
        Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      } catch (AtomicMoveNotSupportedException e) {
        Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING);
      }
      saved = true;
    } finally {
      if (!saved) {
        dirty = true;
      }
      Files.deleteIfExists(tmp);
    }
  }
}
