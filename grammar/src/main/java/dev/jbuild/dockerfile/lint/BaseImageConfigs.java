package dev.jbuild.dockerfile.lint;

import dev.jbuild.dockerfile.shell.Platform;
import java.util.Optional;

/**
 * Base image configs the checks may consult. {@code jbuild check} pulls nothing and uses {@link
 * #none()}; the builder, which has resolved the images, can pass them so that {@code
 * UndefinedVar} sees the base image's ENV and {@code InvalidBaseImagePlatform} can run.
 */
@FunctionalInterface
public interface BaseImageConfigs {

  /**
   * The config of {@code reference} (the FROM image after expansion) for {@code platform}, if
   * known.
   */
  Optional<BaseImageConfig> lookup(String reference, Platform platform);

  /** Nothing is known about any image. */
  static BaseImageConfigs none() {
    return (reference, platform) -> Optional.empty();
  }
}
