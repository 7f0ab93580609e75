package dev.jbuild.build.sandbox;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.Random;
import org.junit.jupiter.api.Test;

class ReadAheadTest {

  /** A source that hands out at most {@code step} bytes per read, as an inflater does. */
  private static InputStream trickling(byte[] data, int step) {
    return new ByteArrayInputStream(data) {
      @Override
      public synchronized int read(byte[] b, int off, int len) {
        return super.read(b, off, Math.min(len, step));
      }
    };
  }

  @Test
  void readsTheSourceByteForByteWhateverItsReadSizes() throws IOException {
    Random random = new Random(7);
    for (int size : new int[] {0, 1, 256 * 1024 - 1, 256 * 1024, 256 * 1024 + 1, 1_000_003}) {
      byte[] data = new byte[size];
      random.nextBytes(data);
      for (int step : new int[] {1_000, 8_192, 300_000}) {
        try (ReadAhead in = new ReadAhead(trickling(data, step), "test")) {
          assertArrayEquals(data, in.readAllBytes(), size + " bytes in reads of " + step);
          assertEquals(-1, in.read());
        }
      }
    }
  }

  @Test
  void theSourcesErrorReachesTheReader() throws IOException {
    byte[] data = new byte[300_000];
    InputStream failing = new InputStream() {
      int pos;

      @Override
      public int read() {
        throw new UnsupportedOperationException();
      }

      @Override
      public int read(byte[] b, int off, int len) throws IOException {
        if (pos == data.length) {
          throw new IOException("corrupt gzip");
        }
        int n = Math.min(len, data.length - pos);
        pos += n;
        return n;
      }
    };
    try (ReadAhead in = new ReadAhead(failing, "test")) {
      IOException e = assertThrows(IOException.class, in::readAllBytes);
      assertEquals("corrupt gzip", e.getMessage());
    }
  }
}
