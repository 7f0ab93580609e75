package dev.jbuild.build.sandbox;

import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.util.Arrays;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;

/**
 * An input stream read ahead by a thread of its own, through a bounded queue of chunks: the
 * thread does what reading {@code source} costs (inflating a layer blob) while the caller works
 * on what it already has (writing the files out), so that extracting a base layer uses both
 * cores of a small machine. At most {@code CHUNKS} chunks wait; an error of the source is thrown
 * to the reader when it gets there; {@link #close()} stops the thread and closes the source.
 */
final class ReadAhead extends InputStream {
  private static final int CHUNK = 256 * 1024;
  private static final int CHUNKS = 16;
  private static final byte[] END = new byte[0];

  private final InputStream source;
  private final BlockingQueue<byte[]> chunks = new ArrayBlockingQueue<>(CHUNKS);
  private final Thread thread;
  private volatile boolean closed;
  private volatile IOException failure;
  private byte[] chunk = new byte[0];
  private int pos;
  private boolean ended;

  ReadAhead(InputStream source, String name) {
    this.source = source;
    this.thread = new Thread(this::fill, name);
    thread.setDaemon(true);
    thread.start();
  }

  private void fill() {
    try {
      while (!closed) {
        // read straight into the chunk: readNBytes(n) gathers 8 KiB pieces and copies them
        // together, so the inflater ran 32 times per chunk on small buffers (0.1 s of CPU of a
        // 127 MB base layer's 0.7)
        byte[] b = new byte[CHUNK];
        int n = 0;
        for (int r; n < CHUNK && (r = source.read(b, n, CHUNK - n)) > 0; ) {
          n += r;
        }
        if (n == 0) {
          break;
        }
        chunks.put(n == CHUNK ? b : Arrays.copyOf(b, n));
      }
    } catch (IOException | RuntimeException e) {
      failure = e instanceof IOException ? (IOException) e : new IOException(e.toString(), e);
    } catch (InterruptedException e) {
      return; // closed
    }
    try {
      chunks.put(END);
    } catch (InterruptedException e) {
      // closed
    }
  }

  private boolean next() throws IOException {
    if (ended) {
      return false;
    }
    try {
      chunk = chunks.take();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new InterruptedIOException("interrupted while reading ahead");
    }
    pos = 0;
    if (chunk == END) {
      ended = true;
      if (failure != null) {
        throw failure;
      }
      return false;
    }
    return true;
  }

  @Override
  public int read() throws IOException {
    if (pos == chunk.length && !next()) {
      return -1;
    }
    return chunk[pos++] & 0xff;
  }

  @Override
  public int read(byte[] b, int off, int len) throws IOException {
    if (len == 0) {
      return 0;
    }
    if (pos == chunk.length && !next()) {
      return -1;
    }
    int n = Math.min(len, chunk.length - pos);
    System.arraycopy(chunk, pos, b, off, n);
    pos += n;
    return n;
  }

  @Override
  public void close() throws IOException {
    closed = true;
    thread.interrupt();
    try {
      thread.join();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    source.close();
  }
}
