package dev.jbuild.layer;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.io.OutputStream;
import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.zip.CRC32;
import java.util.zip.Deflater;

/**
 * One gzip member deflated in chunks on a few threads, as pigz and klauspost/pgzip do, with
 * bytes that depend only on the input and the levels asked for, never on the number of
 * threads, the sizes of the writes or timing:
 *
 * <ul>
 *   <li>the input is cut every {@value #CHUNK} bytes of its offset; each chunk is raw deflate
 *       from a fresh {@link Deflater} with the {@value #WINDOW} bytes before it as preset
 *       dictionary (none for the first), ended by {@code SYNC_FLUSH} (the last by
 *       {@code FINISH}), so the pieces concatenate into one deflate stream;
 *   <li>inside a chunk a change of level ({@link #level}) is made as a single stream makes it:
 *       {@code SYNC_FLUSH} at the old level, then the new level applied before any of its input;
 *   <li>each run of one level goes to the deflater in one piece, and output is taken in a fixed
 *       buffer size, so even level 0 (whose stored blocks follow the input and output sizes)
 *       cuts its blocks the same way every time.
 * </ul>
 *
 * <p>Header, CRC-32 and size are written here, serially. The last chunk is deflated on the
 * writing thread: a stream shorter than one chunk starts no thread.
 */
final class ChunkedGzip {
  static final int CHUNK = 128 * 1024;
  static final int WINDOW = 32 * 1024;
  private static final int OUT = 64 * 1024;
  /** As {@link java.util.zip.GZIPOutputStream} of JDK 17 writes it: no name, no time, OS unknown. */
  private static final byte[] HEADER = {0x1f, (byte) 0x8b, 8, 0, 0, 0, 0, 0, 0, (byte) 0xff};
  private static final AtomicInteger THREADS = new AtomicInteger();

  private final OutputStream out;
  private final int workers;
  private final CRC32 crc = new CRC32();
  private long total;
  private int level;

  private byte[] buf = new byte[CHUNK]; // the chunk being filled, after dictLen bytes of window
  private int dictLen;
  private int fill;
  private int[] runStart = new int[8]; // where each run of one level starts in the chunk
  private int[] runLevel = new int[8];
  private int runs;

  private ThreadPoolExecutor pool;
  private final ArrayDeque<Future<Deflated>> inFlight = new ArrayDeque<>();
  // Buffers and deflaters are reused from chunk to chunk: allocated afresh they were 1.5 GB of
  // garbage for a 430 MB layer (a fifth of a cold big-context build's CPU in GC and zeroing).
  private final ConcurrentLinkedQueue<byte[]> inputs = new ConcurrentLinkedQueue<>();
  private final ConcurrentLinkedQueue<byte[]> outputs = new ConcurrentLinkedQueue<>();
  private final Deflaters deflaters = new Deflaters();
  private boolean headerDone;
  private boolean finished;
  private boolean failed;

  /** A member written to {@code out}, deflating on {@code workers} threads (1: on the caller's). */
  ChunkedGzip(OutputStream out, int level, int workers) {
    if (workers < 1) {
      throw new IllegalArgumentException("gzip needs at least one worker, not " + workers);
    }
    this.out = out;
    this.level = level;
    this.workers = workers;
  }

  /** The level of the bytes written from now on. */
  void level(int next) {
    level = next;
  }

  void write(byte[] b, int off, int len) throws IOException {
    if (finished || failed) {
      throw new IOException("gzip stream already " + (failed ? "failed" : "finished"));
    }
    crc.update(b, off, len);
    total += len;
    while (len > 0) {
      if (dictLen + fill == buf.length) {
        submit();
      }
      if (runs == 0 || runLevel[runs - 1] != level) {
        if (runs == runStart.length) {
          runStart = Arrays.copyOf(runStart, runs * 2);
          runLevel = Arrays.copyOf(runLevel, runs * 2);
        }
        runStart[runs] = fill;
        runLevel[runs++] = level;
      }
      int n = Math.min(len, buf.length - dictLen - fill);
      System.arraycopy(b, off, buf, dictLen + fill, n);
      fill += n;
      off += n;
      len -= n;
    }
  }

  /** Deflates what is left, writes the trailer; {@code out} stays open. */
  void finish() throws IOException {
    if (finished) {
      return;
    }
    if (failed) {
      throw new IOException("gzip stream failed");
    }
    try {
      while (!inFlight.isEmpty()) {
        writeHead();
      }
      writeOut(deflate(Chunk.of(this), true, deflaters, outputs));
      byte[] trailer = new byte[8];
      int c = (int) crc.getValue();
      int size = (int) total;
      for (int i = 0; i < 4; i++) {
        trailer[i] = (byte) (c >>> (8 * i));
        trailer[4 + i] = (byte) (size >>> (8 * i));
      }
      out.write(trailer);
      finished = true;
    } catch (IOException | RuntimeException | Error e) {
      abort();
      throw e;
    } finally {
      stopPool();
    }
  }

  /** Writes what is done so far to {@code out} and flushes it. */
  void flush() throws IOException {
    while (!inFlight.isEmpty() && inFlight.peekFirst().isDone()) {
      writeHead();
    }
    out.flush();
  }

  /** Drops the chunks in flight and stops the threads; the member stays incomplete. */
  void abort() {
    failed = !finished;
    for (Future<Deflated> f : inFlight) {
      f.cancel(true);
    }
    inFlight.clear();
    stopPool();
  }

  /** Hands the full chunk to a worker (or deflates it here) and starts the next one. */
  private void submit() throws IOException {
    Chunk chunk = Chunk.of(this);
    byte[] next = inputs.poll();
    if (next == null) {
      next = new byte[WINDOW + CHUNK];
    }
    System.arraycopy(buf, buf.length - WINDOW, next, 0, WINDOW);
    buf = next;
    dictLen = WINDOW;
    fill = 0;
    runs = 0;
    try {
      if (workers == 1) {
        writeOut(deflateAndRecycle(chunk));
        return;
      }
      while (inFlight.size() >= 2 * workers) {
        writeHead(); // bounded memory: the writer waits for the oldest chunk
      }
      inFlight.addLast(pool().submit(() -> deflateAndRecycle(chunk)));
      while (!inFlight.isEmpty() && inFlight.peekFirst().isDone()) {
        writeHead();
      }
    } catch (IOException | RuntimeException | Error e) {
      abort();
      throw e;
    }
  }

  /** Deflates a full chunk, then gives its input buffer back: the next window is copied. */
  private Deflated deflateAndRecycle(Chunk chunk) {
    Deflated d = deflate(chunk, false, deflaters, outputs);
    if (chunk.buf.length == WINDOW + CHUNK) { // the first chunk's has no room for a window
      inputs.offer(chunk.buf);
    }
    return d;
  }

  private void writeHead() throws IOException {
    Deflated done;
    try {
      done = inFlight.peekFirst().get();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new InterruptedIOException("interrupted while deflating a layer");
    } catch (ExecutionException e) {
      throw new IOException("deflating a chunk failed: " + e.getCause(), e.getCause());
    }
    inFlight.removeFirst();
    writeOut(done);
  }

  private void writeOut(Deflated deflated) throws IOException {
    if (!headerDone) {
      out.write(HEADER);
      headerDone = true;
    }
    out.write(deflated.buf, 0, deflated.len);
    outputs.offer(deflated.buf);
  }

  private ThreadPoolExecutor pool() {
    if (pool == null) {
      // idle threads end by themselves: a stream dropped without close leaks none for long
      pool = new ThreadPoolExecutor(workers, workers, 2, TimeUnit.SECONDS,
          new LinkedBlockingQueue<>(), r -> {
            Thread t = new Thread(r, "jbuild-gzip-" + THREADS.incrementAndGet());
            t.setDaemon(true);
            return t;
          });
      pool.allowCoreThreadTimeOut(true);
    }
    return pool;
  }

  private void stopPool() {
    deflaters.end();
    if (pool != null) {
      pool.shutdownNow();
      try { // a chunk takes milliseconds: wait, so that no thread outlives the stream
        pool.awaitTermination(10, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      pool = null;
    }
  }

  /** A chunk's bytes (after its dictionary) and runs, taken from the writer's state. */
  private static final class Chunk {
    final byte[] buf;
    final int dictLen;
    final int len;
    final int[] runStart;
    final int[] runLevel;
    final int runs;
    final int emptyLevel;

    private Chunk(ChunkedGzip g) {
      buf = g.buf;
      dictLen = g.dictLen;
      len = g.fill;
      runStart = Arrays.copyOf(g.runStart, g.runs);
      runLevel = Arrays.copyOf(g.runLevel, g.runs);
      runs = g.runs;
      emptyLevel = g.level;
    }

    static Chunk of(ChunkedGzip g) {
      return new Chunk(g);
    }
  }

  /** A chunk's deflated bytes: the first {@code len} of {@code buf}. */
  private record Deflated(byte[] buf, int len) {}

  /**
   * Raw deflate of one chunk: a pure function of its bytes, dictionary, runs and {@code last}.
   * Each call to the deflater is offered {@value #OUT} bytes of room, as when the output went
   * through a buffer of that size, so that level 0 cuts its stored blocks as it always did.
   */
  static Deflated deflate(
      Chunk c, boolean last, Deflaters deflaters, ConcurrentLinkedQueue<byte[]> outputs) {
    int first = c.runs > 0 ? c.runLevel[0] : c.emptyLevel;
    Deflater d = deflaters.take(first);
    Out o = new Out(outputs.poll(), c.len);
    boolean reusable = false;
    try {
      if (c.dictLen > 0) {
        d.setDictionary(c.buf, 0, c.dictLen);
      }
      int level = first;
      for (int i = 0; i < c.runs; i++) {
        if (i > 0) {
          o.drain(d, Deflater.SYNC_FLUSH); // ends the old level's run on a byte
          d.setLevel(c.runLevel[i]);
          level = c.runLevel[i];
          o.drain(d, Deflater.NO_FLUSH); // applies it: no input pending, none used
        }
        int end = i + 1 < c.runs ? c.runStart[i + 1] : c.len;
        d.setInput(c.buf, c.dictLen + c.runStart[i], end - c.runStart[i]);
        while (!d.needsInput()) {
          o.deflate(d, Deflater.NO_FLUSH);
        }
      }
      if (last) {
        d.finish();
        while (!d.finished()) {
          o.deflate(d, Deflater.NO_FLUSH);
        }
      } else {
        o.drain(d, Deflater.SYNC_FLUSH);
      }
      reusable = true;
      deflaters.give(level, d);
      return new Deflated(o.buf, o.len);
    } finally {
      if (!reusable) {
        d.end();
      }
    }
  }

  /** A growing output buffer; each deflate call gets {@value #OUT} bytes of room in it. */
  private static final class Out {
    byte[] buf;
    int len;

    Out(byte[] pooled, int inputLength) {
      // stored data grows by 5 bytes in 64 KB; compressed data shrinks: rarely ever grown
      int want = inputLength + inputLength / 8 + OUT;
      buf = pooled != null && pooled.length >= want ? pooled : new byte[want];
    }

    int deflate(Deflater d, int flush) {
      if (buf.length - len < OUT) {
        buf = Arrays.copyOf(buf, Math.max(buf.length * 2, len + OUT));
      }
      int n = d.deflate(buf, len, OUT, flush);
      len += n;
      return n;
    }

    void drain(Deflater d, int flush) {
      while (deflate(d, flush) == OUT) {
        // the room was filled: more may be pending
      }
    }
  }

  /**
   * Deflaters kept for reuse, by the level they are at. {@link Deflater#reset} puts a deflater
   * back in the state {@code new Deflater(level, true)} starts in (zlib's deflateReset keeps
   * only the level, the strategy and the window size), so reuse changes no byte.
   */
  static final class Deflaters {
    private final ConcurrentLinkedQueue<Deflater>[] byLevel;
    private volatile boolean ended;

    @SuppressWarnings("unchecked")
    Deflaters() {
      byLevel = new ConcurrentLinkedQueue[Deflater.BEST_COMPRESSION + 1];
      for (int i = 0; i < byLevel.length; i++) {
        byLevel[i] = new ConcurrentLinkedQueue<>();
      }
    }

    Deflater take(int level) {
      Deflater d = byLevel[level].poll();
      return d != null ? d : new Deflater(level, true);
    }

    void give(int level, Deflater d) {
      d.reset();
      byLevel[level].offer(d);
      if (ended) {
        end(); // given back after the stream ended: freed now, not by the cleaner
      }
    }

    void end() {
      ended = true;
      for (ConcurrentLinkedQueue<Deflater> q : byLevel) {
        for (Deflater d; (d = q.poll()) != null; ) {
          d.end();
        }
      }
    }
  }
}
