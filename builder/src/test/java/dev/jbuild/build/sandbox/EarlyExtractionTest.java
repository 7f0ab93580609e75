package dev.jbuild.build.sandbox;

import static org.assertj.core.api.Assertions.assertThat;

import dev.jbuild.cache.BlobStore;
import dev.jbuild.cache.JbuildRoot;
import dev.jbuild.oci.Digest;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Layers extracted ahead of the first RUN (at the stage's FROM) that no step waits for: the end
 * of the build stops the extraction and leaves no half-extracted directory, and a build killed
 * during one leaves only what prune removes.
 */
@Tag("sandbox")
class EarlyExtractionTest {

  @TempDir Path tmp;

  /** A plain-tar layer of {@code files} small files in 100 directories, stored in the root. */
  private static RunStep.Layer storeLayer(JbuildRoot root, int files) throws IOException {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (TarArchiveOutputStream tar = new TarArchiveOutputStream(bytes)) {
      tar.setLongFileMode(TarArchiveOutputStream.LONGFILE_POSIX);
      for (int d = 0; d < 100; d++) {
        TarArchiveEntry dir = new TarArchiveEntry("d" + d + "/");
        dir.setMode(040755);
        tar.putArchiveEntry(dir);
        tar.closeArchiveEntry();
        for (int f = 0; f < files / 100; f++) {
          byte[] content = ("file " + d + "/" + f + "\n").getBytes(StandardCharsets.UTF_8);
          TarArchiveEntry e = new TarArchiveEntry("d" + d + "/f" + f);
          e.setMode(0100644);
          e.setSize(content.length);
          tar.putArchiveEntry(e);
          tar.write(content);
          tar.closeArchiveEntry();
        }
      }
    }
    byte[] layer = bytes.toByteArray();
    Digest diffId = Digest.of(layer);
    BlobStore blobs = BlobStore.open(root);
    blobs.put(layer);
    return new RunStep.Layer(blobs.path(diffId), diffId); // plain: digest and diffID agree
  }

  private static List<String> layerDirEntries(JbuildRoot root) throws IOException {
    if (!Files.isDirectory(root.layers())) {
      return List.of();
    }
    try (Stream<Path> s = Files.list(root.layers())) {
      return s.map(p -> p.getFileName().toString()).sorted().toList();
    }
  }

  /** Waits until the worker has begun extracting (its temporary directory shows). */
  private static void awaitExtracting(JbuildRoot root) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (System.nanoTime() < deadline
        && layerDirEntries(root).stream().noneMatch(n -> n.startsWith(".tmp-"))) {
      Thread.sleep(5);
    }
    assertThat(layerDirEntries(root)).anyMatch(n -> n.startsWith(".tmp-"));
  }

  @Test
  void theEndOfTheBuildStopsAnExtractionNoStepWaitsForAndLeavesNoHalfLayer() throws Exception {
    JbuildRoot root = new JbuildRoot(tmp.resolve("root"));
    RunStep.Layer layer = storeLayer(root, 30_000);
    NamespaceSandbox sandbox = new NamespaceSandbox(root, e -> {});
    try {
      sandbox.prefetchIfNew(List.of(layer));
      awaitExtracting(root);
      long begin = System.nanoTime();
      sandbox.close(); // the build failed before its first RUN
      long closeMillis = (System.nanoTime() - begin) / 1_000_000;
      // neither the layer (it was not finished) nor its temporary directory is left
      assertThat(layerDirEntries(root)).isEmpty();
      assertThat(closeMillis).isLessThan(10_000);
    } finally {
      try (NamespaceSandbox cleaner = new NamespaceSandbox(root, e -> {})) {
        SandboxTest.removeLayers(root, cleaner);
      }
    }
  }

  @Test
  void aLayerAlreadyExtractedStartsNoWorker() throws Exception {
    JbuildRoot root = new JbuildRoot(tmp.resolve("root"));
    RunStep.Layer layer = storeLayer(root, 100);
    Files.createDirectories(root.layers().resolve(layer.diffId().hex()));
    try (NamespaceSandbox sandbox = new NamespaceSandbox(root, e -> {})) {
      sandbox.prefetchIfNew(List.of(layer));
      Thread.sleep(500);
      assertThat(workers(root)).isZero();
    }
  }

  @Test
  void aBuildKilledDuringAnEarlyExtractionLeavesOnlyWhatPruneRemoves() throws Exception {
    JbuildRoot root = new JbuildRoot(tmp.resolve("root"));
    RunStep.Layer layer = storeLayer(root, 30_000);
    NamespaceSandbox sandbox = new NamespaceSandbox(root, e -> {});
    sandbox.prefetchIfNew(List.of(layer));
    awaitExtracting(root);
    // the build's process dies: its worker (its only descendant here) is killed with it
    ProcessHandle.current().descendants()
        .filter(p -> SandboxKillTest.cmdline(p).contains(root.dir().toString()))
        .forEach(ProcessHandle::destroyForcibly);
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (System.nanoTime() < deadline && workers(root) > 0) {
      Thread.sleep(20);
    }
    sandbox.close();
    assertThat(layerDirEntries(root)).anyMatch(n -> n.startsWith(".tmp-"));
    try (NamespaceSandbox next = new NamespaceSandbox(root, e -> {})) {
      next.prune(List.of(), Duration.ZERO, false);
    }
    assertThat(layerDirEntries(root)).isEmpty();
  }

  private static long workers(JbuildRoot root) {
    return ProcessHandle.allProcesses()
        .filter(p -> {
          String c = SandboxKillTest.cmdline(p); // info().commandLine() can miss the arguments
          return c.contains(SandboxWorker.class.getName()) && c.contains(root.dir().toString());
        })
        .count();
  }
}

