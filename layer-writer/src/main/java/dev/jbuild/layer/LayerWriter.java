package dev.jbuild.layer;

import dev.jbuild.oci.Digest;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;

/**
 * Writes deterministic OCI layers: entries in canonical order (parents first, opaque markers
 * first in their directory), PAX headers with every field chosen here, mtimes clamped to
 * {@code SOURCE_DATE_EPOCH}; diffID, digest and size computed in the same single pass that
 * streams the tar into the compressor.
 */
public final class LayerWriter {

  /**
   * How layers are written.
   *
   * @param compression blob compression
   * @param level compression level (gzip 0..9, zstd 1..22); ignored for NONE. gzip stores the
   *     data of entries that do not shrink at any level (see {@code TarGzip})
   * @param sourceDateEpoch when set, later mtimes are clamped to it
   */
  public record Options(Compression compression, int level, Instant sourceDateEpoch) {
    public Options {
      Objects.requireNonNull(compression, "compression");
      if (compression == Compression.GZIP && (level < 0 || level > 9)) {
        throw new IllegalArgumentException("gzip level must be 0..9, not " + level);
      }
      if (compression == Compression.ZSTD && (level < 1 || level > 22)) {
        throw new IllegalArgumentException("zstd level must be 1..22, not " + level);
      }
    }

    /** The compression at its default level, no clamping. */
    public static Options of(Compression compression) {
      return new Options(compression, compression.defaultLevel(), null);
    }

    public Options withSourceDateEpoch(Instant epoch) {
      return new Options(compression, level, epoch);
    }

    public Options withLevel(int newLevel) {
      return new Options(compression, newLevel, sourceDateEpoch);
    }
  }

  private static final int COPY_BUFFER = 256 * 1024;

  private final Options options;
  private final LayerHeaders.Recorder headers;

  public LayerWriter(Options options) {
    this(options, null);
  }

  private LayerWriter(Options options, LayerHeaders.Recorder headers) {
    this.options = Objects.requireNonNull(options, "options");
    this.headers = headers;
  }

  /**
   * This writer, also recording each entry's header into {@code recorder} as it writes (the
   * layer's header index, for {@link LayerHeaders.Recorder#writeIndex} once the blob is
   * stored). For one layer.
   */
  public LayerWriter recordingHeaders(LayerHeaders.Recorder recorder) {
    return new LayerWriter(options, Objects.requireNonNull(recorder, "recorder"));
  }

  public Options options() {
    return options;
  }

  /**
   * Writes a layer of the given entries (COPY/ADD results). Missing parent directories are
   * added (0755, root, mtime 0); hard links are re-pointed so that the first path in layer
   * order carries the content. {@code out} is not closed.
   */
  public LayerBlob write(List<LayerEntry> entries, OutputStream out) throws IOException {
    List<LayerEntry> ordered = canonical(entries);
    Producer all = sink -> {
      for (LayerEntry e : ordered) {
        sink.add(e);
      }
    };
    return tarSize(ordered) <= ChunkedGzip.CHUNK ? streamHere(out, all) : stream(out, all);
  }

  /**
   * About how long the tar of {@code entries} is: their data and a header block each (PAX
   * records, which long names and xattrs add, left out).
   */
  private static long tarSize(List<LayerEntry> entries) {
    long size = 1024;
    for (LayerEntry e : entries) {
      size += 512;
      if (e.type() == EntryType.FILE) {
        size += (e.size() + 511) / 512 * 512;
      }
    }
    return size;
  }

  /**
   * {@link #stream} without its threads, for a layer of less than one gzip chunk, which has
   * nothing to spread over cores (its one chunk is deflated by the thread that finishes the
   * stream anyway): the layer of a WORKDIR or of a COPY of a few small files took 5-10 ms
   * longer to set up the pipeline (two threads started, their buffers allocated and zeroed) than
   * to write. The bytes are the same: neither compressor's output depends on how the tar reaches
   * it, nor on its number of threads (see {@link ChunkedGzip} and {@link Compression#compressor}).
   */
  private LayerBlob streamHere(OutputStream out, Producer producer) throws IOException {
    Compression c = options.compression();
    HashingOutputStream blob = new HashingOutputStream(out, false);
    OutputStream compressor =
        c == Compression.GZIP ? new TarGzip(blob, options.level(), 1)
            : c == Compression.ZSTD ? c.compressor(blob, options.level(), 1)
            : blob;
    HashingOutputStream tar = new HashingOutputStream(compressor, true, COPY_BUFFER);
    return writeTar(producer, tar, blob,
        () -> abandon(null, null, c == Compression.ZSTD ? compressor : null));
  }

  /**
   * Writes the layer that an overlayfs upper directory represents: whiteout devices become
   * {@code .wh.} entries, opaque directories get {@code .wh..wh..opq}, overlay xattrs are
   * dropped. Streams file by file; memory does not grow with the data. {@code out} is not
   * closed.
   */
  public LayerBlob writeDirectory(Path upperDir, OutputStream out) throws IOException {
    return writeDirectory(upperDir, true, out);
  }

  /**
   * Writes the layer of a directory tree; with {@code overlayUpper} false, 0/0 character
   * devices and overlay xattrs are taken as they are (a snapshot diff, not an upper dir).
   */
  public LayerBlob writeDirectory(Path dir, boolean overlayUpper, OutputStream out)
      throws IOException {
    Path real = dir.toRealPath(); // the root may be reached through a symlink; nothing below is
    if (!Files.isDirectory(real, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
      throw new java.nio.file.NotDirectoryException(dir.toString());
    }
    return stream(out, sink -> new DirectoryWalk(real, overlayUpper).walk(sink));
  }

  /**
   * Writes a layer to {@code target} atomically (temp file, fsync, rename); an existing file is
   * replaced. Nothing is left behind on failure.
   */
  public LayerBlob writeTo(Path target, Source source) throws IOException {
    Path dir = target.toAbsolutePath().getParent();
    Files.createDirectories(dir);
    Path tmp = Files.createTempFile(dir, "." + target.getFileName() + ".", ".tmp");
    try {
      LayerBlob blob;
      try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE,
          StandardOpenOption.TRUNCATE_EXISTING)) {
        OutputStream os = Channels.newOutputStream(ch);
        blob = source.writeWith(this, os);
        ch.force(true);
      }
      try {
        Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      } catch (AtomicMoveNotSupportedException e) {
        Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING);
      }
      return blob;
    } catch (IOException | RuntimeException e) {
      Files.deleteIfExists(tmp);
      throw e;
    }
  }

  /** What {@link #writeTo} writes: entries or a directory. */
  @FunctionalInterface
  public interface Source {
    LayerBlob writeWith(LayerWriter writer, OutputStream out) throws IOException;

    static Source of(List<LayerEntry> entries) {
      List<LayerEntry> copy = List.copyOf(entries);
      return (w, out) -> w.write(copy, out);
    }

    static Source ofDirectory(Path upperDir) {
      return (w, out) -> w.writeDirectory(upperDir, out);
    }
  }

  /** Receives entries in layer order. */
  interface Sink {
    void add(LayerEntry e) throws IOException;
  }

  private interface Producer {
    void produce(Sink sink) throws IOException;
  }

  private LayerBlob stream(OutputStream out, Producer producer) throws IOException {
    Compression c = options.compression();
    HashingOutputStream blob = new HashingOutputStream(out, false);
    // compressed: the digest and the write of the compressed stream on a thread of their own
    CompressionPipe written = c == Compression.NONE ? null : new CompressionPipe(blob);
    OutputStream compressor = written == null ? blob : c.compressor(written, options.level());
    // gzip in three stages: tar + diffID here, deflate on one thread (and ChunkedGzip's), the
    // digest and the write on another, so that 2 cores split the work evenly. zstd's own workers
    // compress: this thread reads, frames and hashes the tar and hands it over (zstd copies it
    // into its job buffers); a plain tar goes straight to the blob.
    CompressionPipe toGzip = c == Compression.GZIP ? new CompressionPipe(compressor) : null;
    HashingOutputStream tar = toGzip != null ? new HashingOutputStream(toGzip, true)
        : new HashingOutputStream(compressor, true, COPY_BUFFER);
    return writeTar(producer, tar, blob,
        () -> abandon(toGzip, written, c == Compression.ZSTD ? compressor : null));
  }

  /**
   * Writes the producer's entries as a tar into {@code tar}, which ends in {@code blob} through
   * the compression; {@code abandon} runs when that fails. The layer's diffID is the tar's
   * digest, its digest the blob's (the same for a plain tar).
   */
  private LayerBlob writeTar(Producer producer, HashingOutputStream tar, HashingOutputStream blob,
      Runnable abandon) throws IOException {
    TarOutput tarOut = new TarOutput(tar);
    byte[] buffer = new byte[COPY_BUFFER];
    boolean ok = false;
    try {
      producer.produce(e -> emit(tarOut, e, buffer));
      tarOut.finish();
      tar.close();
      ok = true;
    } finally {
      if (!ok) {
        abandon.run();
      }
    }
    Compression c = options.compression();
    if (c == Compression.NONE) {
      Digest d = tar.digest(); // plain tar: the blob is the tar
      return new LayerBlob(d, d, tar.count(), c.mediaType());
    }
    return new LayerBlob(tar.digest(), blob.digest(), blob.count(), c.mediaType());
  }

  /**
   * After a failure: stops the compression threads and frees the zstd context (native memory
   * and threads), writing nothing more to the output.
   */
  private static void abandon(CompressionPipe toGzip, CompressionPipe written, OutputStream zstd) {
    if (toGzip != null) {
      toGzip.abort();
    }
    if (written != null) {
      written.abort();
    }
    if (zstd != null) {
      try {
        zstd.close(); // its last bytes meet the aborted pipe, which refuses them
      } catch (IOException expected) {
        // the failure that got us here is the one to report
      }
    }
  }

  private void emit(TarOutput tar, LayerEntry e, byte[] buffer) throws IOException {
    long mtime = e.mtime().getEpochSecond();
    if (options.sourceDateEpoch() != null) {
      mtime = Math.min(mtime, options.sourceDateEpoch().getEpochSecond());
    }
    long offset = tar.offset();
    byte[] header = tar.putEntry(e, mtime);
    if (headers != null) {
      headers.written(header, offset);
    }
    if (e.type() == EntryType.FILE && e.size() > 0) {
      try (InputStream in = e.content().open()) {
        // Each read asks for one byte more than is left: a file that grew is caught by the read
        // that ends it, and a file that ends on time needs no extra read to prove it (a short
        // read at the end; one extra read per file is a syscall per file).
        long left = e.size();
        while (true) {
          int want = (int) Math.min(buffer.length, left + 1);
          int n = tar.writeFrom(in, want, buffer);
          if (n < 0) {
            if (left > 0) {
              throw new IOException("\"" + e.path() + "\" has fewer bytes than its size " + e.size()
                  + " (changed while the layer was written?)");
            }
            break;
          }
          if (n > left) {
            throw new IOException("\"" + e.path() + "\" has more bytes than its size " + e.size()
                + " (changed while the layer was written?)");
          }
          left -= n;
          if (left == 0 && n < want) {
            break;
          }
        }
      }
    }
    tar.closeEntry();
  }

  /** Validated, completed and sorted entries; hard links pointed at their first path. */
  static List<LayerEntry> canonical(List<LayerEntry> entries) {
    // In the order given: callers give walk order, nearly the canonical one, which the sort
    // below then merely checks; from a hash order it took 150 ms for 24,500 entries.
    Map<String, LayerEntry> byPath = new LinkedHashMap<>(entries.size() * 4 / 3 + 16);
    for (LayerEntry e : entries) {
      if (byPath.putIfAbsent(e.path(), e) != null) {
        throw new IllegalArgumentException("layer entry \"" + e.path() + "\" appears twice");
      }
    }
    // Parents: every ancestor must be a directory of this layer.
    for (LayerEntry e : entries) {
      for (String p = LayerPaths.parent(e.path()); !p.isEmpty(); p = LayerPaths.parent(p)) {
        LayerEntry parent = byPath.get(p);
        if (parent == null) {
          byPath.put(p, LayerEntry.directory(p, 0755));
        } else if (parent.type() != EntryType.DIRECTORY) {
          throw new IllegalArgumentException("layer entry \"" + e.path() + "\" is inside \"" + p
              + "\", which is a " + parent.type() + " in the same layer");
        } else {
          break;
        }
      }
      if (e.whiteoutKind() == Whiteouts.Kind.WHITEOUT) {
        Whiteouts.hiddenPath(e.path()); // validates the hidden name
      }
    }
    // Hard links: group by the entry that carries the content; the first path carries it.
    Map<String, List<String>> groups = new TreeMap<>();
    for (LayerEntry e : byPath.values()) {
      if (e.type() == EntryType.HARDLINK) {
        String carrier = e.path();
        Set<String> seen = new HashSet<>();
        while (byPath.get(carrier) != null && byPath.get(carrier).type() == EntryType.HARDLINK) {
          if (!seen.add(carrier)) {
            throw new IllegalArgumentException("hard links form a cycle at \"" + e.path() + "\"");
          }
          carrier = byPath.get(carrier).linkTarget();
        }
        LayerEntry target = byPath.get(carrier);
        if (target == null) {
          throw new IllegalArgumentException("hard link \"" + e.path() + "\" points to \""
              + e.linkTarget() + "\", which is not in the layer");
        }
        if (target.type() == EntryType.DIRECTORY) {
          throw new IllegalArgumentException("hard link \"" + e.path() + "\" points to a directory");
        }
        groups.computeIfAbsent(carrier, k -> new ArrayList<>(List.of(k))).add(e.path());
      }
    }
    for (Map.Entry<String, List<String>> g : groups.entrySet()) {
      List<String> paths = g.getValue();
      paths.sort(LayerPaths::compare);
      String first = paths.get(0);
      LayerEntry carrier = byPath.get(g.getKey());
      for (String p : paths) {
        if (p.equals(first)) {
          byPath.put(p, carrier.withPath(p));
        } else {
          byPath.put(p, new LayerEntry(p, EntryType.HARDLINK, carrier.mode(), carrier.uid(),
              carrier.gid(), carrier.mtime(), 0, first, carrier.xattrs(), 0, 0, null));
        }
      }
    }
    // Whiteouts inside an opaque directory of the same layer hide nothing more: dropped.
    Set<String> opaqueDirs = new HashSet<>();
    for (LayerEntry e : byPath.values()) {
      if (e.whiteoutKind() == Whiteouts.Kind.OPAQUE) {
        opaqueDirs.add(LayerPaths.parent(e.path()));
      }
    }
    List<LayerEntry> out = new ArrayList<>(byPath.size());
    for (LayerEntry e : byPath.values()) {
      if (e.whiteoutKind() == Whiteouts.Kind.WHITEOUT && opaqueDirs.contains(LayerPaths.parent(e.path()))) {
        continue;
      }
      out.add(e);
    }
    out.sort((a, b) -> LayerPaths.compare(a.path(), b.path()));
    return out;
  }
}
