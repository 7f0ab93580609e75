package dev.jbuild.dockerfile.lint;

import dev.jbuild.dockerfile.shell.Platform;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * What the checks need besides the Dockerfile.
 *
 * @param buildArgs {@code --build-arg} values; {@code BUILDKIT_DOCKERFILE_CHECK} among them
 *     replaces the file's {@code # check=} directive, as in BuildKit
 * @param buildPlatform the platform jbuild runs on
 * @param targetPlatform the platform built for
 * @param ignore the context's {@code .dockerignore}, for {@code CopyIgnoredFile}; empty when
 *     there is none
 * @param baseImages base image configs, when the caller has them
 */
public record LintOptions(
    Map<String, String> buildArgs,
    Platform buildPlatform,
    Platform targetPlatform,
    Optional<IgnoreMatcher> ignore,
    BaseImageConfigs baseImages) {

  /** The build-arg that overrides the {@code # check=} directive. */
  public static final String CHECK_BUILD_ARG = "BUILDKIT_DOCKERFILE_CHECK";

  public LintOptions {
    buildArgs = Collections.unmodifiableMap(new LinkedHashMap<>(buildArgs));
    Objects.requireNonNull(buildPlatform, "buildPlatform");
    Objects.requireNonNull(targetPlatform, "targetPlatform");
    Objects.requireNonNull(ignore, "ignore");
    Objects.requireNonNull(baseImages, "baseImages");
  }

  /** No build args, no ignore file, no image configs, building for {@code platform}. */
  public static LintOptions defaults(Platform platform) {
    return new LintOptions(Map.of(), platform, platform, Optional.empty(), BaseImageConfigs.none());
  }

  public LintOptions withBuildArgs(Map<String, String> args) {
    return new LintOptions(args, buildPlatform, targetPlatform, ignore, baseImages);
  }

  public LintOptions withIgnore(IgnoreMatcher matcher) {
    return new LintOptions(buildArgs, buildPlatform, targetPlatform, Optional.of(matcher), baseImages);
  }

  public LintOptions withBaseImages(BaseImageConfigs configs) {
    return new LintOptions(buildArgs, buildPlatform, targetPlatform, ignore, configs);
  }
}
