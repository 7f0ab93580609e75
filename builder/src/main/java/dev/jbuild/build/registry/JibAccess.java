package dev.jbuild.build.registry;

import com.google.cloud.tools.jib.api.LogEvent;
import com.google.cloud.tools.jib.http.Authorization;
import com.google.cloud.tools.jib.http.FailoverHttpClient;
import com.google.cloud.tools.jib.registry.RegistryClient;
import java.lang.reflect.Constructor;
import java.lang.reflect.InvocationHandler;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.net.ProxySelector;
import java.net.URL;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import java.lang.reflect.Field;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;

/**
 * The places where Jib Core 0.28.1's public API falls short, reached reflectively and kept
 * in one class so that a Jib upgrade breaks here, loudly, and nowhere else.
 *
 * <ul>
 *   <li>{@code RegistryClient} parses every manifest it pulls into its lossy templates; to fetch
 *       exact bytes we send the GET ourselves through the same {@link FailoverHttpClient}, with
 *       the {@link Authorization} the client negotiated.
 *   <li>The public {@code FailoverHttpClient} constructor retries I/O failures with Google HTTP
 *       client's default backoff for up to 15 minutes; {@link RetryPolicy} is ours and bounded,
 *       so we build the client with Jib's retry switched off.
 *   <li>For a registry known to speak plain HTTP, the client is given its transports and a
 *       failover history that already says "HTTP", so that it neither tries TLS first nor
 *       builds the JDK's trust store (twice) for a transport that only carries plain HTTP.
 * </ul>
 */
final class JibAccess {

  private static final Field AUTHORIZATION;
  private static final Constructor<FailoverHttpClient> CLIENT;
  private static final Constructor<FailoverHttpClient> CLIENT_WITH_TRANSPORTS;
  private static final Field FAILOVER_HISTORY;
  private static final Object FAILOVER_HTTP;
  private static final Method INSECURE_TRANSPORT;

  static {
    try {
      AUTHORIZATION = RegistryClient.class.getDeclaredField("authorization");
      AUTHORIZATION.setAccessible(true);
      CLIENT =
          FailoverHttpClient.class.getDeclaredConstructor(
              boolean.class, boolean.class, Consumer.class, boolean.class);
      CLIENT.setAccessible(true);
      CLIENT_WITH_TRANSPORTS =
          FailoverHttpClient.class.getDeclaredConstructor(
              boolean.class, boolean.class, Consumer.class, Supplier.class, Supplier.class,
              boolean.class);
      CLIENT_WITH_TRANSPORTS.setAccessible(true);
      FAILOVER_HISTORY = FailoverHttpClient.class.getDeclaredField("failoverHistory");
      FAILOVER_HISTORY.setAccessible(true);
      INSECURE_TRANSPORT = FailoverHttpClient.class.getDeclaredMethod("getInsecureHttpTransport");
      INSECURE_TRANSPORT.setAccessible(true);
      Class<?> failover =
          Class.forName(FailoverHttpClient.class.getName() + "$Failover", true,
              FailoverHttpClient.class.getClassLoader());
      Object http = null;
      for (Object constant : failover.getEnumConstants()) {
        if (((Enum<?>) constant).name().equals("HTTP")) {
          http = constant;
        }
      }
      if (http == null) {
        throw new NoSuchFieldException("FailoverHttpClient$Failover.HTTP");
      }
      FAILOVER_HTTP = http;
    } catch (ReflectiveOperationException | RuntimeException e) {
      throw new IllegalStateException(
          "this jbuild was built against Jib Core 0.28.1; the Jib on the class path differs", e);
    }
  }

  private JibAccess() {}

  /** The authorization the client uses now (basic, bearer or none). */
  @SuppressWarnings("unchecked")
  static Authorization authorization(RegistryClient client) {
    try {
      return ((AtomicReference<Authorization>) AUTHORIZATION.get(client)).get();
    } catch (IllegalAccessException e) {
      throw new IllegalStateException(e);
    }
  }

  /**
   * A failover client without Jib's own I/O retries.
   *
   * @param insecure fall back to unverified TLS and then plain HTTP
   */
  static FailoverHttpClient httpClient(boolean insecure, Consumer<LogEvent> logger) {
    try {
      // credentials are never sent over plain HTTP
      return CLIENT.newInstance(insecure, false, logger, false);
    } catch (ReflectiveOperationException e) {
      throw new IllegalStateException(e);
    }
  }

  /**
   * A client for a registry at {@code apiHost} (host and port) that speaks plain HTTP: its
   * requests go to {@code http://} at once, as Jib's own failover would end up doing, over an
   * Apache transport whose TLS is set up only if a redirect leads to an {@code https} URL.
   *
   * @param insecure the registry was named insecure: its unverified-TLS fallback is Jib's own
   *     (built only if a request needs it), as with {@link #httpClient}
   */
  @SuppressWarnings("unchecked")
  static FailoverHttpClient plainHttpClient(
      String apiHost, boolean insecure, Consumer<LogEvent> logger) {
    try {
      Supplier<Object> transport = JibAccess::plainTransport;
      Supplier<Object> fallback = insecure ? JibAccess::insecureTransport : transport;
      FailoverHttpClient client =
          CLIENT_WITH_TRANSPORTS.newInstance(true, false, logger, transport, fallback, false);
      URL url = new URL("https://" + apiHost + "/v2/");
      ((Map<String, Object>) FAILOVER_HISTORY.get(client))
          .put(url.getHost() + ":" + url.getPort(), FAILOVER_HTTP);
      return client;
    } catch (ReflectiveOperationException | java.net.MalformedURLException e) {
      throw new IllegalStateException(e);
    }
  }

  /**
   * Google HTTP client's Apache transport as {@code ApacheHttpTransport.newDefaultHttpClientBuilder}
   * configures it (pool sizes, system proxies, no redirects or retries of its own), except that
   * the TLS socket factory is made on first use and the public-suffix list (only used to reject
   * cookies set for a public suffix) is not loaded. Built reflectively: Jib has these libraries
   * as runtime dependencies only.
   */
  private static Object plainTransport() {
    try {
      ClassLoader cl = FailoverHttpClient.class.getClassLoader();
      Class<?> socketFactory = cl.loadClass("org.apache.http.conn.socket.ConnectionSocketFactory");
      Class<?> layered = cl.loadClass("org.apache.http.conn.socket.LayeredConnectionSocketFactory");
      Object plain =
          cl.loadClass("org.apache.http.conn.socket.PlainConnectionSocketFactory")
              .getMethod("getSocketFactory")
              .invoke(null);
      Object lazyTls =
          Proxy.newProxyInstance(cl, new Class<?>[] {layered}, new LazyTls(
              cl.loadClass("org.apache.http.conn.ssl.SSLConnectionSocketFactory")
                  .getMethod("getSystemSocketFactory")));
      Class<?> registryBuilder = cl.loadClass("org.apache.http.config.RegistryBuilder");
      Object rb = registryBuilder.getMethod("create").invoke(null);
      Method register = registryBuilder.getMethod("register", String.class, Object.class);
      register.invoke(rb, "http", plain);
      register.invoke(rb, "https", lazyTls);
      Object sockets = registryBuilder.getMethod("build").invoke(rb);
      Class<?> pool = cl.loadClass("org.apache.http.impl.conn.PoolingHttpClientConnectionManager");
      Object connections =
          pool.getConstructor(
                  cl.loadClass("org.apache.http.config.Registry"),
                  cl.loadClass("org.apache.http.conn.HttpConnectionFactory"),
                  cl.loadClass("org.apache.http.conn.SchemePortResolver"),
                  cl.loadClass("org.apache.http.conn.DnsResolver"),
                  long.class,
                  TimeUnit.class)
              .newInstance(sockets, null, null, null, -1L, TimeUnit.MILLISECONDS);
      pool.getMethod("setMaxTotal", int.class).invoke(connections, 200);
      pool.getMethod("setDefaultMaxPerRoute", int.class).invoke(connections, 20);
      Class<?> suffixes = cl.loadClass("org.apache.http.conn.util.PublicSuffixMatcher");
      Object noSuffixes =
          suffixes.getConstructor(java.util.Collection.class, java.util.Collection.class)
              .newInstance(List.of(), List.of());
      Class<?> planner = cl.loadClass("org.apache.http.impl.conn.SystemDefaultRoutePlanner");
      Object routes = planner.getConstructor(ProxySelector.class).newInstance(ProxySelector.getDefault());
      Class<?> builder = cl.loadClass("org.apache.http.impl.client.HttpClientBuilder");
      Object b = builder.getMethod("create").invoke(null);
      builder.getMethod("useSystemProperties").invoke(b);
      builder.getMethod("setConnectionManager",
          cl.loadClass("org.apache.http.conn.HttpClientConnectionManager")).invoke(b, connections);
      builder.getMethod("setPublicSuffixMatcher", suffixes).invoke(b, noSuffixes);
      builder.getMethod("setRoutePlanner",
          cl.loadClass("org.apache.http.conn.routing.HttpRoutePlanner")).invoke(b, routes);
      builder.getMethod("disableRedirectHandling").invoke(b);
      builder.getMethod("disableAutomaticRetries").invoke(b);
      Object httpClient = builder.getMethod("build").invoke(b);
      return cl.loadClass("com.google.api.client.http.apache.v2.ApacheHttpTransport")
          .getConstructor(cl.loadClass("org.apache.http.client.HttpClient"))
          .newInstance(httpClient);
    } catch (ReflectiveOperationException e) {
      throw new IllegalStateException(
          "this jbuild was built against Jib Core 0.28.1 and its HTTP libraries; they differ", e);
    }
  }

  /** Jib's transport that accepts any certificate. */
  private static Object insecureTransport() {
    try {
      return INSECURE_TRANSPORT.invoke(null);
    } catch (IllegalAccessException e) {
      throw new IllegalStateException(e);
    } catch (InvocationTargetException e) {
      throw e.getCause() instanceof RuntimeException
          ? (RuntimeException) e.getCause()
          : new IllegalStateException(e.getCause());
    }
  }

  /** Jib's TLS socket factory ({@code getSystemSocketFactory}), built when first needed. */
  private static final class LazyTls implements InvocationHandler {
    private final Method factory;
    private volatile Object delegate;

    LazyTls(Method factory) {
      this.factory = factory;
    }

    @Override
    public Object invoke(Object proxy, Method method, Object[] args) throws Throwable {
      if (method.getDeclaringClass() == Object.class) {
        switch (method.getName()) {
          case "equals":
            return proxy == args[0];
          case "hashCode":
            return System.identityHashCode(proxy);
          default:
            return "LazyTls";
        }
      }
      Object d = delegate;
      if (d == null) {
        synchronized (this) {
          if (delegate == null) {
            delegate = factory.invoke(null);
          }
          d = delegate;
        }
      }
      try {
        return method.invoke(d, args);
      } catch (InvocationTargetException e) {
        throw e.getCause();
      }
    }
  }
}
