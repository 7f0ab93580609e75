package dev.jbuild.build.registry;

import com.google.cloud.tools.jib.api.LogEvent;
import com.google.cloud.tools.jib.http.Authorization;
import com.google.cloud.tools.jib.http.FailoverHttpClient;
import com.google.cloud.tools.jib.registry.RegistryClient;
import java.lang.reflect.Constructor;
import java.lang.reflect.Field;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;

/**
 * The two places where Jib Core 0.28.1's public API falls short, reached reflectively and kept
 * in one class so that a Jib upgrade breaks here, loudly, and nowhere else.
 *
 * <ul>
 *   <li>{@code RegistryClient} parses every manifest it pulls into its lossy templates; to fetch
 *       exact bytes we send the GET ourselves through the same {@link FailoverHttpClient}, with
 *       the {@link Authorization} the client negotiated.
 *   <li>The public {@code FailoverHttpClient} constructor retries I/O failures with Google HTTP
 *       client's default backoff for up to 15 minutes; {@link RetryPolicy} is ours and bounded,
 *       so we build the client with Jib's retry switched off.
 * </ul>
 */
final class JibAccess {

  private static final Field AUTHORIZATION;
  private static final Constructor<FailoverHttpClient> CLIENT;

  static {
    try {
      AUTHORIZATION = RegistryClient.class.getDeclaredField("authorization");
      AUTHORIZATION.setAccessible(true);
      CLIENT =
          FailoverHttpClient.class.getDeclaredConstructor(
              boolean.class, boolean.class, Consumer.class, boolean.class);
      CLIENT.setAccessible(true);
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
}
