package dev.jbuild.build.registry;

import com.google.cloud.tools.jib.http.FailoverHttpClient;
import dev.jbuild.build.event.BuildListener;
import java.util.ArrayList;
import java.util.List;

/**
 * Opens {@link Registry} connections with the user's options: which registries may use plain
 * HTTP, where credentials are, which mirrors to try for pulls, how to retry.
 *
 * <p>Transport, as Docker decides it: a registry named with {@code --insecure-registry} may use
 * unverified TLS or plain HTTP; localhost and the loopback addresses may use plain HTTP when
 * they do not speak TLS, but a TLS certificate they present is still verified; every other
 * registry needs verified TLS.
 */
public final class Registries {

  /** A mirror that fails is left quickly: the registry itself is the next candidate. */
  private static final RetryPolicy MIRROR_RETRY =
      new RetryPolicy(2, java.time.Duration.ofMillis(200), java.time.Duration.ofMillis(200));

  private final RegistryOptions options;
  private final BuildListener listener;

  public Registries(RegistryOptions options, BuildListener listener) {
    this.options = options;
    this.listener = listener;
  }

  public RegistryOptions options() {
    return options;
  }

  /** A connection to the reference's repository with pull access, on the registry itself. */
  public Registry openForPull(ImageReference ref) {
    return open(ref.registry(), ref.repository(), false, options.retry());
  }

  /**
   * A connection for pulling that tries the registry's mirrors first and falls back to the
   * registry itself, announcing each fallback as a warning event.
   */
  public Registry openMirrored(ImageReference ref) {
    List<String> mirrors = options.mirrors().getOrDefault(ref.registry(), List.of());
    if (mirrors.isEmpty()) {
      return openForPull(ref);
    }
    List<FallbackRegistry.Candidate> candidates = new ArrayList<>();
    for (String mirror : mirrors) {
      candidates.add(
          new FallbackRegistry.Candidate(
              mirror + "/" + ref.repository(),
              () -> open(mirror, ref.repository(), false, MIRROR_RETRY)));
    }
    candidates.add(
        new FallbackRegistry.Candidate(
            ref.name(), () -> open(ref.registry(), ref.repository(), false, options.retry())));
    return new FallbackRegistry(ref.name(), candidates, listener);
  }

  /** A connection to the reference's repository with push (and pull) access. */
  public Registry openForPush(ImageReference ref) {
    return open(ref.registry(), ref.repository(), true, options.retry());
  }

  private Registry open(String registry, String repository, boolean push, RetryPolicy retry) {
    String apiHost =
        registry.equals(ImageReference.DOCKER_HUB) ? ImageReference.DOCKER_HUB_API_HOST : registry;
    FailoverHttpClient http = client(registry, apiHost, repository);
    Credentials.Lookup credentials = options.credentials().lookup(registry);
    return new JibRegistry(
        registry,
        apiHost,
        repository,
        push,
        credentials,
        options.credentials().files(),
        http,
        retry,
        listener);
  }

  /**
   * The HTTP client for this registry: verified TLS only; or, for an insecure registry, Jib's
   * failover to unverified TLS and plain HTTP; or, for a loopback registry found to speak plain
   * HTTP on its port, a client that goes to HTTP at once and sets up TLS only if a redirect
   * needs it (Jib would try TLS twice, building two trust stores, before each new host). An
   * insecure registry with a port gets the same plain client when one plain request shows that
   * the port speaks HTTP, which is where Jib's failover would end up.
   */
  private FailoverHttpClient client(String registry, String apiHost, String repository) {
    String host = RegistryOptions.hostOf(apiHost);
    boolean explicitPort = apiHost.length() > host.length();
    int port = explicitPort ? Integer.parseInt(apiHost.substring(host.length() + 1)) : 443;
    if (options.isInsecure(registry)) {
      if (explicitPort) {
        String bare = host.startsWith("[") ? host.substring(1, host.length() - 1) : host;
        TlsProbe.Result plain = TlsProbe.plainProbe(host, bare, port);
        if (plain != null && plain.outcome() == TlsProbe.Outcome.PLAIN) {
          return JibAccess.plainHttpClient(apiHost, true, log -> {});
        }
      }
      return JibAccess.httpClient(true, log -> {});
    }
    if (!RegistryOptions.isLoopback(registry)) {
      return JibAccess.httpClient(false, log -> {});
    }
    TlsProbe.Result probe = TlsProbe.probe(host, port);
    switch (probe.outcome()) {
      case UNTRUSTED:
        throw new RegistryException(
            registry,
            repository,
            0,
            "TLS with registry " + registry + " failed (" + probe.detail() + "): its certificate"
                + " is not trusted; if you trust this registry, pass --insecure-registry "
                + registry);
      case TRUSTED:
        return JibAccess.httpClient(false, log -> {});
      case PLAIN:
        if (explicitPort) {
          return JibAccess.plainHttpClient(apiHost, false, log -> {});
        }
        return JibAccess.httpClient(true, log -> {});
      case UNREACHABLE:
      default:
        // plain HTTP is what Docker allows here; an unreachable registry fails on the first
        // request with a message that names it
        return JibAccess.httpClient(true, log -> {});
    }
  }
}
