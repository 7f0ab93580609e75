package dev.jbuild.build.context;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.zip.CRC32;
import java.util.zip.CheckedInputStream;
import java.util.zip.CheckedOutputStream;

/**
 * Remembers the sha256 of context files by their stat identity, so that a rebuild of an
 * unchanged context reads no file content. One file per context directory; written whole to
 * a temporary name and renamed, so concurrent builds never see a torn file (the last writer
 * wins and a lost entry only costs a re-hash). A file that fails its checksum is ignored.
 */
final class StatCache {

  private static final int MAGIC = 0x4a425343; // "JBSC"
  private static final int VERSION = 1;
  /** Entries unused this long are dropped when the cache is saved. */
  private static final long MAX_IDLE_SECONDS = 30L * 24 * 3600;
  /** A hit refreshes its last-use time only when it is older than this (avoids rewrites). */
  private static final long TOUCH_AFTER_SECONDS = 24L * 3600;

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

  private final Path file; // null: memory only
  private final Map<String, Entry> entries;
  private volatile boolean dirty;

  private StatCache(Path file, Map<String, Entry> entries) {
    this.file = file;
    this.entries = entries;
  }

  /** A cache that is never saved. */
  static StatCache inMemory() {
    return new StatCache(null, new ConcurrentHashMap<>());
  }

  /** Loads {@code file}; a missing, unreadable or corrupt file gives an empty cache. */
  static StatCache load(Path file) {
    Map<String, Entry> entries = new ConcurrentHashMap<>();
    try (InputStream raw = Files.newInputStream(file)) {
      CRC32 crc = new CRC32();
      InputStream buffered = new BufferedInputStream(raw, 1 << 16);
      DataInputStream in = new DataInputStream(new CheckedInputStream(buffered, crc));
      if (in.readInt() != MAGIC || in.readInt() != VERSION) {
        return new StatCache(file, new ConcurrentHashMap<>());
      }
      int count = in.readInt();
      for (int i = 0; i < count; i++) {
        String path = in.readUTF();
        long size = in.readLong();
        long mtime = in.readLong();
        long ctime = in.readLong();
        long ino = in.readLong();
        long dev = in.readLong();
        int mode = in.readInt();
        byte[] sha = new byte[32];
        in.readFully(sha);
        long hashedAt = in.readLong();
        long lastUsed = in.readLong();
        entries.put(path, new Entry(size, mtime, ctime, ino, dev, mode, sha, hashedAt, lastUsed));
      }
      long expected = crc.getValue();
      long stored = new DataInputStream(buffered).readLong();
      if (stored != expected) {
        entries.clear();
      }
    } catch (NoSuchFileException e) {
      // first build of this context
    } catch (EOFException | RuntimeException e) {
      entries.clear(); // truncated or garbled: start afresh
    } catch (IOException e) {
      entries.clear();
    }
    return new StatCache(file, entries);
  }

  Entry get(String path) {
    return entries.get(path);
  }

  void put(String path, Entry entry) {
    entries.put(path, entry);
    dirty = true;
  }

  /** Notes that {@code entry} served a lookup now. */
  void used(String path, Entry entry, long nowSeconds) {
    if (nowSeconds - entry.lastUsedSeconds() > TOUCH_AFTER_SECONDS) {
      entries.put(
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
    return entries.size();
  }

  /**
   * Writes the cache if it changed: temp file in the same directory, fsync, atomic rename.
   *
   * @throws IOException when the directory is not writable; the caller decides whether that
   *     matters (a lost cache costs only time)
   */
  synchronized void save(long nowSeconds) throws IOException {
    if (file == null || !dirty) {
      return;
    }
    Files.createDirectories(file.getParent());
    Path tmp = file.resolveSibling(file.getFileName() + ".tmp-" + UUID.randomUUID());
    try {
      try (FileChannel ch =
          FileChannel.open(tmp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
        OutputStream raw = Channels.newOutputStream(ch);
        CRC32 crc = new CRC32();
        DataOutputStream out =
            new DataOutputStream(new CheckedOutputStream(new BufferedOutputStream(raw, 1 << 16), crc));
        Map<String, Entry> live = new TreeMap<>();
        for (Map.Entry<String, Entry> e : entries.entrySet()) {
          if (nowSeconds - e.getValue().lastUsedSeconds() <= MAX_IDLE_SECONDS) {
            live.put(e.getKey(), e.getValue());
          }
        }
        out.writeInt(MAGIC);
        out.writeInt(VERSION);
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
      dirty = false;
    } finally {
      Files.deleteIfExists(tmp);
    }
  }
}
