package dev.jbuild.build.registry;

import dev.jbuild.oci.Digest;
import java.util.Objects;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * A normalised image reference: {@code registry/repository[:tag][@digest]}, parsed with the
 * grammar and the normalisation of Docker's distribution/reference. {@code busybox} becomes
 * {@code docker.io/library/busybox:latest}; {@code localhost/x}, {@code host:5000/x} and names
 * whose first component has a dot, a colon or an upper-case letter keep their registry.
 *
 * <p>A reference has a tag, a digest, or both ({@code name:tag@digest}: the digest decides what
 * is pulled, the tag is kept for display). {@link #parse} adds {@code latest} only when neither
 * is given.
 *
 * @param registry the registry's host and optional port, e.g. {@code docker.io}, {@code
 *     localhost:5000}
 * @param repository the repository path inside the registry, e.g. {@code library/busybox}
 * @param tag the tag, or null
 * @param digest the digest, or null
 */
public record ImageReference(String registry, String repository, String tag, Digest digest) {

  /** The registry that names without a domain refer to. */
  public static final String DOCKER_HUB = "docker.io";

  /** The host that serves Docker Hub's registry API. */
  static final String DOCKER_HUB_API_HOST = "registry-1.docker.io";

  private static final String LEGACY_DOCKER_HUB = "index.docker.io";
  private static final String OFFICIAL_PREFIX = "library/";
  private static final String DEFAULT_TAG = "latest";
  private static final int MAX_NAME_LENGTH = 255;

  // distribution/reference grammar, one piece per rule
  private static final String ALPHANUMERIC = "[a-z0-9]+";
  private static final String SEPARATOR = "(?:[_.]|__|-+)";
  private static final String PATH_COMPONENT = ALPHANUMERIC + "(?:" + SEPARATOR + ALPHANUMERIC + ")*";
  private static final Pattern PATH =
      Pattern.compile(PATH_COMPONENT + "(?:/" + PATH_COMPONENT + ")*");
  private static final String DOMAIN_COMPONENT = "(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])";
  private static final String DOMAIN_NAME = DOMAIN_COMPONENT + "(?:\\." + DOMAIN_COMPONENT + ")*";
  private static final String IPV6 = "\\[(?:[a-fA-F0-9:]+)\\]";
  private static final Pattern DOMAIN =
      Pattern.compile("(?:" + DOMAIN_NAME + "|" + IPV6 + ")(?::[0-9]+)?");
  private static final Pattern TAG = Pattern.compile("[\\w][\\w.-]{0,127}");
  private static final Pattern DIGEST =
      Pattern.compile("[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}");
  private static final Pattern IDENTIFIER = Pattern.compile("[a-f0-9]{64}");

  public ImageReference {
    Objects.requireNonNull(registry, "registry");
    Objects.requireNonNull(repository, "repository");
    if (tag == null && digest == null) {
      throw new IllegalArgumentException("an image reference needs a tag or a digest");
    }
    if (!DOMAIN.matcher(registry).matches() || !PATH.matcher(repository).matches()) {
      throw new IllegalArgumentException("invalid image name: " + registry + "/" + repository);
    }
    if (tag != null && !TAG.matcher(tag).matches()) {
      throw new IllegalArgumentException("invalid tag: " + tag);
    }
  }

  /**
   * Parses and normalises a reference as {@code docker pull} does.
   *
   * @throws InvalidReferenceException naming the text and what is wrong with it
   */
  public static ImageReference parse(String text) {
    Objects.requireNonNull(text, "text");
    if (text.isEmpty()) {
      throw new InvalidReferenceException(text, "the reference is empty");
    }
    if (IDENTIFIER.matcher(text).matches()) {
      throw new InvalidReferenceException(
          text, "a 64-character hexadecimal string is an image ID, not a repository name");
    }
    String rest = text;
    Digest digest = null;
    int at = rest.indexOf('@');
    if (at >= 0) {
      String digestText = rest.substring(at + 1);
      if (!DIGEST.matcher(digestText).matches()) {
        throw new InvalidReferenceException(
            text, "\"" + digestText + "\" is not a digest (expected sha256:<64 hex digits>)");
      }
      try {
        digest = Digest.parse(digestText);
      } catch (IllegalArgumentException e) {
        throw new InvalidReferenceException(
            text, "unsupported digest \"" + digestText + "\" (expected sha256:<64 hex digits>)");
      }
      rest = rest.substring(0, at);
    }
    String tag = null;
    int colon = rest.lastIndexOf(':');
    if (colon > rest.lastIndexOf('/')) {
      tag = rest.substring(colon + 1);
      rest = rest.substring(0, colon);
      if (!TAG.matcher(tag).matches()) {
        throw new InvalidReferenceException(
            text,
            "\"" + tag + "\" is not a valid tag (letters, digits, '_', '.', '-'; at most 128; not"
                + " starting with '.' or '-')");
      }
    }
    if (rest.isEmpty()) {
      throw new InvalidReferenceException(text, "the repository name is missing");
    }
    if (rest.length() > MAX_NAME_LENGTH) {
      throw new InvalidReferenceException(
          text, "the repository name is longer than " + MAX_NAME_LENGTH + " characters");
    }
    String[] split = splitDomain(rest);
    String registry = split[0];
    String repository = split[1];
    if (!DOMAIN.matcher(registry).matches()) {
      throw new InvalidReferenceException(text, "\"" + registry + "\" is not a valid registry host");
    }
    if (!PATH.matcher(repository).matches()) {
      String reason =
          repository.equals(repository.toLowerCase(java.util.Locale.ROOT))
              ? "\"" + repository + "\" is not a valid repository name (lower-case letters, digits"
                  + " and the separators '.', '_', '__', '-' between them, components joined by '/')"
              : "repository name \"" + repository + "\" must be lowercase";
      throw new InvalidReferenceException(text, reason);
    }
    if (tag == null && digest == null) {
      tag = DEFAULT_TAG;
    }
    return new ImageReference(registry, repository, tag, digest);
  }

  /** Splits off the registry as Docker does: the first component is a host when it looks like one. */
  private static String[] splitDomain(String name) {
    int slash = name.indexOf('/');
    String registry;
    String remainder;
    if (slash < 0) {
      registry = DOCKER_HUB;
      remainder = name;
    } else {
      String first = name.substring(0, slash);
      boolean looksLikeHost =
          first.contains(".")
              || first.contains(":")
              || first.equals("localhost")
              || !first.equals(first.toLowerCase(java.util.Locale.ROOT));
      if (looksLikeHost) {
        registry = first;
        remainder = name.substring(slash + 1);
      } else {
        registry = DOCKER_HUB;
        remainder = name;
      }
    }
    if (registry.equals(LEGACY_DOCKER_HUB)) {
      registry = DOCKER_HUB;
    }
    if (registry.equals(DOCKER_HUB) && remainder.indexOf('/') < 0) {
      remainder = OFFICIAL_PREFIX + remainder;
    }
    return new String[] {registry, remainder};
  }

  /** {@code registry/repository}, without tag or digest. */
  public String name() {
    return registry + "/" + repository;
  }

  public Optional<String> tagOpt() {
    return Optional.ofNullable(tag);
  }

  public Optional<Digest> digestOpt() {
    return Optional.ofNullable(digest);
  }

  /** What the registry API is asked for: the digest when there is one, else the tag. */
  public String qualifier() {
    return digest != null ? digest.toString() : tag;
  }

  /** The same repository with another tag and no digest. */
  public ImageReference withTag(String newTag) {
    return new ImageReference(registry, repository, newTag, null);
  }

  /** The same repository at a digest, without the tag. */
  public ImageReference withDigest(Digest newDigest) {
    return new ImageReference(registry, repository, null, newDigest);
  }

  /** The host the registry API is served from: Docker Hub's API lives on another name. */
  public String apiHost() {
    return registry.equals(DOCKER_HUB) ? DOCKER_HUB_API_HOST : registry;
  }

  /**
   * The short form Docker shows: {@code busybox:latest} for Docker Hub's official images, {@code
   * user/app:1} for other Hub repositories, the full name otherwise.
   */
  public String familiar() {
    String shortName = name();
    if (registry.equals(DOCKER_HUB)) {
      shortName =
          repository.startsWith(OFFICIAL_PREFIX)
              ? repository.substring(OFFICIAL_PREFIX.length())
              : repository;
    }
    return shortName + suffix();
  }

  private String suffix() {
    return (tag != null ? ":" + tag : "") + (digest != null ? "@" + digest : "");
  }

  /** The canonical text, e.g. {@code docker.io/library/busybox:latest}. */
  @Override
  public String toString() {
    return name() + suffix();
  }
}
