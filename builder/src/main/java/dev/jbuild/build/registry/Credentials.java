package dev.jbuild.build.registry;

import com.google.cloud.tools.jib.api.Credential;
import com.google.cloud.tools.jib.registry.credentials.DockerConfigCredentialRetriever;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Finds registry credentials where docker, podman and skopeo keep them, in this order: {@code
 * $REGISTRY_AUTH_FILE}, {@code $XDG_RUNTIME_DIR/containers/auth.json}, {@code
 * $DOCKER_CONFIG/config.json}, {@code ~/.docker/config.json}. The first file with an entry for
 * the registry wins; an entry may name a credential helper ({@code credHelpers}, {@code
 * credsStore}), which Jib runs as {@code docker-credential-NAME get}. A caller may put a {@link
 * Source} of its own ahead of the files (the Maven plugin: its configuration and settings.xml).
 * Credentials are never put into messages: only where they came from.
 */
public final class Credentials {

  private final List<Path> files;
  private final Source first;

  /** Looks in exactly these files, in order (tests, and callers that know better). */
  public Credentials(List<Path> files) {
    this(files, registry -> Optional.empty());
  }

  private Credentials(List<Path> files, Source first) {
    this.files = List.copyOf(files);
    this.first = first;
  }

  /**
   * Credentials a caller finds itself, asked before any file; called from build threads, so it
   * must be thread-safe.
   */
  @FunctionalInterface
  public interface Source {
    /** The credential for the registry as written in references, or empty to go on to the files. */
    Optional<Given> find(String registry);
  }

  /**
   * A username and password and where they came from (for messages, e.g. {@code settings.xml
   * server "host:5000"}). {@link #toString()} leaves the password out.
   */
  public record Given(String username, String password, String origin) {
    public Given {
      java.util.Objects.requireNonNull(username, "username");
      java.util.Objects.requireNonNull(password, "password");
      java.util.Objects.requireNonNull(origin, "origin");
    }

    @Override
    public String toString() {
      return "Given[username=" + username + ", origin=" + origin + "]";
    }
  }

  /** These credentials with {@code source} asked first; the files stay the fallback. */
  public Credentials withFirst(Source source) {
    java.util.Objects.requireNonNull(source, "source");
    return new Credentials(files, source);
  }

  /** The files docker and podman would read, given an environment and a home directory. */
  public static Credentials fromEnvironment(Map<String, String> env, Path home) {
    Set<Path> files = new LinkedHashSet<>();
    String authFile = env.get("REGISTRY_AUTH_FILE");
    if (authFile != null && !authFile.isBlank()) {
      files.add(Path.of(authFile));
    }
    String runtime = env.get("XDG_RUNTIME_DIR");
    if (runtime != null && !runtime.isBlank()) {
      files.add(Path.of(runtime, "containers", "auth.json"));
    }
    String dockerConfig = env.get("DOCKER_CONFIG");
    if (dockerConfig != null && !dockerConfig.isBlank()) {
      files.add(Path.of(dockerConfig, "config.json"));
    }
    if (home != null) {
      files.add(home.resolve(".docker").resolve("config.json"));
    }
    return new Credentials(new ArrayList<>(files));
  }

  /** The files looked in, in order. */
  public List<Path> files() {
    return files;
  }

  /**
   * The credential for a registry, or none.
   *
   * @param registry the registry as written in the image reference ({@code docker.io}, {@code
   *     host:5000}); Docker Hub's aliases are tried too
   */
  public Lookup lookup(String registry) {
    Optional<Given> given = first.find(registry);
    if (given.isPresent()) {
      Given g = given.get();
      return new Lookup(
          Optional.of(Credential.from(g.username(), g.password())), null, List.of(), g.origin());
    }
    return lookupFiles(registry);
  }

  /** The credential for a registry from the files alone, skipping the caller's {@link Source}. */
  public Lookup lookupFiles(String registry) {
    List<Path> tried = new ArrayList<>();
    for (Path file : files) {
      if (!Files.isRegularFile(file)) {
        continue;
      }
      tried.add(file);
      try {
        Optional<Credential> credential =
            DockerConfigCredentialRetriever.create(registry, file).retrieve(log -> {});
        if (credential.isPresent()) {
          return new Lookup(credential, file, tried, file.toString());
        }
      } catch (IOException e) {
        // a malformed file must not hide credentials in the next one, but the user should know
        throw new RegistryException(
            registry,
            "",
            0,
            "cannot read registry credentials from " + file + ": " + e.getMessage()
                + " (fix or remove the file)",
            e);
      }
    }
    return new Lookup(Optional.empty(), null, tried, null);
  }

  /**
   * What a lookup found.
   *
   * @param credential the credential, if any
   * @param source the file it came from, or null (none found, or not from a file)
   * @param tried the files that existed and were read, in order
   * @param origin where the credential came from, for messages (the file, or what the caller's
   *     {@link Source} named), or null when none was found
   */
  public record Lookup(
      Optional<Credential> credential, Path source, List<Path> tried, String origin) {
    public Lookup {
      tried = List.copyOf(tried);
    }

    /** For error messages: where credentials came from, or where none were found. */
    public String describe(List<Path> candidates) {
      if (origin != null) {
        return "credentials were taken from " + origin;
      }
      return "no credentials for this registry in "
          + (candidates.isEmpty() ? "(no auth files configured)" : candidates.toString());
    }
  }
}
