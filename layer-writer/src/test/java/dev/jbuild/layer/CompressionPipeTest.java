package dev.jbuild.layer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** Failures on either side of the compression thread surface once, and leave no thread or file. */
class CompressionPipeTest {
  @TempDir Path tmp;

  private static long compressThreads() {
    return Thread.getAllStackTraces().keySet().stream()
        .filter(t -> t.getName().equals("jbuild-layer-compress") && t.isAlive()).count();
  }

  @ParameterizedTest
  @EnumSource(value = Compression.class, names = {"GZIP", "ZSTD"})
  void aFailingSourceStopsTheWorkerAndLeavesNoFile(Compression c) throws Exception {
    Content failing = () -> new InputStream() {
      int n;

      @Override
      public int read() throws IOException {
        if (++n > 3_000_000) {
          throw new IOException("disk on fire");
        }
        return 'x';
      }

      @Override
      public int read(byte[] b, int off, int len) throws IOException {
        for (int i = 0; i < len; i++) {
          b[off + i] = (byte) read();
        }
        return len;
      }
    };
    long before = compressThreads();
    LayerWriter w = new LayerWriter(LayerWriter.Options.of(c));
    Path target = tmp.resolve("layer.tar");
    assertThatThrownBy(() -> w.writeTo(target, LayerWriter.Source.of(
        List.of(LayerEntry.file("big", 0644, 10_000_000, failing))))).hasMessageContaining("disk on fire");
    assertThat(compressThreads()).isEqualTo(before);
    try (var files = Files.list(tmp)) {
      assertThat(files).isEmpty();
    }
  }

  /** Native threads started by a thread of this name (Linux names a new thread after its parent). */
  private static long nativeThreadsNamed(String name) throws IOException {
    try (var tasks = Files.list(Path.of("/proc/self/task"))) {
      return tasks.filter(t -> {
        try {
          return Files.readString(t.resolve("comm")).strip().equals(name);
        } catch (IOException gone) {
          return false;
        }
      }).count();
    }
  }

  /** {@code length} random bytes (incompressible: zstd's jobs take a while), then EOF or a failure. */
  private static InputStream noise(long length, boolean fail) {
    return new InputStream() {
      final java.util.Random random = new java.util.Random(length);
      long left = length;

      @Override
      public int read() throws IOException {
        byte[] b = new byte[1];
        return read(b, 0, 1) < 0 ? -1 : b[0] & 0xff;
      }

      @Override
      public int read(byte[] b, int off, int len) throws IOException {
        if (left == 0) {
          if (fail) {
            throw new IOException("disk on fire");
          }
          return -1;
        }
        int n = (int) Math.min(len, left);
        byte[] chunk = new byte[n];
        random.nextBytes(chunk);
        System.arraycopy(chunk, 0, b, off, n);
        left -= n;
        return n;
      }
    };
  }

  /** zstd's workers are native threads: a layer that fails must still free its zstd context. */
  @Test
  void aFailingSourceLeavesNoZstdWorkerBehind() throws Exception {
    assumeTrue(Files.isDirectory(Path.of("/proc/self/task")), "Linux /proc");
    String name = "zstd-leak-probe";
    java.util.concurrent.atomic.AtomicReference<Throwable> thrown = new java.util.concurrent.atomic.AtomicReference<>();
    long[] workersWhileWriting = new long[1];
    Thread t = new Thread(() -> {
      try {
        new LayerWriter(LayerWriter.Options.of(Compression.ZSTD)).write(List.of(
            LayerEntry.file("a", 0644, 10_000_000, () -> noise(10_000_000, false)),
            LayerEntry.file("b", 0644, 30_000_000, () -> {
              workersWhileWriting[0] = nativeThreadsNamed(name) - 1; // this thread itself
              return noise(20_000_000, true);
            })), OutputStream.nullOutputStream());
      } catch (Throwable e) {
        thrown.set(e);
      }
    }, name);
    t.start();
    t.join();
    assertThat(thrown.get()).hasMessageContaining("disk on fire");
    assertThat(workersWhileWriting[0]).as("zstd workers seen while writing").isPositive();
    // join() returns once the Java thread is done, a moment before its native task is gone
    // from /proc (seen once in a loaded run); a leaked zstd worker stays for good
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
    while (nativeThreadsNamed(name) > 0 && System.nanoTime() < deadline) {
      Thread.sleep(10);
    }
    assertThat(nativeThreadsNamed(name)).isZero();
  }

  @Test
  void aFailingSinkIsReported() {
    OutputStream broken = new OutputStream() {
      long n;

      @Override
      public void write(int b) throws IOException {
        write(new byte[] {(byte) b}, 0, 1);
      }

      @Override
      public void write(byte[] b, int off, int len) throws IOException {
        n += len;
        if (n > 100_000) {
          throw new IOException("no space left on device");
        }
      }
    };
    long before = compressThreads();
    LayerWriter w = new LayerWriter(LayerWriter.Options.of(Compression.ZSTD).withLevel(1));
    java.util.Random rnd = new java.util.Random(1);
    byte[] noise = new byte[8_000_000];
    rnd.nextBytes(noise);
    assertThatThrownBy(() -> w.write(List.of(LayerEntry.file("noise", 0644, noise)), broken))
        .hasMessageContaining("no space left on device");
    assertThat(compressThreads()).isEqualTo(before);
  }
}
