package dev.jbuild.build.registry;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.google.cloud.tools.jib.api.Credential;
import com.google.cloud.tools.jib.api.DescriptorDigest;
import com.google.cloud.tools.jib.api.InsecureRegistryException;
import com.google.cloud.tools.jib.api.RegistryAuthenticationFailedException;
import com.google.cloud.tools.jib.api.RegistryUnauthorizedException;
import com.google.cloud.tools.jib.blob.BlobDescriptor;
import com.google.cloud.tools.jib.blob.Blobs;
import com.google.cloud.tools.jib.event.EventHandlers;
import com.google.cloud.tools.jib.http.FailoverHttpClient;
import com.google.cloud.tools.jib.http.Request;
import com.google.cloud.tools.jib.http.Response;
import com.google.cloud.tools.jib.http.ResponseException;
import com.google.cloud.tools.jib.registry.RegistryClient;
import com.google.cloud.tools.jib.registry.RegistryCredentialsNotSentException;
import dev.jbuild.build.event.BuildEvent;
import dev.jbuild.build.event.BuildListener;
import dev.jbuild.oci.Digest;
import dev.jbuild.oci.MediaTypes;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.io.OutputStream;
import java.net.ConnectException;
import java.net.NoRouteToHostException;
import java.net.SocketTimeoutException;
import java.net.URL;
import java.net.UnknownHostException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.DigestException;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongConsumer;
import javax.net.ssl.SSLException;

/**
 * {@link Registry} on Jib Core: {@link RegistryClient} negotiates auth (bearer token or basic)
 * and moves blobs (HEAD, GET with digest check, POST/PATCH/PUT and cross-repository mounts);
 * manifests are fetched with a direct GET on the same {@link FailoverHttpClient} so that we keep
 * their exact bytes, and pushed through a {@link RawManifestTemplate}. Every call goes through
 * {@link #call}, which retries transient failures and turns everything else into a {@link
 * RegistryException} that says what to do.
 */
final class JibRegistry implements Registry {

  private static final List<String> MANIFEST_TYPES =
      List.of(
          MediaTypes.OCI_INDEX,
          MediaTypes.DOCKER_MANIFEST_LIST,
          MediaTypes.OCI_MANIFEST,
          MediaTypes.DOCKER_MANIFEST);
  private static final ObjectMapper JSON = new ObjectMapper();

  private final String registry;
  private final String apiHost;
  private final String repository;
  private final boolean push;
  private final Credentials.Lookup credentials;
  private final List<Path> credentialFiles;
  private final FailoverHttpClient http;
  private final RegistryClient client;
  private final RetryPolicy retry;
  private final BuildListener listener;
  private boolean authenticated;

  /**
   * @param registry the registry as named in references ({@code docker.io}, {@code host:5000})
   * @param apiHost where its API is served
   * @param push whether to ask for push access
   */
  JibRegistry(
      String registry,
      String apiHost,
      String repository,
      boolean push,
      Credentials.Lookup credentials,
      List<Path> credentialFiles,
      FailoverHttpClient http,
      RetryPolicy retry,
      BuildListener listener) {
    this.registry = registry;
    this.apiHost = apiHost;
    this.repository = repository;
    this.push = push;
    this.credentials = credentials;
    this.credentialFiles = List.copyOf(credentialFiles);
    this.http = http;
    this.retry = retry;
    this.listener = listener;
    Credential credential = credentials.credential().orElse(null);
    this.client =
        RegistryClient.factory(EventHandlers.NONE, apiHost, repository, http)
            .setCredential(credential)
            .setUserAgent("jbuild")
            .newRegistryClient();
  }

  @Override
  public String name() {
    return registry + "/" + repository;
  }

  @Override
  public RemoteManifest pullManifest(String tagOrDigest) {
    String what = name() + (tagOrDigest.contains(":") ? "@" : ":") + tagOrDigest;
    RemoteManifest manifest =
        call(
            "pull manifest " + what,
            what,
            () -> {
              authenticate();
              URL url = new URL("https://" + apiHost + "/v2/" + repository + "/manifests/" + tagOrDigest);
              Request request =
                  Request.builder()
                      .setUserAgent("jbuild")
                      .setAccept(MANIFEST_TYPES)
                      .setAuthorization(JibAccess.authorization(client))
                      .build();
              try (Response response = http.get(url, request);
                  InputStream body = response.getBody()) {
                byte[] bytes = body.readAllBytes();
                List<String> types = response.getHeader("Content-Type");
                String header = types.isEmpty() ? "" : types.get(0);
                return new RemoteManifest(bytes, mediaType(bytes, header), Digest.of(bytes));
              }
            });
    if (tagOrDigest.contains(":") && !manifest.digest().toString().equals(tagOrDigest)) {
      throw new RegistryException(
          registry,
          repository,
          0,
          "registry " + registry + " served a manifest for " + what + " whose digest is "
              + manifest.digest() + ": the registry or a proxy altered it; refusing to use it");
    }
    return manifest;
  }

  /** The document's own mediaType wins; OCI manifests may omit it, then the header decides. */
  private static String mediaType(byte[] bytes, String header) throws IOException {
    JsonNode node = JSON.readTree(bytes);
    if (node != null && node.hasNonNull("mediaType")) {
      return node.get("mediaType").asText();
    }
    String type = header.contains(";") ? header.substring(0, header.indexOf(';')).trim() : header;
    if (!type.isEmpty() && !type.equals("application/json")) {
      return type;
    }
    return node != null && node.has("manifests") ? MediaTypes.OCI_INDEX : MediaTypes.OCI_MANIFEST;
  }

  @Override
  public Optional<Long> checkBlob(Digest digest) {
    return call(
        "check blob " + digest + " in " + name(),
        name() + "@" + digest,
        () -> {
          authenticate();
          return client.checkBlob(jib(digest)).map(BlobDescriptor::getSize);
        });
  }

  @Override
  public void pullBlob(Digest digest, Path target, LongConsumer progress) {
    call(
        "pull blob " + digest + " from " + name(),
        name() + "@" + digest,
        () -> {
          authenticate();
          AtomicLong done = new AtomicLong();
          progress.accept(0);
          try (OutputStream out = Files.newOutputStream(target)) {
            client
                .pullBlob(jib(digest), size -> {}, n -> progress.accept(done.addAndGet(n)))
                .writeTo(out);
          }
          return null;
        });
  }

  @Override
  public boolean pushBlob(
      Digest digest, Path file, Optional<String> mountFrom, LongConsumer progress) {
    return call(
        "push blob " + digest + " to " + name(),
        name() + "@" + digest,
        () -> {
          authenticate();
          AtomicLong done = new AtomicLong();
          boolean mounted =
              client.pushBlob(
                  jib(digest),
                  Blobs.from(file),
                  mountFrom.filter(from -> !from.equals(repository)).orElse(null),
                  n -> progress.accept(done.addAndGet(n)));
          return mounted;
        });
  }

  @Override
  public Digest pushManifest(byte[] manifest, String mediaType, String tagOrDigest) {
    String what = name() + (tagOrDigest.contains(":") ? "@" : ":") + tagOrDigest;
    RawManifestTemplate template = new RawManifestTemplate(manifest, mediaType);
    call(
        "push manifest " + what,
        what,
        () -> {
          authenticate();
          return client.pushManifest(template, tagOrDigest);
        });
    return Digest.of(manifest);
  }

  @Override
  public void close() {
    try {
      http.shutDown();
    } catch (IOException e) {
      // connections are being torn down anyway; nothing the user can do
    }
  }

  private synchronized void authenticate() throws IOException, com.google.cloud.tools.jib.api.RegistryException {
    if (authenticated) {
      return;
    }
    boolean bearer = push ? client.doPushBearerAuth() : client.doPullBearerAuth();
    if (!bearer && credentials.credential().isPresent()) {
      client.configureBasicAuth();
    }
    authenticated = true;
  }

  private static DescriptorDigest jib(Digest digest) {
    try {
      return DescriptorDigest.fromDigest(digest.toString());
    } catch (DigestException e) {
      throw new IllegalArgumentException("Jib accepts only sha256 digests: " + digest, e);
    }
  }

  /** One registry request, retried while it fails transiently. */
  @FunctionalInterface
  interface RegistryCall<T> {
    T run() throws IOException, com.google.cloud.tools.jib.api.RegistryException;
  }

  /**
   * Runs a request with the retry policy.
   *
   * @param action what is being done, for events and messages
   * @param subject the reference or blob, for 404 messages
   */
  <T> T call(String action, String subject, RegistryCall<T> body) {
    for (int attempt = 1; ; attempt++) {
      Failure failure;
      try {
        return body.run();
      } catch (IOException | com.google.cloud.tools.jib.api.RegistryException | RuntimeException e) {
        if (e instanceof RegistryException) {
          throw (RegistryException) e;
        }
        failure = classify(e, action, subject);
        if (failure.cause() instanceof InterruptedIOException
            && !(failure.cause() instanceof SocketTimeoutException)) {
          Thread.currentThread().interrupt();
          throw failure.exception(attempt);
        }
      }
      if (!failure.transientFailure() || attempt >= retry.attempts()) {
        throw failure.exception(attempt);
      }
      long delay = retry.delayAfter(attempt).toMillis();
      listener.onEvent(new BuildEvent.Retrying(action, attempt, delay, failure.reason()));
      try {
        Thread.sleep(delay);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new RegistryException(registry, repository, 0, action + " was interrupted", e);
      }
    }
  }

  /** What went wrong, whether trying again may help, and the message if it does not. */
  private record Failure(
      boolean transientFailure, int status, String reason, String message, Throwable cause,
      String registry, String repository) {
    RegistryException exception(int attempts) {
      String suffix = attempts > 1 ? " (gave up after " + attempts + " attempts)" : "";
      return new RegistryException(registry, repository, status, message + suffix, cause);
    }
  }

  private Failure classify(Exception e, String action, String subject) {
    Throwable t = unwrap(e);
    String where = "registry " + registry;
    if (t instanceof RegistryUnauthorizedException) {
      int status = Math.max(statusOf(t), 401);
      return fail(false, status, authMessage(action, status), t);
    }
    if (t instanceof RegistryAuthenticationFailedException) {
      return fail(false, 401, authMessage(action, 401), t);
    }
    if (t instanceof RegistryCredentialsNotSentException) {
      return fail(
          false,
          401,
          action + ": " + where + " requires credentials, but it is reached over plain HTTP and"
              + " jbuild does not send credentials unencrypted; serve it over TLS",
          t);
    }
    if (t instanceof InsecureRegistryException || t instanceof SSLException) {
      return fail(false, 0, tlsMessage(action, t), t);
    }
    if (t instanceof UnknownHostException) {
      return fail(
          false,
          0,
          action + ": cannot resolve the registry host " + hostPart() + " (check the name and"
              + " your DNS)",
          t);
    }
    if (t instanceof ConnectException || t instanceof NoRouteToHostException) {
      return fail(
          true,
          0,
          action + ": cannot connect to " + where + " at " + hostAndPort() + " ("
              + TlsProbe.rootMessage(t) + "): is the registry running at " + hostAndPort() + "?",
          t);
    }
    int status = statusOf(t);
    if (status == 401 || status == 403) {
      return fail(false, status, authMessage(action, status), t);
    }
    if (status == 404) {
      return fail(
          false,
          404,
          action + ": " + subject + " not found (HTTP 404): check the repository, the tag or"
              + " digest, and that it was pushed",
          t);
    }
    if (status == 429 || status >= 500) {
      return fail(
          true,
          status,
          action + ": " + where + " answered HTTP " + status
              + (status == 429 ? " (too many requests)" : " (server error)")
              + "; try again later",
          t);
    }
    if (status > 0) {
      return fail(
          false,
          status,
          action + ": " + where + " answered HTTP " + status + ": " + detail(t),
          t);
    }
    if (t instanceof SocketTimeoutException) {
      return fail(true, 0, action + ": " + where + " did not answer in time", t);
    }
    if (t instanceof IOException) {
      // connection reset, broken pipe, a registry going away mid-transfer, digest mismatch
      return fail(
          true,
          0,
          action + ": the connection to " + where + " failed: " + TlsProbe.rootMessage(t),
          t);
    }
    return fail(false, 0, action + ": " + where + ": " + detail(t), t);
  }

  private Failure fail(boolean transientFailure, int status, String message, Throwable cause) {
    String reason = status > 0 ? "HTTP " + status : TlsProbe.rootMessage(cause);
    return new Failure(transientFailure, status, reason, message, cause, registry, repository);
  }

  private String authMessage(String action, int status) {
    String verb = status == 403 ? "refused" : "denied";
    String tried =
        credentials.source() != null
            ? "the credentials from " + credentials.source() + " were rejected; log in again"
                + " (docker login " + registry + ") or fix that file"
            : credentials.origin() != null
            ? "the credentials from " + credentials.origin() + " were rejected; fix them there"
            : "no credentials for " + registry + " were found (looked in "
                + (credentialFiles.isEmpty() ? "no auth files" : credentialFiles.toString())
                + "); log in with docker login " + registry + " or set REGISTRY_AUTH_FILE";
    return action + ": registry " + registry + " " + verb + " access to " + repository
        + " (HTTP " + status + "): " + tried;
  }

  private String tlsMessage(String action, Throwable t) {
    return action + ": TLS with registry " + registry + " failed (" + TlsProbe.rootMessage(t)
        + "); if you trust this registry, pass --insecure-registry " + registry;
  }

  private String hostAndPort() {
    return apiHost.contains(":") && !apiHost.endsWith("]") ? apiHost : apiHost + ":443";
  }

  private String hostPart() {
    return RegistryOptions.hostOf(apiHost);
  }

  private static Throwable unwrap(Throwable e) {
    Throwable t = e;
    // pullBlob wraps registry errors in IOException; Jib wraps some causes once more
    while ((t.getClass() == IOException.class || t instanceof java.io.UncheckedIOException)
        && t.getCause() != null) {
      t = t.getCause();
    }
    return t;
  }

  private static int statusOf(Throwable t) {
    for (Throwable c = t; c != null; c = c.getCause()) {
      if (c instanceof ResponseException) {
        return ((ResponseException) c).getStatusCode();
      }
      if (c.getCause() == c) {
        break;
      }
    }
    return 0;
  }

  private static String detail(Throwable t) {
    String message = t.getMessage();
    return message == null ? t.getClass().getSimpleName() : message.lines().findFirst().orElse("");
  }
}
