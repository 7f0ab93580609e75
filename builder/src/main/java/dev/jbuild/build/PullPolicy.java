package dev.jbuild.build;

import java.util.Locale;

/** When base images are fetched from their registry ({@code --pull}). */
public enum PullPolicy {
  /** Use the local store's copy when there is one; pull otherwise (the default). */
  MISSING,
  /** Always ask the registry for the current manifest (blobs already stored are not fetched). */
  ALWAYS,
  /** Never contact a registry: a base image must be in the local store. */
  NEVER;

  /** Reads {@code missing}, {@code always} or {@code never} (also {@code true}/{@code false}). */
  public static PullPolicy parse(String text) {
    switch (text.toLowerCase(Locale.ROOT)) {
      case "missing":
      case "false":
        return MISSING;
      case "always":
      case "true":
        return ALWAYS;
      case "never":
        return NEVER;
      default:
        throw new IllegalArgumentException(
            "invalid pull policy \"" + text + "\": use missing, always or never");
    }
  }
}
