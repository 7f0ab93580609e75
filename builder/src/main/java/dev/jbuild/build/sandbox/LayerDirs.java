package dev.jbuild.build.sandbox;

import dev.jbuild.layer.ApplyResult;
import dev.jbuild.layer.Compression;
import dev.jbuild.layer.LayerApplier;
import dev.jbuild.layer.LayerHeaders;
import dev.jbuild.layer.Whiteouts;
import dev.jbuild.oci.Digest;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.FileTime;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CompletionException;

/**
 * Extracted layers under {@code <jbuild root>/layers/<diffID hex>/}, in overlay lower-dir form
 * (whiteouts as 0/0 character devices, opaque directories marked {@code user.overlay.opaque}),
 * each extracted once: into a temporary directory beside it, then renamed, so a concurrent
 * build on the same root either finds the whole directory or extracts its own and drops it.
 * Each use writes {@code <diffID hex>.used} (the blob's path, mtime the last use), so that
 * {@code jbuild prune} keeps layers whose blob is still stored or that a build used recently. Lives in the worker: the files are owned by ids of its user namespace.
 */
final class LayerDirs {
  private final Path dir;
  private final long mappedIds;
  private final Map<String, CompletableFuture<Path>> extracting = new ConcurrentHashMap<>();

  /**
   * @param dir the {@code layers} directory
   * @param mappedIds how many ids the worker's user namespace maps (1: only root, so a layer
   *     owned by other ids cannot be extracted faithfully); 0 when not in a user namespace
   */
  LayerDirs(Path dir, long mappedIds) {
    this.dir = dir;
    this.mappedIds = mappedIds;
  }

  Path root() {
    return dir;
  }

  /**
   * The lower dir of a layer, extracted from its blob first if needed; waits for an extraction
   * or a {@link #reserve reserved} adoption of it that is under way.
   */
  Path extracted(WorkerProtocol.LayerRef layer) throws IOException {
    Digest diffId = Digest.parse(layer.diffId());
    Path target = dir.resolve(diffId.hex());
    CompletableFuture<Path> mine = new CompletableFuture<>();
    CompletableFuture<Path> running;
    while ((running = extracting.putIfAbsent(diffId.hex(), mine)) != null) {
      Path done;
      try {
        done = running.join();
      } catch (CompletionException e) {
        if (e.getCause() instanceof IOException) {
          throw new IOException(e.getCause().getMessage(), e.getCause());
        }
        throw e;
      }
      if (done != null) {
        return done;
      }
      // an adoption that gave up (its entry is gone): the layer is ours to extract
    }
    try {
      Path p = extract(Path.of(layer.blob()), diffId, target);
      mine.complete(p);
      return p;
    } catch (IOException | RuntimeException e) {
      mine.completeExceptionally(e);
      extracting.remove(diffId.hex(), mine);
      throw e;
    }
  }

  /**
   * Reserves the lower dir of layer {@code diffId} for an {@link #adopt} that comes a little
   * later (after the step's answer went out): until it ends, {@link #extracted} waits for it
   * instead of extracting the blob. Null when the layer is extracted, or being extracted,
   * here already: then there is nothing to reserve.
   */
  CompletableFuture<Path> reserve(Digest diffId) {
    CompletableFuture<Path> mine = new CompletableFuture<>();
    return extracting.putIfAbsent(diffId.hex(), mine) == null ? mine : null;
  }

  /**
   * Publishes a step's unmounted overlay upper dir, from which the layer {@code diffId} was just
   * written, as that layer's lower dir (after {@link UpperAsLower}), by the same rename as an
   * extraction. A layer already there (another build or stage made the same one) wins: {@code
   * upper} is left for its run directory's deletion.
   *
   * @param blob where the build stores the layer's blob (for {@code jbuild prune})
   * @param epochSeconds the layer's {@code SOURCE_DATE_EPOCH}, or {@code Long.MIN_VALUE}
   * @param converted whether {@code upper} is in lower-dir form already ({@link FrozenUpper})
   * @param reserved the layer's {@link #reserve reservation}, or null: ended here either way
   * @return whether {@code upper} became the layer's directory
   */
  boolean adopt(Path upper, Digest diffId, Path blob, long epochSeconds, boolean converted,
      CompletableFuture<Path> reserved) throws IOException {
    Path target = dir.resolve(diffId.hex());
    boolean moved = false;
    try {
      moved = adopt(upper, diffId, blob, epochSeconds, converted, target);
    } finally {
      if (reserved != null) {
        if (moved || Files.isDirectory(target)) {
          reserved.complete(target);
        } else { // the layer stays to extraction, by whichever step needs it first
          extracting.remove(diffId.hex(), reserved);
          reserved.complete(null);
        }
      } else if (moved) {
        extracting.putIfAbsent(diffId.hex(), CompletableFuture.completedFuture(target));
      }
    }
    return moved;
  }

  private boolean adopt(Path upper, Digest diffId, Path blob, long epochSeconds,
      boolean converted, Path target) throws IOException {
    if (Files.isDirectory(target)) {
      touch(diffId, blob);
      return false;
    }
    if (!converted) {
      UpperAsLower.convert(upper, epochSeconds);
    }
    touch(diffId, blob); // before the rename: prune never sees the directory without its marker
    boolean moved;
    try {
      moved = Kernel.renameNoReplace(upper, target);
    } catch (Kernel.KernelException e) {
      if (e.errno() != Kernel.ENOSYS && e.errno() != Kernel.EINVAL) {
        throw e;
      }
      try { // no RENAME_NOREPLACE here: a plain rename, which fails over a non-empty directory
        Files.move(upper, target, StandardCopyOption.ATOMIC_MOVE);
        moved = true;
      } catch (java.nio.file.FileSystemException again) {
        if (!Files.isDirectory(target)) {
          throw again;
        }
        moved = false;
      }
    }
    return moved;
  }

  private Path extract(Path blob, Digest diffId, Path target) throws IOException {
    if (Files.isDirectory(target)) {
      touch(diffId, blob);
      return target;
    }
    Files.createDirectories(dir);
    Path tmp = dir.resolve(".tmp-" + diffId.hex().substring(0, 16) + "-" + UUID.randomUUID());
    Files.createDirectory(tmp);
    try {
      LayerApplier applier =
          new LayerApplier(
              LayerApplier.Options.overlayLower().withOpaqueXattr(Whiteouts.USER_OVERLAY_OPAQUE));
      // the whole blob is read here anyway: its header index comes with it when missing
      Path index = headersOf(blob);
      LayerHeaders.Recorder headers =
          index != null && !Files.exists(index) ? new LayerHeaders.Recorder() : null;
      ApplyResult r;
      // inflating on a thread of its own while this one writes the files: a 51 MB base layer
      // of 6,600 entries took 1.5 s of one core's time (issue 5)
      try (InputStream in = new ReadAhead(
          Compression.decompressed(Files.newInputStream(blob)), "extract-" + diffId.hex())) {
        r = applier.apply(in, tmp, headers);
      }
      if (!r.diffId().equals(diffId)) {
        throw new IOException(
            "layer " + blob + " has diffID " + r.diffId() + ", but the image says " + diffId
                + ": the blob store is corrupt; remove the blob and pull again");
      }
      if (headers != null) {
        try {
          headers.writeIndex(index);
        } catch (IOException e) {
          // the build reads the blob for it then
        }
      }
      if (r.ownershipSkipped() > 0) {
        throw new IOException(
            "layer " + diffId + " has " + r.ownershipSkipped() + " files owned by users or"
                + " groups that this user namespace does not map ("
                + (mappedIds <= 1
                    ? "only root is mapped: add a range for your user to /etc/subuid and"
                        + " /etc/subgid, e.g. 'sudo usermod --add-subuids 100000-165535"
                        + " --add-subgids 100000-165535 " + WorkerLaunch.hostUser()
                        + "'"
                    : mappedIds + " ids are mapped: give your user a larger range in"
                        + " /etc/subuid and /etc/subgid")
                + ")");
      }
      try {
        Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE);
      } catch (java.nio.file.FileSystemException e) {
        if (!Files.isDirectory(target)) {
          throw e;
        }
        Trees.delete(tmp); // another build extracted it first
      }
    } catch (IOException | RuntimeException e) {
      Trees.deleteQuietly(tmp);
      throw e;
    }
    touch(diffId, blob);
    return target;
  }

  /**
   * Where the build keeps the header index of the blob at {@code blob}: the blob store's
   * {@code headersPath}, {@code layer-headers/<alg>/<hex>} beside {@code blobs/<alg>/<hex>}
   * (the worker has no store object); null for a blob elsewhere.
   */
  static Path headersOf(Path blob) {
    Path alg = blob.toAbsolutePath().getParent();
    Path blobs = alg == null ? null : alg.getParent();
    if (blobs == null || blobs.getFileName() == null
        || !blobs.getFileName().toString().equals("blobs")) {
      return null;
    }
    return blobs.resolveSibling("layer-headers").resolve(alg.getFileName().toString())
        .resolve(blob.getFileName().toString());
  }

  /**
   * Marks a layer as used now, by the blob at {@code blob}: prune keeps a layer while its blob
   * is in the store (an image or a cache entry refers to it) or it was used recently.
   */
  private void touch(Digest diffId, Path blob) throws IOException {
    Path used = dir.resolve(diffId.hex() + ".used");
    String text = blob.toAbsolutePath().toString();
    try {
      if (Files.readString(used).equals(text)) {
        Files.setLastModifiedTime(used, FileTime.fromMillis(System.currentTimeMillis()));
        return;
      }
    } catch (java.nio.file.NoSuchFileException | java.nio.charset.MalformedInputException e) {
      // first use (or a torn write): write it
    }
    Path tmp = dir.resolve(".tmp-" + diffId.hex().substring(0, 16) + "-" + UUID.randomUUID() + ".used");
    Files.writeString(tmp, text);
    Files.move(tmp, used, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
  }

  /** The blob a layer was last used by, from its {@code .used} marker, or null. */
  static Path blobOf(Path usedMarker) {
    try {
      return Path.of(Files.readString(usedMarker).trim());
    } catch (IOException | RuntimeException e) {
      return null;
    }
  }
}
