package dev.jbuild.layer;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.zip.Deflater;

/**
 * gzip of a tar stream with a deflate level per entry. Deflating data that is already
 * compressed (jars, archives, images) costs most of a cold build and saves nothing, while the
 * text beside it shrinks 2-4 times; so the level follows the content of each entry:
 *
 * <ul>
 *   <li>the data of a regular file of at least {@value #MIN_SAMPLED} bytes is judged by its first
 *       {@code min(size, }{@value #SAMPLE}{@code )} bytes, the sample: it is <em>incompressible</em>
 *       when the sample's order-0 byte entropy is at least 7 bits per byte and a raw deflate of the
 *       sample at level 1 is at least 95% of its length (the entropy test alone spares text the
 *       trial deflate; the deflate catches repeats that a byte histogram does not see);
 *   <li>incompressible data is written at level 0 (stored blocks);
 *   <li>everything else (headers, PAX records, block padding, smaller files, the end-of-archive
 *       blocks) at the level given.
 * </ul>
 *
 * <p>The choice depends only on the bytes of the tar, never on how they are split into writes,
 * on timing or on threads, so the same tar always gives the same blob. The deflating is done by
 * {@link ChunkedGzip} in {@value ChunkedGzip#CHUNK}-byte chunks on up to {@link #WORKERS} threads;
 * a level change takes effect exactly at the entry's first byte. The result is one ordinary
 * gzip member ({@code gzip -t}, any inflater). A tar shorter than one chunk with no level change
 * gives the bytes of {@link java.util.zip.GZIPOutputStream} at the level given.
 *
 * <p>A stream that is not a tar (a header with a wrong checksum or size) is compressed from there
 * on at the level given.
 */
final class TarGzip extends OutputStream {
  /** Deflating threads: as many as cores, at most 4 (the chunks in flight are twice that). */
  static final int WORKERS = Math.max(1, Math.min(4, Runtime.getRuntime().availableProcessors()));
  static final int SAMPLE = 8 * 1024;
  static final int MIN_SAMPLED = 1024;
  /** {@code c * StrictMath.log(c)} for every count a sample can have. */
  private static final double[] C_LOG_C = new double[SAMPLE + 1];

  static {
    for (int c = 2; c <= SAMPLE; c++) {
      C_LOG_C[c] = c * StrictMath.log(c);
    }
  }
  private static final int BLOCK = 512;
  private static final int PAX_MAX = 1 << 20;
  private static final int STORED_PIECE = 64 * 1024;

  private final ChunkedGzip gz;
  private final OutputStream out;
  private final int level;
  private boolean closed;
  private int current;
  private boolean opaque; // framing lost, or level 0 everywhere: no more parsing

  private final byte[] header = new byte[BLOCK];
  private int headerFill;
  private long dataLeft; // data bytes of the current entry still to come
  private long padLeft; // then its padding to the next block
  private long paxSize = -1; // a PAX "size" record for the next entry
  private ByteArrayOutputStream pax; // the data of a PAX extended header being read

  private final byte[] hold = new byte[STORED_PIECE]; // the sample, then stored data
  private int held;
  private int sampleWant; // the sample's length while it is being read, else 0
  private boolean storing; // the current entry's data is incompressible
  private final int[] counts = new int[4 * 256];
  private long storedBytes;
  private Deflater trial;
  private byte[] trialOut;

  /** gzip of a tar at {@code level} (1..9; 0 stores everything), incompressible data stored. */
  TarGzip(OutputStream out, int level) {
    this(out, level, WORKERS);
  }

  /** As {@link #TarGzip(OutputStream, int)}, deflating on {@code workers} threads. */
  TarGzip(OutputStream out, int level, int workers) {
    if (level < Deflater.NO_COMPRESSION || level > Deflater.BEST_COMPRESSION) {
      throw new IllegalArgumentException("gzip level must be 0..9, not " + level);
    }
    this.out = out;
    this.gz = new ChunkedGzip(out, level, workers);
    this.level = level;
    this.current = level;
    this.opaque = level == 0;
  }

  @Override
  public synchronized void write(byte[] b, int off, int len) throws IOException {
    while (len > 0) {
      int n;
      if (opaque && level == 0) {
        n = Math.min(len, hold.length - held); // all stored: in fixed pieces, as below
        System.arraycopy(b, off, hold, held, n);
        held += n;
        if (held == hold.length) {
          flushHeld();
        }
      } else if (opaque) {
        n = len;
        gz.write(b, off, n);
      } else if (sampleWant > 0) {
        n = Math.min(len, sampleWant - held);
        System.arraycopy(b, off, hold, held, n);
        held += n;
        dataLeft -= n;
        if (held == sampleWant) {
          judgeSample();
        }
      } else if (storing && dataLeft > 0) {
        n = (int) Math.min(len, Math.min(dataLeft, hold.length - held));
        System.arraycopy(b, off, hold, held, n);
        held += n;
        dataLeft -= n;
        if (held == hold.length || dataLeft == 0) {
          flushHeld();
        }
      } else if (dataLeft > 0) {
        n = (int) Math.min(len, dataLeft);
        if (pax != null && pax.size() + n <= PAX_MAX) {
          pax.write(b, off, n);
        }
        gz.write(b, off, n);
        dataLeft -= n;
        if (dataLeft == 0 && pax != null) {
          paxSize = paxSize(pax.toByteArray());
          pax = null;
        }
      } else {
        use(level); // padding and headers
        if (padLeft > 0) {
          n = (int) Math.min(len, padLeft);
          padLeft -= n;
        } else {
          n = Math.min(len, BLOCK - headerFill);
          System.arraycopy(b, off, header, headerFill, n);
          headerFill += n;
        }
        gz.write(b, off, n);
        if (headerFill == BLOCK) {
          headerFill = 0;
          startEntry();
        }
      }
      off += n;
      len -= n;
    }
  }

  /** How many bytes of file data went out stored (for tests). */
  long storedBytes() {
    return storedBytes;
  }

  @Override
  public void write(int b) throws IOException {
    write(new byte[] {(byte) b}, 0, 1);
  }

  /** Completes the gzip member; {@code out} stays open. */
  public synchronized void finish() throws IOException {
    if (sampleWant > 0) {
      judgeSample(); // a tar cut short in a sample: its bytes still go out
    }
    flushHeld();
    gz.finish();
  }

  /** Writes out the chunks deflated so far (not a gzip flush: the member goes on). */
  @Override
  public synchronized void flush() throws IOException {
    gz.flush();
  }

  @Override
  public synchronized void close() throws IOException {
    if (closed) {
      return;
    }
    closed = true;
    try (out) {
      finish();
    } finally {
      gz.abort(); // no-op after finish; after a failure it stops the threads
      if (trial != null) {
        trial.end();
      }
    }
  }

  /** Reads the header just completed: what follows it and whether its data is sampled. */
  private void startEntry() {
    if (allZero(header)) {
      return; // end-of-archive block
    }
    long size = checksumOk(header) ? size(header) : -1;
    if (size < 0) {
      opaque = true;
      return;
    }
    byte type = header[156];
    if (paxSize >= 0 && type != 'x' && type != 'g') {
      size = paxSize;
      paxSize = -1;
    }
    if (type >= '1' && type <= '6') {
      size = 0; // header-only types, as Go's archive/tar reads them
    }
    dataLeft = size;
    padLeft = (BLOCK - size % BLOCK) % BLOCK;
    if ((type == '0' || type == 0 || type == '7') && size >= MIN_SAMPLED) {
      sampleWant = (int) Math.min(size, SAMPLE);
    } else if (type == 'x' && size > 0) {
      pax = new ByteArrayOutputStream((int) Math.min(size, PAX_MAX));
    }
  }

  /**
   * Chooses the level of the sampled entry: its sample goes to the deflater now at the level
   * given, or starts the run of stored data held in {@link #hold}.
   */
  private void judgeSample() throws IOException {
    sampleWant = 0;
    if (held > 0 && incompressible(held)) {
      use(Deflater.NO_COMPRESSION);
      storing = true;
      if (dataLeft == 0) {
        flushHeld();
      }
    } else {
      use(level);
      flushHeld();
    }
  }

  /**
   * Hands the held bytes to the deflater. zlib's level 0 cuts stored blocks where its input
   * ends, unlike the other levels, so stored data goes in pieces that start at fixed offsets of
   * the entry's data ({@link #hold} long), never as the writes happened to come.
   */
  private void flushHeld() throws IOException {
    if (held > 0) {
      if (storing) {
        storedBytes += held;
      }
      gz.write(hold, 0, held);
      held = 0;
    }
    if (dataLeft == 0) {
      storing = false;
    }
  }

  /** The rule of the class comment, on the first {@code n} bytes of {@link #hold}. */
  private boolean incompressible(int n) {
    // every file of 1 KB or more comes here (24,500 of a large context): four histograms
    // interleaved, so that runs of one byte value do not wait on their own increments
    Arrays.fill(counts, 0);
    int i = 0;
    for (; i + 4 <= n; i += 4) {
      counts[hold[i] & 0xff]++;
      counts[256 + (hold[i + 1] & 0xff)]++;
      counts[512 + (hold[i + 2] & 0xff)]++;
      counts[768 + (hold[i + 3] & 0xff)]++;
    }
    for (; i < n; i++) {
      counts[hold[i] & 0xff]++;
    }
    // H = log2(n) - sum(c log2 c) / n; StrictMath so that every JVM draws the same line, and
    // c log c from a table of those same values (256 logarithms a file showed in profiles)
    double sum = 0;
    for (int b = 0; b < 256; b++) {
      int c = counts[b] + counts[256 + b] + counts[512 + b] + counts[768 + b];
      if (c > 1) {
        sum += C_LOG_C[c];
      }
    }
    double bitsPerByte = (StrictMath.log(n) - sum / n) / StrictMath.log(2);
    if (bitsPerByte < 7.0) {
      return false;
    }
    if (trial == null) {
      trial = new Deflater(1, true);
      trialOut = new byte[SAMPLE + SAMPLE / 8 + 64];
    }
    trial.reset();
    trial.setInput(hold, 0, n);
    trial.finish();
    long packed = 0;
    while (!trial.finished()) {
      packed += trial.deflate(trialOut);
    }
    return packed * 20 >= (long) n * 19;
  }

  /** Makes {@code next} the level from the next byte given to the deflater on. */
  private void use(int next) {
    if (next != current) {
      gz.level(next);
      current = next;
    }
  }

  private static boolean allZero(byte[] h) {
    for (byte x : h) {
      if (x != 0) {
        return false;
      }
    }
    return true;
  }

  private static boolean checksumOk(byte[] h) {
    long stored = octal(h, 148, 8);
    long unsigned = 0;
    long signed = 0;
    for (int i = 0; i < BLOCK; i++) {
      int v = i >= 148 && i < 156 ? ' ' : h[i];
      unsigned += v & 0xff;
      signed += v;
    }
    return stored >= 0 && (stored == unsigned || stored == signed);
  }

  /** The size field: octal, or GNU base-256 when its first byte has the high bit; -1 if bad. */
  private static long size(byte[] h) {
    if ((h[124] & 0x80) != 0) {
      if ((h[124] & 0x40) != 0) {
        return -1; // negative
      }
      long v = h[124] & 0x3f;
      for (int i = 125; i < 136; i++) {
        if (v >>> 55 != 0) {
          return -1;
        }
        v = v << 8 | (h[i] & 0xff);
      }
      return v;
    }
    return octal(h, 124, 12);
  }

  private static long octal(byte[] h, int off, int len) {
    int i = off;
    int end = off + len;
    while (i < end && (h[i] == ' ' || h[i] == 0)) {
      i++;
    }
    long v = 0;
    int digits = 0;
    for (; i < end && h[i] >= '0' && h[i] <= '7'; i++, digits++) {
      v = v << 3 | (h[i] - '0');
    }
    for (; i < end; i++) {
      if (h[i] != ' ' && h[i] != 0) {
        return -1;
      }
    }
    return digits == 0 ? 0 : v;
  }

  /** The value of the "size" record of PAX extended header data, or -1. */
  static long paxSize(byte[] data) {
    int pos = 0;
    while (pos < data.length) {
      int sp = pos;
      long len = 0;
      while (sp < data.length && data[sp] >= '0' && data[sp] <= '9' && len < data.length) {
        len = len * 10 + (data[sp++] - '0');
      }
      if (sp >= data.length || data[sp] != ' ' || len < sp - pos + 2 || pos + len > data.length) {
        return -1;
      }
      String record = new String(data, sp + 1, (int) (pos + len - sp - 2), StandardCharsets.UTF_8);
      if (record.startsWith("size=")) {
        try {
          long v = Long.parseLong(record.substring(5));
          return v >= 0 ? v : -1;
        } catch (NumberFormatException e) {
          return -1;
        }
      }
      pos += (int) len;
    }
    return -1;
  }
}
