package dev.jbuild.oci;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Random;
import org.junit.jupiter.api.Test;

class GoTimeTest {

  /** How GoTime wrote times with a formatter and String.format. */
  private static String formatted(Instant t) {
    StringBuilder s =
        new StringBuilder(
            DateTimeFormatter.ofPattern("uuuu-MM-dd'T'HH:mm:ss").withZone(ZoneOffset.UTC).format(t));
    if (t.getNano() != 0) {
      String frac = String.format("%09d", t.getNano());
      int end = frac.length();
      while (frac.charAt(end - 1) == '0') {
        end--;
      }
      s.append('.').append(frac, 0, end);
    }
    return s.append('Z').toString();
  }

  @Test
  void timesAreWrittenAsTheFormatterWroteThem() {
    Random random = new Random(3);
    long[] seconds = {0, 1_700_000_000L, -1, -62_167_219_200L, -62_167_219_201L, 253_402_300_799L,
        253_402_300_800L, 4_102_444_800L};
    int[] nanos = {0, 1, 10, 120_000_000, 123_456_789, 999_999_999, 500_000_000, 50};
    for (long s : seconds) {
      for (int n : nanos) {
        Instant t = Instant.ofEpochSecond(s, n);
        assertThat(GoTime.format(t)).as("%s", t).isEqualTo(formatted(t));
      }
    }
    for (int i = 0; i < 100_000; i++) {
      Instant t =
          Instant.ofEpochSecond(
              random.nextLong() % 400_000_000_000L, i % 3 == 0 ? 0 : random.nextInt(1_000_000_000));
      assertThat(GoTime.format(t)).as("%s", t).isEqualTo(formatted(t));
    }
    assertThat(GoTime.format(Instant.ofEpochSecond(1_700_000_000L, 120_000_000)))
        .isEqualTo("2023-11-14T22:13:20.12Z");
  }

  @Test
  void writtenTimesParseBack() {
    Instant t = Instant.ofEpochSecond(1_765_000_000L, 5);
    assertThat(GoTime.parse(GoTime.format(t), "test")).isEqualTo(t);
  }
}
