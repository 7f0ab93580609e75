package dev.jbuild.build;

import dev.jbuild.cache.BuildCache;
import dev.jbuild.cache.CacheKey;
import dev.jbuild.oci.ContainerConfig;
import dev.jbuild.oci.Descriptor;
import dev.jbuild.oci.HistoryEntry;
import dev.jbuild.oci.ImageConfig;
import dev.jbuild.oci.ImageManifest;
import dev.jbuild.oci.MediaTypes;
import dev.jbuild.oci.Platform;
import dev.jbuild.oci.RawJson;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Turns the target stage into an image in the store: the config finalised as BuildKit's
 * exporter does ({@code --label} merged, {@code created}, the platform), an OCI manifest over
 * the stage's layers. An image whose every input is unchanged reuses the manifest built last
 * time (the build cache's image entries), so a no-change rebuild gives the same image ID, as
 * with docker.
 */
final class FinalImage {

  /**
   * The stored image.
   *
   * @param manifest the manifest descriptor (in the store)
   * @param config the config descriptor (the image ID is its digest)
   * @param reused whether the manifest came from the cache
   */
  record Stored(Descriptor manifest, Descriptor config, boolean reused) {}

  private FinalImage() {}

  static Stored store(BuildRun run, StageResult target) {
    ImageConfig config = finalConfig(run, target);
    List<Descriptor> layers = new ArrayList<>();
    for (Descriptor d : target.layers()) {
      layers.add(Descriptor.of(ociLayerType(d.mediaType()), d.digest(), d.size()));
    }
    CacheKey key = imageKey(run, config, layers);
    BuildCache cache = run.cache();
    if (!run.request().noCache()) {
      Optional<Descriptor> hit = cache.image(key);
      if (hit.isPresent()) {
        try {
          ImageManifest m = run.store().blobs().readManifest(hit.get().digest()).value();
          if (run.store().blobs().has(m.config().digest())) {
            return new Stored(hit.get(), m.config(), true);
          }
        } catch (RuntimeException e) {
          // a damaged entry: build the manifest again
        }
      }
    }
    RawJson<ImageConfig> configJson = RawJson.of(config);
    byte[] configBytes = configJson.bytes();
    Descriptor configDescriptor =
        Descriptor.of(
            config.effectiveMediaType(), dev.jbuild.oci.Digest.of(configBytes), configBytes.length);
    // the config goes into the store on the build's background writer while this thread stores
    // the manifest, so that their fsyncs overlap; both are awaited before the image is named,
    // and the image's cache entry is written after the config (same writer, in order)
    run.storeInBackground(configBytes);
    RawJson<ImageManifest> manifest =
        RawJson.of(ImageManifest.oci(Descriptor.of(MediaTypes.OCI_CONFIG, configDescriptor.digest(), configDescriptor.size()), layers));
    Descriptor manifestDescriptor = run.store().blobs().put(manifest);
    run.recordImageInCache(key, manifestDescriptor);
    return new Stored(manifestDescriptor, configDescriptor, false);
  }

  /** The key of an image: its config with every time left out, its layers, the epoch. */
  private static CacheKey imageKey(BuildRun run, ImageConfig config, List<Descriptor> layers) {
    List<HistoryEntry> timeless = new ArrayList<>();
    for (HistoryEntry h : config.history()) {
      timeless.add(
          new HistoryEntry(null, h.createdBy(), h.author(), h.comment(), h.emptyLayer(), h.unknown()));
    }
    byte[] json = config.withCreated(null).withHistory(timeless).toJson();
    CacheKey.Builder b =
        CacheKey.builder("IMAGE")
            .field("config", new String(json, java.nio.charset.StandardCharsets.UTF_8))
            .field("epoch", run.epoch().map(Instant::toString).orElse("-"));
    for (Descriptor d : layers) {
      b.field("layer", d.mediaType() + " " + d.digest());
    }
    return b.build();
  }

  /**
   * BuildKit's {@code finalizeResultImage} and exporter: {@code --label} values merged over
   * the image's labels, {@code created} set, os/architecture/variant of the platform built
   * for. Members of the base config that BuildKit's image model does not know (Docker's
   * {@code container_config}, {@code Hostname} …) are dropped, as BuildKit drops them.
   */
  static ImageConfig finalConfig(BuildRun run, StageResult target) {
    ImageConfig c = target.config();
    ContainerConfig cc = c.config();
    Map<String, String> labels = new LinkedHashMap<>(cc.labels());
    labels.putAll(run.request().labels());
    ContainerConfig clean =
        new ContainerConfig(
            cc.user(),
            cc.exposedPorts(),
            cc.env(),
            cc.entrypoint(),
            cc.cmd(),
            cc.volumes(),
            cc.workingDir(),
            labels,
            cc.stopSignal(),
            cc.argsEscaped(),
            cc.healthcheck(),
            cc.onBuild(),
            cc.shell(),
            null);
    Platform p = target.platform();
    return new ImageConfig(
        run.created(),
        c.author(),
        p.architecture(),
        p.os(),
        p.osVersion(),
        p.osFeatures(),
        p.variant(),
        clean,
        c.rootfs(),
        c.history(),
        null);
  }

  /** The OCI media type of a layer, whatever a (Docker) base image called it. */
  static String ociLayerType(String mediaType) {
    switch (mediaType) {
      case MediaTypes.DOCKER_LAYER_GZIP:
        return MediaTypes.OCI_LAYER_GZIP;
      case MediaTypes.DOCKER_LAYER_ZSTD:
        return MediaTypes.OCI_LAYER_ZSTD;
      case MediaTypes.DOCKER_FOREIGN_LAYER_GZIP:
        return "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip";
      default:
        return mediaType;
    }
  }
}
