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
 * credsStore}), which Jib runs as {@code docker-credential-NAME get}. Credentials are never put
 * into messages: only the file they came from.
 */
public final class Credentials {

  private final List<Path> files;

  /** Looks in exactly these files, in order (tests, and callers that know better). */
  public Credentials(List<Path> files) {
    this.files = List.copyOf(files);
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
          return new Lookup(credential, file, tried);
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
    return new Lookup(Optional.empty(), null, tried);
  }

  /**
   * What a lookup found.
   *
   * @param credential the credential, if any
   * @param source the file it came from, or null
   * @param tried the files that existed and were read, in order
   */
  public record Lookup(Optional<Credential> credential, Path source, List<Path> tried) {
    public Lookup {
      tried = List.copyOf(tried);
    }

    /** For error messages: where credentials came from, or where none were found. */
    public String describe(List<Path> candidates) {
      if (source != null) {
        return "credentials were taken from " + source;
      }
      return "no credentials for this registry in "
          + (candidates.isEmpty() ? "(no auth files configured)" : candidates.toString());
    }
  }
}
