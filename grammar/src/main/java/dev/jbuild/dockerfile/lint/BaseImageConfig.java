package dev.jbuild.dockerfile.lint;

import dev.jbuild.dockerfile.shell.Environment;
import dev.jbuild.dockerfile.shell.Platform;
import java.util.List;
import java.util.Objects;

/**
 * What the checks read from a base image's config, when the caller has it.
 *
 * @param env the config's {@code Env}
 * @param shell the config's {@code Shell}, empty when unset
 * @param platform the platform the image was resolved for
 */
public record BaseImageConfig(Environment env, List<String> shell, Platform platform) {
  public BaseImageConfig {
    Objects.requireNonNull(env, "env");
    shell = List.copyOf(shell);
    Objects.requireNonNull(platform, "platform");
  }
}
