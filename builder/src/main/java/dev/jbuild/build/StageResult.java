package dev.jbuild.build;

import dev.jbuild.cache.CacheKey;
import dev.jbuild.dockerfile.shell.StageScope;
import dev.jbuild.oci.Descriptor;
import dev.jbuild.oci.ImageConfig;
import dev.jbuild.oci.Platform;
import java.util.List;

/**
 * A finished stage: what a later stage builds on ({@code FROM stage}) or copies from
 * ({@code COPY --from}), and what the target stage becomes as the image.
 *
 * @param index the stage's position in the file
 * @param name its display name
 * @param config the image config so far (history and rootfs included)
 * @param layers the layer descriptors, parallel to the config's diffIDs
 * @param fsKey the cache key of its filesystem
 * @param scope its variables, which a stage built on it continues from
 * @param platform the platform it was built for
 */
record StageResult(
    int index,
    String name,
    ImageConfig config,
    List<Descriptor> layers,
    CacheKey fsKey,
    StageScope scope,
    Platform platform) {

  StageResult {
    layers = List.copyOf(layers);
  }
}
