package dev.jbuild.dockerfile.shell;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * What the user passes in for ARG resolution: {@code --build-arg} values, the build and target
 * platforms and the target stage name (spec §2.7). Immutable.
 *
 * <p>Build-arg names are case-sensitive, except that the proxy variables ({@code HTTP_PROXY},
 * {@code HTTPS_PROXY}, {@code FTP_PROXY}, {@code NO_PROXY}, {@code ALL_PROXY}) are recognised in
 * any case.
 */
public final class BuildArgs {

  /** The proxy variables, in the order RUN receives them. */
  static final List<String> PROXY_NAMES =
      List.of("HTTP_PROXY", "HTTPS_PROXY", "FTP_PROXY", "NO_PROXY", "ALL_PROXY");

  private final Map<String, String> values;
  private final Platform buildPlatform;
  private final Platform targetPlatform;
  private final String targetStage;

  /**
   * @param values the {@code --build-arg} values, in command-line order
   * @param buildPlatform the platform jbuild runs on
   * @param targetPlatform the platform the image is built for
   * @param targetStage the {@code --target} stage, or the name of the last stage ({@code
   *     default} when it has none), for {@code TARGETSTAGE}
   */
  public BuildArgs(
      Map<String, String> values,
      Platform buildPlatform,
      Platform targetPlatform,
      String targetStage) {
    this.values = Collections.unmodifiableMap(new LinkedHashMap<>(values));
    this.buildPlatform = Objects.requireNonNull(buildPlatform, "buildPlatform");
    this.targetPlatform = Objects.requireNonNull(targetPlatform, "targetPlatform");
    this.targetStage = Objects.requireNonNull(targetStage, "targetStage");
  }

  /** No build args, building for the build platform. */
  public static BuildArgs none(Platform platform, String targetStage) {
    return new BuildArgs(Map.of(), platform, platform, targetStage);
  }

  public Map<String, String> values() {
    return values;
  }

  /** The {@code --build-arg} value of {@code name}, if given. */
  public Optional<String> value(String name) {
    return Optional.ofNullable(values.get(name));
  }

  public Platform buildPlatform() {
    return buildPlatform;
  }

  public Platform targetPlatform() {
    return targetPlatform;
  }

  public String targetStage() {
    return targetStage;
  }

  /**
   * The predefined args in BuildKit's order, each replaced by a build-arg of the same name when
   * one is given: the BUILD* and TARGET* platform args and {@code TARGETSTAGE}.
   */
  public Environment predefined() {
    String[][] defaults = {
      {"BUILDPLATFORM", buildPlatform.format()},
      {"BUILDOS", buildPlatform.os()},
      {"BUILDOSVERSION", buildPlatform.osVersion()},
      {"BUILDARCH", buildPlatform.architecture()},
      {"BUILDVARIANT", buildPlatform.variant()},
      {"TARGETPLATFORM", targetPlatform.formatAll()},
      {"TARGETOS", targetPlatform.os()},
      {"TARGETOSVERSION", targetPlatform.osVersion()},
      {"TARGETARCH", targetPlatform.architecture()},
      {"TARGETVARIANT", targetPlatform.variant()},
      {"TARGETSTAGE", targetStage},
    };
    Environment env = Environment.empty();
    for (String[] kv : defaults) {
      env = env.with(kv[0], values.getOrDefault(kv[0], kv[1]));
    }
    return env;
  }

  /** Whether {@code name} is a predefined arg (BUILD*, TARGET* or TARGETSTAGE). */
  public static boolean isPredefined(String name) {
    switch (name) {
      case "BUILDPLATFORM":
      case "BUILDOS":
      case "BUILDOSVERSION":
      case "BUILDARCH":
      case "BUILDVARIANT":
      case "TARGETPLATFORM":
      case "TARGETOS":
      case "TARGETOSVERSION":
      case "TARGETARCH":
      case "TARGETVARIANT":
      case "TARGETSTAGE":
        return true;
      default:
        return false;
    }
  }

  /** Whether {@code name} is one of the proxy variables, in any case. */
  public static boolean isProxy(String name) {
    return PROXY_NAMES.contains(name.toUpperCase(Locale.ROOT));
  }

  /**
   * The proxy build-args by canonical upper-case name (the last one given wins when several
   * spellings are passed), in {@link #PROXY_NAMES} order. Empty values are dropped, as BuildKit
   * drops them.
   */
  public Map<String, String> proxies() {
    Map<String, String> byName = new LinkedHashMap<>();
    values.forEach(
        (k, v) -> {
          if (isProxy(k)) {
            byName.put(k.toUpperCase(Locale.ROOT), v);
          }
        });
    Map<String, String> ordered = new LinkedHashMap<>();
    for (String name : PROXY_NAMES) {
      String v = byName.get(name);
      if (v != null && !v.isEmpty()) {
        ordered.put(name, v);
      }
    }
    return Collections.unmodifiableMap(ordered);
  }
}
