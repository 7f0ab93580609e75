package dev.jbuild.build.registry;

import dev.jbuild.build.event.BuildEvent;
import dev.jbuild.build.event.BuildListener;
import dev.jbuild.cache.CacheException;
import dev.jbuild.cache.ImageStore;
import dev.jbuild.cache.StoredBlob;
import dev.jbuild.oci.Descriptor;
import dev.jbuild.oci.Digest;
import dev.jbuild.oci.ImageIndex;
import dev.jbuild.oci.ImageManifest;
import dev.jbuild.oci.InvalidDocumentException;
import dev.jbuild.oci.MediaTypes;
import dev.jbuild.oci.Platform;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * Pulls an image into the local store: the reference's manifest (from an index or manifest
 * list, the one for the requested platform), its config and layers (in parallel, bounded,
 * skipped when the store has them, digests verified), then the manifest, then the tag. A
 * failure leaves no tag, and the blobs already stored are just unreferenced until GC.
 */
public final class PullImage {

  private final Registries registries;
  private final ImageStore store;
  private final BlobSources sources;
  private final BuildListener listener;

  public PullImage(Registries registries, ImageStore store, BuildListener listener) {
    this.registries = registries;
    this.store = store;
    this.sources = new BlobSources(store.blobs().root());
    this.listener = listener;
  }

  /**
   * What a pull stored.
   *
   * @param reference the reference as asked for
   * @param name the local name it was tagged under
   * @param manifest the stored manifest's descriptor
   * @param platform the platform picked from an index, or null for a plain manifest
   */
  public record PulledImage(
      ImageReference reference, String name, Descriptor manifest, Platform platform) {}

  /** Pulls {@code ref} for {@code platform} and tags it in the local store. */
  public PulledImage pull(ImageReference ref, Platform platform) {
    try (Registry registry = registries.openMirrored(ref)) {
      Registry.RemoteManifest top = registry.pullManifest(ref.qualifier());
      Registry.RemoteManifest chosen = top;
      Platform picked = null;
      if (MediaTypes.isIndex(top.mediaType())) {
        ImageIndex index = parseIndex(ref, top);
        Descriptor entry =
            index
                .select(platform)
                .orElseThrow(
                    () ->
                        new RegistryException(
                            ref.registry(),
                            ref.repository(),
                            0,
                            ref + " has no image for platform " + platform + " (it has "
                                + index.platforms() + "); choose one with --platform"));
        picked = entry.platform();
        chosen = registry.pullManifest(entry.digest().toString());
        if (!MediaTypes.isManifest(chosen.mediaType())) {
          throw new RegistryException(
              ref.registry(),
              ref.repository(),
              0,
              ref + ": the index entry for " + platform + " is " + chosen.mediaType()
                  + ", not an image manifest; nested indexes are not supported");
        }
      } else if (!MediaTypes.isManifest(top.mediaType())) {
        throw new RegistryException(
            ref.registry(),
            ref.repository(),
            0,
            ref + " is " + top.mediaType() + ", not an image: jbuild pulls OCI and Docker v2.2"
                + " images (schema 1 manifests are not supported)");
      }
      listener.onEvent(
          new BuildEvent.ManifestResolved(
              ref.toString(), chosen.digest(), picked == null ? "" : picked.toString()));
      ImageManifest manifest = parseManifest(ref, chosen);
      List<Descriptor> blobs = new ArrayList<>();
      blobs.add(manifest.config());
      blobs.addAll(manifest.layers());
      fetchBlobs(ref, registry, blobs);
      StoredBlob stored = store.blobs().put(chosen.bytes());
      Descriptor descriptor = stored.descriptor(chosen.mediaType());
      String name = localName(ref);
      store.tag(name, descriptor);
      return new PulledImage(ref, ImageStore.normalizeName(name), descriptor, picked);
    }
  }

  /** Docker keeps the tag when there is one, else the digest that was asked for. */
  static String localName(ImageReference ref) {
    return ref.tag() != null ? ref.name() + ":" + ref.tag() : ref.name() + "@" + ref.digest();
  }

  private void fetchBlobs(ImageReference ref, Registry registry, List<Descriptor> blobs) {
    Map<Digest, Descriptor> unique = new LinkedHashMap<>();
    for (Descriptor d : blobs) {
      unique.putIfAbsent(d.digest(), d);
    }
    int threads = Math.min(registries.options().parallelism(), Math.max(1, unique.size()));
    ExecutorService pool = Executors.newFixedThreadPool(threads, daemon("jbuild-pull"));
    try {
      List<Future<?>> futures = new ArrayList<>();
      for (Descriptor d : unique.values()) {
        futures.add(pool.submit(() -> fetchBlob(ref, registry, d)));
      }
      awaitAll(futures);
    } finally {
      pool.shutdownNow();
    }
  }

  private void fetchBlob(ImageReference ref, Registry registry, Descriptor d) {
    Digest digest = d.digest();
    String image = ref.toString();
    if (store.blobs().has(digest)) {
      listener.onEvent(
          new BuildEvent.BlobSkipped(
              BuildEvent.Direction.PULL, image, digest, d.size(), BuildEvent.SkipReason.IN_STORE));
      sources.add(digest, ref.registry(), ref.repository());
      return;
    }
    Path tmp = store.blobs().root().tmp();
    Path partial;
    try {
      Files.createDirectories(tmp);
      partial = Files.createTempFile(tmp, ".pull-" + digest.hex().substring(0, 12) + "-", "");
    } catch (IOException e) {
      throw new CacheException("cannot create a file in " + tmp + ": " + e.getMessage(), tmp, e);
    }
    try {
      Progress progress = new Progress(BuildEvent.Direction.PULL, image, digest, d.size(), listener);
      registry.pullBlob(digest, partial, progress::update);
      if (d.size() >= 0 && Files.size(partial) != d.size()) {
        throw new RegistryException(
            ref.registry(),
            ref.repository(),
            0,
            "blob " + digest + " of " + ref + " is " + Files.size(partial) + " bytes, but the"
                + " manifest says " + d.size());
      }
      try (InputStream in = Files.newInputStream(partial)) {
        store.blobs().put(in, digest);
      }
      progress.finish();
      sources.add(digest, ref.registry(), ref.repository());
    } catch (IOException e) {
      throw new CacheException(
          "cannot store blob " + digest + " of " + ref + ": " + e.getMessage(), partial, e);
    } finally {
      try {
        Files.deleteIfExists(partial);
      } catch (IOException ignored) {
        // prune sweeps tmp/
      }
    }
  }

  private static ImageIndex parseIndex(ImageReference ref, Registry.RemoteManifest m) {
    try {
      return ImageIndex.parse(m.bytes());
    } catch (InvalidDocumentException e) {
      throw invalid(ref, m, e);
    }
  }

  private static ImageManifest parseManifest(ImageReference ref, Registry.RemoteManifest m) {
    try {
      return ImageManifest.parse(m.bytes());
    } catch (InvalidDocumentException e) {
      throw invalid(ref, m, e);
    }
  }

  private static RegistryException invalid(
      ImageReference ref, Registry.RemoteManifest m, InvalidDocumentException e) {
    return new RegistryException(
        ref.registry(),
        ref.repository(),
        0,
        ref + ": the registry served an invalid " + m.mediaType() + " (" + m.digest() + "): "
            + e.getMessage(),
        e);
  }

  /** Waits for every task; the first failure is rethrown as it was (already user-facing). */
  static void awaitAll(List<Future<?>> futures) {
    RuntimeException first = null;
    for (Future<?> f : futures) {
      try {
        f.get();
      } catch (ExecutionException e) {
        Throwable cause = e.getCause();
        if (first == null) {
          first =
              cause instanceof RuntimeException
                  ? (RuntimeException) cause
                  : new IllegalStateException(cause);
          futures.forEach(other -> other.cancel(true));
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        futures.forEach(other -> other.cancel(true));
        throw new RegistryException("", "", 0, "interrupted", e);
      } catch (java.util.concurrent.CancellationException e) {
        // cancelled after the first failure
      }
    }
    if (first != null) {
      throw first;
    }
  }

  static java.util.concurrent.ThreadFactory daemon(String name) {
    return r -> {
      Thread t = new Thread(r, name);
      t.setDaemon(true);
      return t;
    };
  }
}
