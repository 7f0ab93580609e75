package dev.jbuild.build.registry;

import java.time.Duration;

/**
 * How often and how long transient registry failures (connection reset or refused, 5xx, 429)
 * are retried: exponential backoff from {@code initialDelay}, doubling up to {@code maxDelay},
 * at most {@code attempts} tries in all.
 */
public record RetryPolicy(int attempts, Duration initialDelay, Duration maxDelay) {

  /** Five tries over about 15 seconds: enough for a registry restart, short enough to give up. */
  public static final RetryPolicy DEFAULT =
      new RetryPolicy(5, Duration.ofMillis(1000), Duration.ofSeconds(8));

  /** One try: no retries. */
  public static final RetryPolicy NONE = new RetryPolicy(1, Duration.ZERO, Duration.ZERO);

  public RetryPolicy {
    if (attempts < 1) {
      throw new IllegalArgumentException("attempts must be at least 1");
    }
    if (initialDelay.isNegative() || maxDelay.isNegative()) {
      throw new IllegalArgumentException("delays must not be negative");
    }
  }

  /** The pause after failed attempt {@code attempt} (from 1). */
  public Duration delayAfter(int attempt) {
    long millis = initialDelay.toMillis();
    for (int i = 1; i < attempt && millis < maxDelay.toMillis(); i++) {
      millis *= 2;
    }
    return Duration.ofMillis(Math.min(millis, maxDelay.toMillis()));
  }
}
