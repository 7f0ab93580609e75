package dev.jbuild.build.registry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class RetryPolicyTest {

  @Test
  void delaysDoubleUpToTheCap() {
    RetryPolicy p = new RetryPolicy(6, Duration.ofMillis(100), Duration.ofMillis(350));
    assertThat(p.delayAfter(1)).isEqualTo(Duration.ofMillis(100));
    assertThat(p.delayAfter(2)).isEqualTo(Duration.ofMillis(200));
    assertThat(p.delayAfter(3)).isEqualTo(Duration.ofMillis(350));
    assertThat(p.delayAfter(10)).isEqualTo(Duration.ofMillis(350));
  }

  @Test
  void defaultGivesUpWithinHalfAMinute() {
    long total = 0;
    for (int i = 1; i < RetryPolicy.DEFAULT.attempts(); i++) {
      total += RetryPolicy.DEFAULT.delayAfter(i).toMillis();
    }
    assertThat(total).isBetween(5_000L, 30_000L);
  }

  @Test
  void rejectsNonsense() {
    assertThatThrownBy(() -> new RetryPolicy(0, Duration.ZERO, Duration.ZERO))
        .isInstanceOf(IllegalArgumentException.class);
  }
}
