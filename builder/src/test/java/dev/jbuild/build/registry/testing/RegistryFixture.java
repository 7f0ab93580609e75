package dev.jbuild.build.registry.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.math.BigInteger;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.KeyStore;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.Comparator;
import java.util.Date;
import java.util.List;
import java.util.stream.Stream;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.crypto.generators.OpenBSDBCrypt;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * A real registry for tests: Debian's {@code /usr/bin/docker-registry} (distribution 2.8) on a
 * free loopback port with its own storage directory. {@link #plain()} serves plain HTTP without
 * auth; {@link #tls(String, String)} serves HTTPS with a fresh self-signed certificate (made with
 * Bouncy Castle) and htpasswd basic auth for one user.
 *
 * <p>Register it with {@code @RegisterExtension static RegistryFixture registry = …}: it starts
 * before the class's tests and stops after them. {@link #stop()} and {@link #start()} restart the
 * same registry (same port, same storage) for retry tests. The registry's log (one line per
 * request, with URI and status) is in {@link #log()}.
 */
public final class RegistryFixture implements BeforeAllCallback, AfterAllCallback {

  /** Where Debian's golang-github-docker-distribution package puts the registry binary. */
  public static final Path BINARY = Path.of("/usr/bin/docker-registry");

  private static final Duration START_TIMEOUT = Duration.ofSeconds(30);

  private final String user;
  private final String password;
  private final int fixedPort;
  private Path dir;
  private int port;
  private Process process;
  private SSLContext trust;
  private Path certificate;

  private RegistryFixture(String user, String password, int fixedPort) {
    this.user = user;
    this.password = password;
    this.fixedPort = fixedPort;
  }

  /** A plain-HTTP registry without authentication. */
  public static RegistryFixture plain() {
    return new RegistryFixture(null, null, 0);
  }

  /** An HTTPS registry (self-signed certificate) that requires basic auth as {@code user}. */
  public static RegistryFixture tls(String user, String password) {
    return new RegistryFixture(user, password, 0);
  }

  /**
   * The same registry on a port chosen by the caller (the Maven plugin's invoker tests, whose
   * build reserves the port before the registry starts); 0 picks a free one.
   */
  public RegistryFixture onPort(int newPort) {
    return new RegistryFixture(user, password, newPort);
  }

  @Override
  public void beforeAll(ExtensionContext context) throws Exception {
    if (!Files.isExecutable(BINARY)) {
      throw new IllegalStateException(
          BINARY + " is missing: install Debian's docker-registry package (see .ci/install)");
    }
    dir = Files.createTempDirectory("jbuild-registry-");
    Files.createDirectories(dir.resolve("storage"));
    port = fixedPort > 0 ? fixedPort : freePort();
    if (isTls()) {
      writeCertificate();
      Files.writeString(
          dir.resolve("htpasswd"),
          user
              + ":"
              + OpenBSDBCrypt.generate("2y", password.toCharArray(), salt(), 5)
              + "\n",
          StandardCharsets.UTF_8);
    }
    Files.writeString(dir.resolve("config.yml"), config(), StandardCharsets.UTF_8);
    start();
  }

  @Override
  public void afterAll(ExtensionContext context) throws Exception {
    stop();
    if (dir != null) {
      try (Stream<Path> walk = Files.walk(dir)) {
        walk.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
      }
    }
  }

  /** Starts the registry (again) and waits until {@code /v2/} answers. */
  public synchronized void start() throws IOException, InterruptedException {
    if (process != null && process.isAlive()) {
      return;
    }
    process =
        new ProcessBuilder(BINARY.toString(), "serve", dir.resolve("config.yml").toString())
            .redirectErrorStream(true)
            .redirectOutput(ProcessBuilder.Redirect.appendTo(dir.resolve("registry.log").toFile()))
            .start();
    waitUntilUp();
  }

  /** Stops the registry; storage and port stay, so {@link #start()} brings the same one back. */
  public synchronized void stop() throws InterruptedException {
    if (process == null) {
      return;
    }
    process.destroy();
    if (!process.waitFor(10, java.util.concurrent.TimeUnit.SECONDS)) {
      process.destroyForcibly().waitFor();
    }
    process = null;
  }

  /** {@code 127.0.0.1:PORT}, the registry part of image references. */
  public String host() {
    return "127.0.0.1:" + port;
  }

  public int port() {
    return port;
  }

  /** The registry process's id while it runs, -1 otherwise. */
  public synchronized long pid() {
    return process == null ? -1 : process.pid();
  }

  /** The reference text for a repository and tag in this registry. */
  public String ref(String repositoryAndTag) {
    return host() + "/" + repositoryAndTag;
  }

  public boolean isTls() {
    return user != null;
  }

  public String user() {
    return user;
  }

  public String password() {
    return password;
  }

  /** The PEM certificate of the TLS variant (also its own CA), for clients that should trust it. */
  public Path certificate() {
    return certificate;
  }

  /** The fixture's temp directory: config, storage, certificate, log. */
  public Path directory() {
    return dir;
  }

  /** The registry's log so far, one request per line. */
  public String log() throws IOException {
    Path log = dir.resolve("registry.log");
    return Files.exists(log) ? Files.readString(log, StandardCharsets.UTF_8) : "";
  }

  /** The lines of the log that record finished requests. */
  public List<String> requestLog() throws IOException {
    return log().lines().filter(l -> l.contains("response completed")).toList();
  }

  private String config() {
    StringBuilder yml = new StringBuilder();
    yml.append("version: 0.1\n")
        .append("log:\n  level: info\n  accesslog:\n    disabled: true\n")
        .append("storage:\n  filesystem:\n    rootdirectory: ")
        .append(dir.resolve("storage"))
        .append("\n  delete:\n    enabled: true\n")
        .append("  maintenance:\n    uploadpurging:\n      enabled: false\n")
        .append("http:\n  addr: 127.0.0.1:")
        .append(port)
        // a fixed secret keeps upload sessions valid across a restart
        .append("\n  secret: jbuild-test-secret\n");
    if (isTls()) {
      yml.append("  tls:\n    certificate: ")
          .append(dir.resolve("cert.pem"))
          .append("\n    key: ")
          .append(dir.resolve("key.pem"))
          .append("\nauth:\n  htpasswd:\n    realm: jbuild-test\n    path: ")
          .append(dir.resolve("htpasswd"))
          .append("\n");
    }
    return yml.toString();
  }

  private void waitUntilUp() throws IOException, InterruptedException {
    HttpClient client =
        isTls()
            ? HttpClient.newBuilder().sslContext(trust).connectTimeout(Duration.ofSeconds(2)).build()
            : HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    URI v2 = URI.create((isTls() ? "https://" : "http://") + host() + "/v2/");
    Instant deadline = Instant.now().plus(START_TIMEOUT);
    IOException last = null;
    while (Instant.now().isBefore(deadline)) {
      if (!process.isAlive()) {
        throw new IllegalStateException(
            "docker-registry exited with " + process.exitValue() + ":\n" + log());
      }
      try {
        int status =
            client
                .send(HttpRequest.newBuilder(v2).GET().build(), HttpResponse.BodyHandlers.discarding())
                .statusCode();
        if (status == 200 || status == 401) {
          return;
        }
      } catch (IOException e) {
        last = e;
      }
      Thread.sleep(50);
    }
    throw new IllegalStateException(
        "docker-registry did not answer " + v2 + " within " + START_TIMEOUT + ":\n" + log(), last);
  }

  private void writeCertificate() throws Exception {
    KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
    generator.initialize(256);
    KeyPair keys = generator.generateKeyPair();
    X500Name subject = new X500Name("CN=jbuild test registry");
    Instant now = Instant.now();
    JcaX509v3CertificateBuilder builder =
        new JcaX509v3CertificateBuilder(
            subject,
            new BigInteger(64, new SecureRandom()),
            Date.from(now.minus(Duration.ofDays(1))),
            Date.from(now.plus(Duration.ofDays(7))),
            subject,
            keys.getPublic());
    builder.addExtension(Extension.basicConstraints, true, new BasicConstraints(true));
    builder.addExtension(
        Extension.subjectAlternativeName,
        false,
        new GeneralNames(
            new GeneralName[] {
              new GeneralName(GeneralName.iPAddress, "127.0.0.1"),
              new GeneralName(GeneralName.dNSName, "localhost")
            }));
    X509Certificate cert =
        new JcaX509CertificateConverter()
            .getCertificate(
                builder.build(new JcaContentSignerBuilder("SHA256withECDSA").build(keys.getPrivate())));
    certificate = dir.resolve("cert.pem");
    try (JcaPEMWriter pem = new JcaPEMWriter(Files.newBufferedWriter(certificate))) {
      pem.writeObject(cert);
    }
    // PKCS#8, which Go's tls.LoadX509KeyPair reads for any key type
    Files.writeString(
        dir.resolve("key.pem"),
        "-----BEGIN PRIVATE KEY-----\n"
            + java.util.Base64.getMimeEncoder(64, new byte[] {'\n'})
                .encodeToString(keys.getPrivate().getEncoded())
            + "\n-----END PRIVATE KEY-----\n",
        StandardCharsets.US_ASCII);
    // skopeo --cert-dir wants the CA as *.crt
    Files.copy(certificate, dir.resolve("ca.crt"));
    KeyStore store = KeyStore.getInstance(KeyStore.getDefaultType());
    store.load(null, null);
    store.setCertificateEntry("registry", cert);
    TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    tmf.init(store);
    trust = SSLContext.getInstance("TLS");
    trust.init(null, tmf.getTrustManagers(), null);
  }

  private static byte[] salt() {
    byte[] salt = new byte[16];
    new SecureRandom().nextBytes(salt);
    return salt;
  }

  private static int freePort() {
    try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return socket.getLocalPort();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
