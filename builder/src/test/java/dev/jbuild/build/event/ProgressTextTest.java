package dev.jbuild.build.event;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Locale;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The durations and sizes of the progress lines. */
class ProgressTextTest {

  @Test
  void secondsAreThoseOfPercentPointOneF() {
    for (long ms = 0; ms < 200_000; ms++) {
      assertThat(ProgressText.seconds(ms))
          .as("%d ms", ms)
          .isEqualTo(String.format(Locale.ROOT, "%.1fs", ms / 1000.0));
    }
    assertThat(ProgressText.seconds(49)).isEqualTo("0.0s");
    assertThat(ProgressText.seconds(50)).isEqualTo("0.1s");
    assertThat(ProgressText.seconds(61_949)).isEqualTo("61.9s");
  }

  @Test
  void sizesAreThoseOfPercentPointOneFOfTheDoubleQuotient() {
    Random random = new Random(7);
    for (int i = 0; i < 400_000; i++) {
      long n = i < 200_000 ? 1000 + 7L * i : (long) Math.exp(random.nextDouble() * 42);
      assertThat(ProgressText.bytes(n)).as("%d bytes", n).isEqualTo(formatted(n));
    }
    assertThat(ProgressText.bytes(29)).isEqualTo("29B");
    assertThat(ProgressText.bytes(1023)).isEqualTo("1023B");
    assertThat(ProgressText.bytes(199_800)).isEqualTo("199.8kB");
    assertThat(ProgressText.bytes(999_950)).isEqualTo("1000.0kB");
    assertThat(ProgressText.bytes(Long.MAX_VALUE)).isEqualTo(formatted(Long.MAX_VALUE));
    assertThat(ProgressText.bytes(-1)).isEqualTo("?");
  }

  /** What the progress printed with String.format. */
  private static String formatted(long n) {
    if (n < 1024) {
      return n + "B";
    }
    double v = n;
    String[] units = {"kB", "MB", "GB", "TB"};
    int u = -1;
    while (v >= 1000 && u < units.length - 1) {
      v /= 1000;
      u++;
    }
    return String.format(Locale.ROOT, "%.1f%s", v, units[Math.max(u, 0)]);
  }
}
