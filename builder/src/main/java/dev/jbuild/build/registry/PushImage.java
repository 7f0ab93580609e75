package dev.jbuild.build.registry;

import dev.jbuild.build.event.BuildEvent;
import dev.jbuild.build.event.BuildListener;
import dev.jbuild.cache.BlobStore;
import dev.jbuild.cache.ImageStore;
import dev.jbuild.oci.Descriptor;
import dev.jbuild.oci.Digest;
import dev.jbuild.oci.ImageIndex;
import dev.jbuild.oci.ImageManifest;
import dev.jbuild.oci.MediaTypes;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Pushes an image from the local store: every blob the registry lacks (asked with HEAD first;
 * mounted from another repository of the same registry when the store knows one that has it;
 * uploaded otherwise, in parallel), then each manifest by digest, then the tag. Manifests go
 * only after all their blobs, so a failed push never leaves a tag on a partial image. The
 * manifest bytes are the stored bytes: the remote digest equals the local one.
 */
public final class PushImage {

  private final Registries registries;
  private final ImageStore store;
  private final BlobSources sources;
  private final BuildListener listener;

  public PushImage(Registries registries, ImageStore store, BuildListener listener) {
    this.registries = registries;
    this.store = store;
    this.sources = new BlobSources(store.blobs().root());
    this.listener = listener;
  }

  /**
   * What a push did.
   *
   * @param reference where the image went
   * @param digest the digest of the pushed manifest or index
   * @param uploaded blobs uploaded
   * @param existing blobs the repository had already
   * @param mounted blobs mounted from another repository
   */
  public record PushedImage(
      ImageReference reference, Digest digest, int uploaded, int existing, int mounted) {}

  /**
   * Pushes the local image {@code source} (a name, digest or ID prefix) to {@code destination}.
   */
  public PushedImage push(String source, ImageReference destination) {
    Descriptor root =
        store
            .resolve(source)
            .orElseThrow(
                () ->
                    new RegistryException(
                        destination.registry(),
                        destination.repository(),
                        0,
                        "no image \"" + source + "\" in the local store: build, pull or tag it"
                            + " first (jbuild images lists what is there)"));
    return push(root, source, destination);
  }

  /** Pushes a manifest or index that is in the store. */
  public PushedImage push(Descriptor root, String sourceName, ImageReference destination) {
    BlobStore blobs = store.blobs();
    Counts counts = new Counts();
    try (Registry registry = registries.openForPush(destination)) {
      if (MediaTypes.isIndex(root.mediaType())) {
        ImageIndex index = blobs.readIndex(root.digest()).value();
        for (Descriptor child : index.manifests()) {
          if (!MediaTypes.isManifest(child.mediaType())) {
            throw new RegistryException(
                destination.registry(),
                destination.repository(),
                0,
                sourceName + ": index entry " + child.digest() + " is " + child.mediaType()
                    + "; only indexes of image manifests can be pushed");
          }
          requireLocal(child.digest(), sourceName, destination);
          pushBlobsOf(registry, child, sourceName, destination, counts);
          // a child must be in the repository before the index that names it
          registry.pushManifest(
              blobs.read(child.digest()), child.mediaType(), child.digest().toString());
        }
      } else {
        pushBlobsOf(registry, root, sourceName, destination, counts);
      }
      byte[] bytes = blobs.read(root.digest());
      Digest digest = root.digest();
      registry.pushManifest(bytes, root.mediaType(), digest.toString());
      if (destination.tag() != null) {
        registry.pushManifest(bytes, root.mediaType(), destination.tag());
      } else if (!destination.digest().equals(digest)) {
        throw new RegistryException(
            destination.registry(),
            destination.repository(),
            0,
            "cannot push " + sourceName + " as " + destination + ": its digest is " + digest
                + "; push to a tag instead");
      }
      listener.onEvent(new BuildEvent.ManifestPushed(destination.toString(), digest));
      return new PushedImage(
          destination, digest, counts.uploaded.get(), counts.existing.get(), counts.mounted.get());
    }
  }

  private static final class Counts {
    final AtomicInteger uploaded = new AtomicInteger();
    final AtomicInteger existing = new AtomicInteger();
    final AtomicInteger mounted = new AtomicInteger();
  }

  /** The config and layers of one manifest (not the manifest itself). */
  private void pushBlobsOf(
      Registry registry,
      Descriptor manifestDescriptor,
      String sourceName,
      ImageReference destination,
      Counts counts) {
    BlobStore blobs = store.blobs();
    ImageManifest manifest = blobs.readManifest(manifestDescriptor.digest()).value();
    Map<Digest, Descriptor> unique = new LinkedHashMap<>();
    unique.putIfAbsent(manifest.config().digest(), manifest.config());
    for (Descriptor layer : manifest.layers()) {
      unique.putIfAbsent(layer.digest(), layer);
    }
    for (Digest d : unique.keySet()) {
      requireLocal(d, sourceName, destination);
    }
    int threads = Math.min(registries.options().parallelism(), Math.max(1, unique.size()));
    ExecutorService pool = Executors.newFixedThreadPool(threads, PullImage.daemon("jbuild-push"));
    try {
      List<Future<?>> futures = new ArrayList<>();
      for (Descriptor d : unique.values()) {
        futures.add(pool.submit(() -> pushBlob(registry, d, destination, counts)));
      }
      PullImage.awaitAll(futures);
    } finally {
      pool.shutdownNow();
    }
  }

  private void pushBlob(
      Registry registry, Descriptor d, ImageReference destination, Counts counts) {
    Digest digest = d.digest();
    String image = destination.toString();
    long size = store.blobs().size(digest);
    if (registry.checkBlob(digest).isPresent()) {
      counts.existing.incrementAndGet();
      listener.onEvent(
          new BuildEvent.BlobSkipped(
              BuildEvent.Direction.PUSH, image, digest, size, BuildEvent.SkipReason.EXISTS));
      sources.add(digest, destination.registry(), destination.repository());
      return;
    }
    Optional<String> mountFrom =
        sources.mountSource(digest, destination.registry(), destination.repository());
    Progress progress = new Progress(BuildEvent.Direction.PUSH, image, digest, size, listener);
    boolean mounted =
        registry.pushBlob(digest, store.blobs().path(digest), mountFrom, progress::update);
    if (mounted) {
      counts.mounted.incrementAndGet();
      listener.onEvent(
          new BuildEvent.BlobSkipped(
              BuildEvent.Direction.PUSH, image, digest, size, BuildEvent.SkipReason.MOUNTED));
    } else {
      counts.uploaded.incrementAndGet();
      progress.finish();
    }
    sources.add(digest, destination.registry(), destination.repository());
  }

  private void requireLocal(Digest digest, String sourceName, ImageReference destination) {
    if (!store.blobs().has(digest)) {
      throw new RegistryException(
          destination.registry(),
          destination.repository(),
          0,
          "cannot push " + sourceName + ": blob " + digest + " is not in the local store ("
              + store.blobs().path(digest) + "); pull or build the image again");
    }
  }
}
