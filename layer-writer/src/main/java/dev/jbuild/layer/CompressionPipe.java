package dev.jbuild.layer;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.io.OutputStream;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;

/**
 * Hands the tar stream to a second thread that compresses it, so that reading files, tar
 * framing and the diffID hash run beside deflate/zstd (2 cores: the tar|gzip pipeline's
 * shape). A fixed pool of buffers bounds memory whatever the layer size.
 */
final class CompressionPipe extends OutputStream {
  private static final int CHUNK = 1 << 20;
  private static final int CHUNKS = 4;
  private static final byte[] END = new byte[0];

  private final BlockingQueue<byte[]> full = new ArrayBlockingQueue<>(CHUNKS + 1);
  private final BlockingQueue<byte[]> empty = new ArrayBlockingQueue<>(CHUNKS);
  private final BlockingQueue<Integer> lengths = new ArrayBlockingQueue<>(CHUNKS + 1);
  private final Thread worker;
  private volatile Throwable failure;
  private byte[] current;
  private int used;
  private boolean closed;

  /** Buffers made so far: up to {@link #CHUNKS}, each when the writer first needs one more. */
  private int made;

  /** Compressed output goes to {@code sink}, which the worker closes when the stream ends. */
  CompressionPipe(OutputStream sink) {
    worker = new Thread(() -> drain(sink), "jbuild-layer-compress");
    worker.setDaemon(true);
    worker.start();
  }

  private void drain(OutputStream sink) {
    try (sink) {
      while (true) {
        byte[] chunk = full.take();
        int len = lengths.take();
        if (chunk == END) {
          break;
        }
        if (failure == null) {
          sink.write(chunk, 0, len);
        }
        empty.put(chunk);
      }
    } catch (Throwable t) {
      if (failure == null) {
        failure = t;
      }
      empty.clear();
      empty.offer(new byte[CHUNK]); // unblock a producer waiting for a buffer
    }
  }

  @Override
  public void write(int b) throws IOException {
    write(new byte[] {(byte) b}, 0, 1);
  }

  @Override
  public void write(byte[] b, int off, int len) throws IOException {
    check(); // after an abort nothing is taken, however much room the current buffer has
    while (len > 0) {
      if (current == null) {
        current = take();
        used = 0;
      }
      int n = Math.min(len, current.length - used);
      System.arraycopy(b, off, current, used, n);
      used += n;
      off += n;
      len -= n;
      if (used == current.length) {
        hand(current, used);
        current = null;
      }
    }
  }

  private byte[] take() throws IOException {
    check();
    byte[] free = empty.poll();
    if (free != null) {
      return free;
    }
    if (made < CHUNKS) {
      // made on demand: a layer of a few kB needs one buffer, not four zeroed megabytes
      made++;
      return new byte[CHUNK];
    }
    try {
      byte[] chunk = empty.take();
      check();
      return chunk;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new InterruptedIOException("interrupted while compressing a layer");
    }
  }

  private void hand(byte[] chunk, int len) throws IOException {
    try {
      lengths.put(len);
      full.put(chunk);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new InterruptedIOException("interrupted while compressing a layer");
    }
  }

  private void check() throws IOException {
    Throwable t = failure;
    if (t != null) {
      if (t instanceof IOException) {
        throw new IOException(t.getMessage(), t);
      }
      throw new IOException("compressing the layer failed: " + t, t);
    }
  }

  /** Flushes the last buffer, waits for the worker to finish the frame, reports its failure. */
  @Override
  public void close() throws IOException {
    if (closed) {
      return;
    }
    closed = true;
    if (current != null && used > 0 && failure == null) {
      hand(current, used);
    }
    current = null;
    hand(END, 0);
    try {
      worker.join();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new InterruptedIOException("interrupted while compressing a layer");
    }
    check();
  }

  /** Stops the worker after a failure of the producer; nothing more is written. */
  void abort() {
    if (closed) {
      return;
    }
    closed = true;
    failure = failure == null ? new IOException("aborted") : failure;
    try {
      hand(END, 0);
      worker.join();
    } catch (IOException e) {
      worker.interrupt();
    } catch (InterruptedException e) {
      worker.interrupt();
      Thread.currentThread().interrupt();
    }
  }
}
