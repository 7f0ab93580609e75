package dev.jbuild.maven;

import dev.jbuild.build.JbuildException;
import dev.jbuild.build.registry.Credentials;
import dev.jbuild.build.registry.ImageReference;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.maven.plugin.logging.Log;
import org.apache.maven.settings.Server;
import org.apache.maven.settings.Settings;
import org.apache.maven.settings.building.SettingsProblem;
import org.apache.maven.settings.crypto.DefaultSettingsDecryptionRequest;
import org.apache.maven.settings.crypto.SettingsDecrypter;
import org.apache.maven.settings.crypto.SettingsDecryptionResult;

/**
 * Registry credentials in the order the goals promise, the first that has an entry winning:
 * {@code -Djbuild.to.auth.username/password} and then the pom's {@code <to><auth>} (both for the
 * registry of {@code to.image} only), a {@code settings.xml} {@code <server>} whose id is the
 * registry ({@code host[:port]}; the password decrypted as Maven does), and last the docker and
 * podman auth files with their credential helpers, as the CLI reads them. Each registry's source
 * is logged once; secrets never are.
 */
final class MavenCredentials implements Credentials.Source {

  /** A username and password given in one place, with that place's name for the log. */
  record Pair(String username, String password, String origin) {
    @Override
    public String toString() {
      return "Pair[username=" + username + ", origin=" + origin + "]";
    }
  }

  private final String targetRegistry;
  private final List<Pair> explicit;
  private final Settings settings;
  private final SettingsDecrypter decrypter;
  private final Credentials files;
  private final Log log;
  private final Map<String, Optional<Credentials.Given>> found = new ConcurrentHashMap<>();

  /**
   * @param target the image pushed to (its registry gets the explicit credentials)
   * @param explicit the property and pom credentials, in that order; incomplete ones left out
   * @param files the docker and podman auth files, the last resort
   */
  MavenCredentials(
      ImageReference target,
      List<Pair> explicit,
      Settings settings,
      SettingsDecrypter decrypter,
      Credentials files,
      Log log) {
    this.targetRegistry = target.registry();
    this.explicit = List.copyOf(explicit);
    this.settings = settings;
    this.decrypter = decrypter;
    this.files = files;
    this.log = log;
  }

  @Override
  public Optional<Credentials.Given> find(String registry) {
    // once per registry: a credential helper is run at most once, the source logged once
    return found.computeIfAbsent(registry, this::lookUp);
  }

  private Optional<Credentials.Given> lookUp(String registry) {
    Optional<Credentials.Given> given = search(registry);
    if (given.isPresent()) {
      log.info("registry " + registry + ": using the credentials from " + given.get().origin());
    } else {
      log.debug("registry " + registry + ": no credentials configured, going anonymous");
    }
    return given;
  }

  private Optional<Credentials.Given> search(String registry) {
    if (registry.equals(targetRegistry) && !explicit.isEmpty()) {
      Pair p = explicit.get(0);
      return Optional.of(new Credentials.Given(p.username(), p.password(), p.origin()));
    }
    Optional<Credentials.Given> server = server(registry);
    if (server.isPresent()) {
      return server;
    }
    Credentials.Lookup lookup = files.lookupFiles(registry);
    if (lookup.credential().isPresent()) {
      return Optional.of(
          new Credentials.Given(
              lookup.credential().get().getUsername(),
              lookup.credential().get().getPassword(),
              lookup.origin()));
    }
    return Optional.empty();
  }

  /** The settings.xml server for a registry: its id is the registry as written in the name. */
  private Optional<Credentials.Given> server(String registry) {
    if (settings == null) {
      return Optional.empty();
    }
    for (String id : ids(registry)) {
      Server s = settings.getServer(id);
      if (s == null || s.getUsername() == null) {
        continue;
      }
      Server decrypted = decrypt(s);
      String password = decrypted.getPassword() == null ? "" : decrypted.getPassword();
      return Optional.of(
          new Credentials.Given(
              decrypted.getUsername(), password, "settings.xml <server> \"" + id + "\""));
    }
    return Optional.empty();
  }

  private Server decrypt(Server s) {
    if (decrypter == null) {
      return s;
    }
    SettingsDecryptionResult result = decrypter.decrypt(new DefaultSettingsDecryptionRequest(s));
    for (SettingsProblem p : result.getProblems()) {
      if (p.getSeverity() != SettingsProblem.Severity.WARNING) {
        throw new JbuildException(
            "cannot decrypt the password of settings.xml <server> \"" + s.getId() + "\": "
                + p.getMessage() + " (check ~/.m2/settings-security.xml, see"
                + " https://maven.apache.org/guides/mini/guide-encryption.html)");
      }
    }
    return result.getServer() == null ? s : result.getServer();
  }

  /** Server ids that may stand for a registry: itself, and Docker Hub's other names. */
  private static List<String> ids(String registry) {
    if (registry.equals(ImageReference.DOCKER_HUB)) {
      return List.of(registry, "registry-1.docker.io", "index.docker.io", "registry.hub.docker.com");
    }
    return List.of(registry);
  }
}
