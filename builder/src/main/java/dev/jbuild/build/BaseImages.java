package dev.jbuild.build;

import dev.jbuild.build.registry.ImageReference;
import dev.jbuild.build.registry.PullImage;
import dev.jbuild.build.registry.Registries;
import dev.jbuild.cache.CacheException;
import dev.jbuild.cache.ImageStore;
import dev.jbuild.cache.TaggedImage;
import dev.jbuild.dockerfile.SourceSpan;
import dev.jbuild.oci.Descriptor;
import dev.jbuild.oci.ImageConfig;
import dev.jbuild.oci.ImageIndex;
import dev.jbuild.oci.ImageManifest;
import dev.jbuild.oci.MediaTypes;
import dev.jbuild.oci.OciDocument;
import dev.jbuild.oci.Platform;
import dev.jbuild.oci.RawJson;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;

/**
 * Resolves base images to manifests in the local store, each reference and platform once per
 * build however many stages use it. {@code --pull=missing} uses a tag the store has (for the
 * right platform) and pulls otherwise; {@code always} pulls (blobs the store has are not
 * fetched again); {@code never} only looks in the store.
 */
final class BaseImages {

  /**
   * A base image ready to build on.
   *
   * @param ref the reference as the Dockerfile named it
   * @param manifestDescriptor the manifest in the store
   * @param manifest its content
   * @param config its config
   */
  record Resolved(
      ImageReference ref, Descriptor manifestDescriptor, ImageManifest manifest,
      ImageConfig config) {}

  private final ImageStore store;
  private final Supplier<Registries> registries;
  private final PullPolicy policy;
  private final dev.jbuild.build.event.BuildListener listener;
  private final Map<String, CompletableFuture<Resolved>> resolved = new ConcurrentHashMap<>();

  BaseImages(
      ImageStore store,
      Supplier<Registries> registries,
      PullPolicy policy,
      dev.jbuild.build.event.BuildListener listener) {
    this.store = store;
    this.registries = registries;
    this.policy = policy;
    this.listener = listener;
  }

  /**
   * The manifest of {@code ref} for {@code platform}; failures name the instruction.
   *
   * @throws BuildStepException when the image cannot be found or pulled
   */
  Resolved resolve(ImageReference ref, Platform platform, SourceSpan span) {
    return resolve(ref, platform, span, () -> {});
  }

  /**
   * {@link #resolve(ImageReference, Platform, SourceSpan)}, running {@code beforePull} first
   * when this call pulls the image because the store has none for the platform (a cold build),
   * so that the caller can start other work beside the pull.
   */
  Resolved resolve(ImageReference ref, Platform platform, SourceSpan span, Runnable beforePull) {
    String key = ref + " " + platform;
    CompletableFuture<Resolved> mine = new CompletableFuture<>();
    CompletableFuture<Resolved> existing = resolved.putIfAbsent(key, mine);
    if (existing == null) {
      try {
        mine.complete(doResolve(ref, platform, beforePull));
      } catch (RuntimeException e) {
        mine.completeExceptionally(e);
      }
      existing = mine;
    }
    try {
      return existing.join();
    } catch (CompletionException e) {
      Throwable cause = e.getCause();
      String what = cause.getMessage() == null ? cause.toString() : cause.getMessage();
      throw new BuildStepException(
          span, "cannot use base image " + ref.familiar() + ": " + what, cause);
    }
  }

  private Resolved doResolve(ImageReference ref, Platform platform, Runnable beforePull) {
    if (policy != PullPolicy.ALWAYS) {
      Optional<Resolved> local = local(ref, platform);
      if (local.isPresent()) {
        return local.get();
      }
      if (policy == PullPolicy.NEVER) {
        throw new JbuildException(
            "it is not in the local store (for " + platform + ") and --pull=never forbids"
                + " pulling it; pull it first (jbuild pull " + ref.familiar() + ") or build"
                + " with --pull=missing");
      }
    }
    // --pull=always with the image in the store: a rebuild, whose RUN steps may all be cached
    if (policy != PullPolicy.ALWAYS || local(ref, platform).isEmpty()) {
      beforePull.run();
    }
    PullImage.PulledImage pulled =
        new PullImage(registries.get(), store, listener).pull(ref, platform);
    return load(ref, pulled.manifest(), platform)
        .orElseThrow(
            () ->
                new JbuildException(
                    "the pulled image is not for " + platform + " (check --platform)"));
  }

  /** The store's image for the reference, if it has one for the platform. */
  private Optional<Resolved> local(ImageReference ref, Platform platform) {
    Descriptor target = null;
    if (ref.digest() != null) {
      if (store.blobs().has(ref.digest())) {
        target = Descriptor.of(MediaTypes.OCI_MANIFEST, ref.digest(), store.blobs().size(ref.digest()));
      }
    } else {
      String name = ref.toString();
      for (TaggedImage t : store.list()) {
        if (t.name().equals(name)) {
          target = t.target();
        }
      }
    }
    if (target == null) {
      return Optional.empty();
    }
    return load(ref, target, platform);
  }

  private Optional<Resolved> load(ImageReference ref, Descriptor target, Platform platform) {
    try {
      RawJson<? extends OciDocument> doc =
          store.blobs().readManifestOrIndex(target.digest(), null);
      Descriptor manifestDescriptor = target;
      if (doc.value() instanceof ImageIndex) {
        Optional<Descriptor> pick = ((ImageIndex) doc.value()).select(platform);
        if (pick.isEmpty() || !store.blobs().has(pick.get().digest())) {
          return Optional.empty();
        }
        manifestDescriptor = pick.get();
        doc = store.blobs().readManifestOrIndex(manifestDescriptor.digest(), null);
        if (!(doc.value() instanceof ImageManifest)) {
          return Optional.empty();
        }
      }
      ImageManifest manifest = (ImageManifest) doc.value();
      manifestDescriptor =
          Descriptor.of(manifest.effectiveMediaType(), doc.digest(), doc.size());
      if (!store.blobs().has(manifest.config().digest())) {
        return Optional.empty();
      }
      for (Descriptor layer : manifest.layers()) {
        if (!store.blobs().has(layer.digest())) {
          return Optional.empty();
        }
      }
      ImageConfig config = store.blobs().readConfig(manifest.config().digest()).value();
      Platform declared = config.platform();
      if (declared != null && !platform.matches(declared)) {
        return Optional.empty();
      }
      return Optional.of(new Resolved(ref, manifestDescriptor, manifest, config));
    } catch (CacheException e) {
      return Optional.empty();
    }
  }
}
