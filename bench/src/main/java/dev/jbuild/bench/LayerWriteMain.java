package dev.jbuild.bench;

import dev.jbuild.layer.Compression;
import dev.jbuild.layer.LayerBlob;
import dev.jbuild.layer.LayerWriter;
import java.io.BufferedOutputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

/**
 * One layer write from the command line, for {@code bench/layer-throughput.sh}:
 * {@code LayerWriteMain DIR gzip|zstd|none OUT|-}; prints the blob and the in-process time.
 */
public final class LayerWriteMain {
  private LayerWriteMain() {}

  public static void main(String[] args) throws Exception {
    if (args.length != 3) {
      System.err.println("usage: LayerWriteMain DIR gzip|zstd|none OUT|-");
      System.exit(2);
    }
    Compression c = Compression.valueOf(args[1].toUpperCase(Locale.ROOT));
    LayerWriter w = new LayerWriter(LayerWriter.Options.of(c));
    long t0 = System.nanoTime();
    LayerBlob blob;
    if (args[2].equals("-")) {
      blob = w.writeDirectory(Path.of(args[0]), false, OutputStream.nullOutputStream());
    } else {
      try (OutputStream out = new BufferedOutputStream(Files.newOutputStream(Path.of(args[2])), 1 << 20)) {
        blob = w.writeDirectory(Path.of(args[0]), false, out);
      }
    }
    long ms = (System.nanoTime() - t0) / 1_000_000;
    System.out.println(blob.digest() + " diffId=" + blob.diffId() + " size=" + blob.size()
        + " inprocess_ms=" + ms);
  }
}
