package dev.jbuild.build.registry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.jbuild.build.registry.testing.RegistryFixture;
import dev.jbuild.oci.Digest;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/** TLS and basic auth against a registry with a self-signed certificate and htpasswd. */
class RegistryAuthIT {

  @RegisterExtension static final RegistryFixture REGISTRY = RegistryFixture.tls("jbuild", "s3cret!");

  @TempDir Path tmp;

  private Path authFile(String user, String password) throws Exception {
    Path file = tmp.resolve("auth-" + user + "-" + password.hashCode() + ".json");
    String auth =
        Base64.getEncoder()
            .encodeToString((user + ":" + password).getBytes(StandardCharsets.UTF_8));
    Files.writeString(
        file, "{\"auths\":{\"" + REGISTRY.host() + "\":{\"auth\":\"" + auth + "\"}}}");
    return file;
  }

  private Registries registries(Credentials credentials, boolean insecure) {
    RegistryOptions options =
        RegistryOptions.defaults()
            .withCredentials(credentials)
            .withInsecure(insecure ? Set.of(REGISTRY.host()) : Set.of())
            .withRetry(RetryPolicy.NONE);
    return new Registries(options, e -> {});
  }

  private ImageReference ref() {
    return ImageReference.parse(REGISTRY.ref("secure/app:1"));
  }

  private void pushSomething(Registry r) throws Exception {
    byte[] content = "hello".getBytes(StandardCharsets.UTF_8);
    Path file = tmp.resolve("blob");
    Files.write(file, content);
    r.pushBlob(Digest.of(content), file, Optional.empty(), n -> {});
  }

  @Test
  void selfSignedCertificateWithoutInsecureFlagSaysWhatToDo() throws Exception {
    Credentials credentials = new Credentials(List.of(authFile("jbuild", "s3cret!")));
    assertThatThrownBy(() -> registries(credentials, false).openForPush(ref()))
        .isInstanceOf(RegistryException.class)
        .hasMessageContaining("TLS with registry " + REGISTRY.host() + " failed")
        .hasMessageContaining("pass --insecure-registry " + REGISTRY.host());
  }

  @Test
  void rightPasswordPushesAndPulls() throws Exception {
    Credentials credentials = new Credentials(List.of(authFile("jbuild", "s3cret!")));
    try (Registry r = registries(credentials, true).openForPush(ref())) {
      pushSomething(r);
      assertThat(r.checkBlob(Digest.of("hello".getBytes(StandardCharsets.UTF_8)))).contains(5L);
    }
  }

  @Test
  void wrongPasswordNamesTheAuthFile() throws Exception {
    Path file = authFile("jbuild", "wrong");
    try (Registry r = registries(new Credentials(List.of(file)), true).openForPush(ref())) {
      assertThatThrownBy(() -> pushSomething(r))
          .isInstanceOf(RegistryException.class)
          .hasMessageContaining("denied access to secure/app (HTTP 401)")
          .hasMessageContaining("credentials from " + file + " were rejected")
          .hasMessageNotContaining("wrong")
          .satisfies(e -> assertThat(((RegistryException) e).status()).isEqualTo(401));
    }
  }

  @Test
  void noCredentialsListsTheFilesTried() throws Exception {
    Map<String, String> env =
        Map.of(
            "REGISTRY_AUTH_FILE", tmp.resolve("podman-auth.json").toString(),
            "DOCKER_CONFIG", tmp.resolve("docker").toString());
    Credentials credentials = Credentials.fromEnvironment(env, tmp.resolve("home"));
    try (Registry r = registries(credentials, true).openForPull(ref())) {
      assertThatThrownBy(() -> r.pullManifest("1"))
          .isInstanceOf(RegistryException.class)
          .hasMessageContaining("HTTP 401")
          .hasMessageContaining("no credentials for " + REGISTRY.host() + " were found")
          .hasMessageContaining(tmp.resolve("podman-auth.json").toString())
          .hasMessageContaining(tmp.resolve("docker").resolve("config.json").toString())
          .hasMessageContaining(tmp.resolve("home/.docker/config.json").toString());
    }
  }

  @Test
  void authFilesAreSearchedInDockerAndPodmanOrder() throws Exception {
    Path podman = authFile("jbuild", "s3cret!");
    Path docker = tmp.resolve("docker/config.json");
    Files.createDirectories(docker.getParent());
    Files.copy(authFile("other", "x"), docker);
    Map<String, String> env =
        Map.of("REGISTRY_AUTH_FILE", podman.toString(), "DOCKER_CONFIG", docker.getParent().toString());
    Credentials.Lookup lookup = Credentials.fromEnvironment(env, tmp).lookup(REGISTRY.host());
    assertThat(lookup.source()).isEqualTo(podman);
    assertThat(lookup.credential()).get().extracting(c -> c.getUsername()).isEqualTo("jbuild");

    Credentials.Lookup fallback =
        Credentials.fromEnvironment(Map.of("DOCKER_CONFIG", docker.getParent().toString()), tmp)
            .lookup(REGISTRY.host());
    assertThat(fallback.source()).isEqualTo(docker);
  }

  @Test
  void credentialHelperFromCredHelpers() throws Exception {
    // failsafe puts target/test-bin on PATH, where docker would find docker-credential-*
    Path bin = Path.of(System.getProperty("jbuild.test.bin", "target/test-bin"));
    Files.createDirectories(bin);
    Path helper = bin.resolve("docker-credential-jbuild-test");
    Files.writeString(
        helper,
        "#!/bin/sh\nread server\necho '{\"ServerURL\":\"'$server'\",\"Username\":\"jbuild\",\"Secret\":\"s3cret!\"}'\n");
    Files.setPosixFilePermissions(helper, PosixFilePermissions.fromString("rwxr-xr-x"));
    Path config = tmp.resolve("helper.json");
    Files.writeString(
        config, "{\"credHelpers\":{\"" + REGISTRY.host() + "\":\"jbuild-test\"}}");
    try (Registry r = registries(new Credentials(List.of(config)), true).openForPush(ref())) {
      pushSomething(r);
    }
  }

  @Test
  void callerSourceComesBeforeTheFilesAndIsNamedWhenRejected() throws Exception {
    Path wrongFile = authFile("jbuild", "wrong");
    Credentials given =
        new Credentials(List.of(wrongFile))
            .withFirst(
                registry ->
                    registry.equals(REGISTRY.host())
                        ? Optional.of(new Credentials.Given("jbuild", "s3cret!", "settings.xml"))
                        : Optional.empty());
    assertThat(given.lookup(REGISTRY.host()).origin()).isEqualTo("settings.xml");
    assertThat(given.lookup("other.example:5000").credential()).isEmpty();
    try (Registry r = registries(given, true).openForPush(ref())) {
      pushSomething(r);
    }

    Credentials rejected =
        new Credentials(List.of())
            .withFirst(r -> Optional.of(new Credentials.Given("jbuild", "nope", "the pom's <auth>")));
    assertThat(new Credentials.Given("u", "secret-value", "x").toString()).doesNotContain("secret-value");
    try (Registry r = registries(rejected, true).openForPush(ref())) {
      assertThatThrownBy(() -> pushSomething(r))
          .isInstanceOf(RegistryException.class)
          .hasMessageContaining("HTTP 401")
          .hasMessageContaining("the credentials from the pom's <auth> were rejected")
          .hasMessageNotContaining("nope");
    }
  }

  @Test
  void starMakesEveryRegistryInsecure() {
    RegistryOptions options = RegistryOptions.defaults().withInsecure(Set.of(RegistryOptions.ANY));
    assertThat(options.isInsecure("registry.example.com")).isTrue();
    assertThat(options.isInsecure(REGISTRY.host())).isTrue();
    assertThat(RegistryOptions.defaults().isInsecure("registry.example.com")).isFalse();
  }
}
