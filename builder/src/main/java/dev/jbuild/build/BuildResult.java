package dev.jbuild.build;

import dev.jbuild.oci.Descriptor;
import dev.jbuild.oci.Digest;
import java.util.List;
import java.util.Objects;

/**
 * What a build produced.
 *
 * @param manifest the image manifest in the local store
 * @param imageId the config digest, as {@code docker images} shows an image ID
 * @param tags the local store names the image was tagged under (normalised)
 * @param pushed the references pushed, with the digest the registry serves
 * @param steps how many steps ran or were looked up
 * @param cachedSteps how many of them came from the build cache
 * @param contextFilesRead how many build-context files had their content read to hash it
 *     for a cache key; 0 on a rebuild whose stat cache and build cache cover everything
 */
public record BuildResult(
    Descriptor manifest, Digest imageId, List<String> tags, List<String> pushed, int steps,
    int cachedSteps,
    long contextFilesRead) {

  public BuildResult {
    Objects.requireNonNull(manifest, "manifest");
    Objects.requireNonNull(imageId, "imageId");
    tags = List.copyOf(tags);
    pushed = List.copyOf(pushed);
  }
}
