package dev.jbuild.layer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Failures on either side of the compression thread surface once, and leave no thread or file. */
class CompressionPipeTest {
  @TempDir Path tmp;

  private static long compressThreads() {
    return Thread.getAllStackTraces().keySet().stream()
        .filter(t -> t.getName().equals("jbuild-layer-compress") && t.isAlive()).count();
  }

  @Test
  void aFailingSourceStopsTheWorkerAndLeavesNoFile() throws Exception {
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
    LayerWriter w = new LayerWriter(LayerWriter.Options.of(Compression.GZIP));
    Path target = tmp.resolve("layer.tar.gz");
    assertThatThrownBy(() -> w.writeTo(target, LayerWriter.Source.of(
        List.of(LayerEntry.file("big", 0644, 10_000_000, failing))))).hasMessageContaining("disk on fire");
    assertThat(compressThreads()).isEqualTo(before);
    try (var files = Files.list(tmp)) {
      assertThat(files).isEmpty();
    }
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
