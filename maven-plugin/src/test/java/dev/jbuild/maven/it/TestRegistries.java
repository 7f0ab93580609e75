package dev.jbuild.maven.it;

import dev.jbuild.build.registry.Credentials;
import dev.jbuild.build.registry.ImageReference;
import dev.jbuild.build.registry.Registries;
import dev.jbuild.build.registry.Registry;
import dev.jbuild.build.registry.RegistryOptions;
import dev.jbuild.build.registry.RetryPolicy;
import dev.jbuild.build.registry.testing.RegistryFixture;
import dev.jbuild.build.registry.testing.TestImages;
import dev.jbuild.oci.Platform;
import java.io.IOException;
import java.io.Reader;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;
import java.util.stream.Stream;

/**
 * The registries of the invoker tests, run by exec:java around {@code integration-test}: {@code
 * start STATE PLAIN_PORT TLS_PORT} starts a plain registry and a TLS + htpasswd one (user {@code
 * jbuild}, password {@code s3cret!}) on the ports the build reserved, pushes the busybox test
 * image to both as {@code base/busybox:1}, and records their pids and directories in {@code
 * STATE/registries.properties}; {@code stop STATE} ends them. A shutdown hook also ends them
 * with Maven's JVM, so a build that stops half-way leaves no registry behind.
 */
public final class TestRegistries {

  /** The TLS registry's user and password (the invoker projects' settings.xml has them). */
  public static final String USER = "jbuild";

  public static final String PASSWORD = "s3cret!";

  private TestRegistries() {}

  public static void main(String[] args) throws Exception {
    if (args.length == 4 && args[0].equals("start")) {
      start(Path.of(args[1]), Integer.parseInt(args[2]), Integer.parseInt(args[3]));
    } else if (args.length == 2 && args[0].equals("stop")) {
      stop(Path.of(args[1]));
    } else {
      throw new IllegalArgumentException("usage: start STATE PLAIN_PORT TLS_PORT | stop STATE");
    }
  }

  private static void start(Path state, int plainPort, int tlsPort) throws Exception {
    stop(state);
    Files.createDirectories(state);
    RegistryFixture plain = RegistryFixture.plain().onPort(plainPort);
    RegistryFixture tls = RegistryFixture.tls(USER, PASSWORD).onPort(tlsPort);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> quietly(plain, tls), "stop-registries"));
    plain.beforeAll(null);
    tls.beforeAll(null);
    Platform platform = Platform.host();
    TestImages.Image busybox = TestImages.busybox(Platform.of("linux", platform.architecture(), platform.variant()));
    push(plain, busybox, Optional.empty(), state);
    push(tls, busybox, Optional.of(new Credentials.Given(USER, PASSWORD, "the test")), state);

    Properties p = new Properties();
    p.setProperty("plain.pid", Long.toString(plain.pid()));
    p.setProperty("plain.dir", plain.directory().toString());
    p.setProperty("tls.pid", Long.toString(tls.pid()));
    p.setProperty("tls.dir", tls.directory().toString());
    p.setProperty("tls.certDir", tls.directory().toString());
    try (Writer w = Files.newBufferedWriter(state.resolve("registries.properties"), StandardCharsets.UTF_8)) {
      p.store(w, "test registries of the invoker projects");
    }
    System.out.println(
        "test registries: plain " + plain.host() + ", TLS + htpasswd " + tls.host()
            + " (base/busybox:1 pushed to both)");
  }

  private static void push(
      RegistryFixture fixture, TestImages.Image image, Optional<Credentials.Given> login, Path tmp)
      throws IOException {
    Credentials credentials = new Credentials(List.of()).withFirst(r -> login);
    RegistryOptions options =
        RegistryOptions.defaults()
            .withCredentials(credentials)
            .withInsecure(Set.of(fixture.host()))
            .withRetry(RetryPolicy.NONE);
    try (Registry r =
        new Registries(options, e -> {}).openForPush(ImageReference.parse(fixture.ref("base/busybox:1")))) {
      TestImages.push(r, image, "1", tmp);
    }
  }

  private static void stop(Path state) throws IOException {
    Path file = state.resolve("registries.properties");
    if (!Files.exists(file)) {
      return;
    }
    Properties p = new Properties();
    try (Reader r = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
      p.load(r);
    }
    for (String which : new String[] {"plain", "tls"}) {
      String pid = p.getProperty(which + ".pid");
      if (pid != null) {
        ProcessHandle.of(Long.parseLong(pid))
            .filter(h -> h.info().command().map(c -> c.endsWith("docker-registry")).orElse(false))
            .ifPresent(
                h -> {
                  h.destroy();
                  h.onExit().join();
                });
      }
      String dir = p.getProperty(which + ".dir");
      if (dir != null) {
        delete(Path.of(dir));
      }
    }
    Files.delete(file);
  }

  private static void quietly(RegistryFixture... fixtures) {
    for (RegistryFixture f : fixtures) {
      try {
        f.afterAll(null);
      } catch (Exception ignored) {
        // the JVM is exiting; the registry may be gone already
      }
    }
  }

  private static void delete(Path dir) throws IOException {
    if (!Files.exists(dir)) {
      return;
    }
    try (Stream<Path> walk = Files.walk(dir)) {
      walk.sorted(Comparator.reverseOrder()).forEach(q -> q.toFile().delete());
    }
  }
}
