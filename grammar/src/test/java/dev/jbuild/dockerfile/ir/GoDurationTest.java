package dev.jbuild.dockerfile.ir;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class GoDurationTest {

  @ParameterizedTest
  @CsvSource({
    "0, 0",
    "+0, 0",
    "30s, 30000000000",
    "1.5s, 1500000000",
    "300ms, 300000000",
    "-1.5h, -5400000000000",
    "2h45m, 9900000000000",
    "1us, 1000",
    "1µs, 1000",
    "1μs, 1000",
    "100ns, 100",
    ".5s, 500000000",
    "1.s, 1000000000",
    "1h1m1s1ms, 3661001000000",
  })
  void parsesLikeGo(String text, long nanos) {
    assertThat(GoDuration.parse(text)).isEqualTo(Duration.ofNanos(nanos));
  }

  @ParameterizedTest
  @CsvSource(
      delimiter = '|',
      value = {
        "''|time: invalid duration \"\"",
        "1|time: missing unit in duration \"1\"",
        "1x|time: unknown unit \"x\" in duration \"1x\"",
        "abc|time: invalid duration \"abc\"",
        ".s|time: invalid duration \".s\"",
        "-|time: invalid duration \"-\"",
        "1s2|time: missing unit in duration \"1s2\"",
        "99999999999999999999h|time: invalid duration \"99999999999999999999h\"",
      })
  void rejectsLikeGo(String text, String message) {
    assertThatThrownBy(() -> GoDuration.parse(text)).isInstanceOf(InvalidValueException.class).hasMessage(message);
  }

  @ParameterizedTest
  @CsvSource({
    "0, 0s",
    "1, 1ns",
    "1500, 1.5µs",
    "1500000, 1.5ms",
    "1000000000, 1s",
    "1500000000, 1.5s",
    "60000000000, 1m0s",
    "3600000000000, 1h0m0s",
    "3661001000000, 1h1m1.001s",
    "-30000000000, -30s",
  })
  void formatsLikeGo(long nanos, String text) {
    assertThat(GoDuration.format(Duration.ofNanos(nanos))).isEqualTo(text);
    assertThat(GoDuration.parse(text)).isEqualTo(Duration.ofNanos(nanos));
  }
}
