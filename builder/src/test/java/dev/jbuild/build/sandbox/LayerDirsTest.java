package dev.jbuild.build.sandbox;

import static org.assertj.core.api.Assertions.assertThat;

import dev.jbuild.oci.Digest;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A step's upper dir adopted as its layer's lower dir after the step's answer went out, under a
 * reservation: a step that stacks the layer meanwhile waits for the adoption and extracts the
 * blob only when the adoption gave up. Part of the RUN suite that runs as root and rootless.
 */
@Tag("sandbox")
class LayerDirsTest {
  @TempDir Path tmp;

  private final ExecutorService stacking = Executors.newSingleThreadExecutor();

  @AfterEach
  void stop() {
    stacking.shutdownNow();
  }

  /** A plain layer holding {@code /f} with {@code content}, as a blob file. */
  private Path blob(String content) throws IOException {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (TarArchiveOutputStream tar = new TarArchiveOutputStream(bytes)) {
      byte[] data = content.getBytes(StandardCharsets.UTF_8);
      TarArchiveEntry e = new TarArchiveEntry("f");
      e.setMode(0100644);
      e.setSize(data.length);
      // owned by whoever runs the test, so that an unprivileged run can extract it as it is
      e.setUserId((Integer) Files.getAttribute(tmp, "unix:uid"));
      e.setGroupId((Integer) Files.getAttribute(tmp, "unix:gid"));
      tar.putArchiveEntry(e);
      tar.write(data);
      tar.closeArchiveEntry();
    }
    Path blob = tmp.resolve("blob-" + content);
    Files.write(blob, bytes.toByteArray());
    return blob;
  }

  private static WorkerProtocol.LayerRef ref(Path blob, Digest diffId) {
    return new WorkerProtocol.LayerRef(blob.toString(), diffId.toString(), 0);
  }

  @Test
  void aStepStackingAReservedLayerWaitsForItsAdoption() throws Exception {
    LayerDirs layers = new LayerDirs(Files.createDirectories(tmp.resolve("layers")), 0);
    Path blob = blob("adopted");
    Digest diffId = Digest.of(Files.readAllBytes(blob));
    Path upper = Files.createDirectories(tmp.resolve("run/u"));
    Files.writeString(upper.resolve("f"), "adopted");
    CompletableFuture<Path> reserved = layers.reserve(diffId);
    assertThat(reserved).isNotNull();
    assertThat(layers.reserve(diffId)).isNull(); // one reservation (or extraction) at a time

    Future<Path> stacked = stacking.submit(() -> layers.extracted(ref(blob, diffId)));
    try {
      stacked.get(300, TimeUnit.MILLISECONDS);
      throw new AssertionError("stacked the layer before its adoption ended");
    } catch (TimeoutException e) {
      // waiting, as it should
    }
    assertThat(layers.adopt(upper, diffId, blob, Long.MIN_VALUE, false, reserved)).isTrue();

    Path dir = stacked.get(10, TimeUnit.SECONDS);
    assertThat(dir).isEqualTo(layers.root().resolve(diffId.hex()));
    assertThat(upper).doesNotExist(); // the upper dir itself, not an extraction of the blob
    assertThat(Files.readString(dir.resolve("f"))).isEqualTo("adopted");
    assertThat(layers.root().resolve(diffId.hex() + ".used")).isRegularFile();
  }

  @Test
  void anAdoptionThatGivesUpLeavesTheLayerToExtraction() throws Exception {
    LayerDirs layers = new LayerDirs(Files.createDirectories(tmp.resolve("layers")), 0);
    Path blob = blob("extracted");
    Digest diffId = Digest.of(Files.readAllBytes(blob));
    CompletableFuture<Path> reserved = layers.reserve(diffId);
    Future<Path> stacked = stacking.submit(() -> layers.extracted(ref(blob, diffId)));

    Path gone = tmp.resolve("run/u"); // the upper dir is not there: the adoption fails
    try {
      layers.adopt(gone, diffId, blob, Long.MIN_VALUE, false, reserved);
      throw new AssertionError("adopted a missing upper dir");
    } catch (IOException expected) {
      // the step logs it and goes on
    }

    Path dir = stacked.get(10, TimeUnit.SECONDS);
    assertThat(dir).isEqualTo(layers.root().resolve(diffId.hex()));
    assertThat(Files.readString(dir.resolve("f"))).isEqualTo("extracted");
    assertThat(reserved).isCompletedWithValue(null);
    assertThat(layers.reserve(diffId)).isNull(); // extracted now: nothing left to reserve
  }
}
