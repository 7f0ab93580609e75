package dev.jbuild.dockerfile.ir;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

class SuggestionsTest {

  private static final List<String> NAMES = List.of("ADD", "COPY", "RUN", "WORKDIR", "ENV", "EXPOSE");

  @Test
  void suggestsTheClosestInTheCaseOfTheValue() {
    assertThat(Suggestions.closest("RUNN", NAMES, false)).contains("RUN");
    assertThat(Suggestions.closest("runn", NAMES, false)).contains("run");
    assertThat(Suggestions.closest("Runn", NAMES, false)).contains("run");
    assertThat(Suggestions.closest("WORKDIT", NAMES, false)).contains("WORKDIR");
  }

  @Test
  void nothingWhenTooFarOrExact() {
    assertThat(Suggestions.closest("FOOBAR", NAMES, false)).isEmpty();
    assertThat(Suggestions.closest("run", NAMES, false)).isEmpty();
    assertThat(Suggestions.closest("Run", List.of("run"), true)).contains("run");
  }

  @Test
  void distanceIsLevenshtein() {
    assertThat(Suggestions.distance("kitten", "sitting")).isEqualTo(3);
    assertThat(Suggestions.distance("", "abc")).isEqualTo(3);
    assertThat(Suggestions.distance("flaw", "lawn")).isEqualTo(2);
  }

  @Test
  void wrapAppendsTheHint() {
    assertThat(Suggestions.wrap("unknown flag: --fro", "fro", List.of("from", "chown"), true))
        .isEqualTo("unknown flag: --fro (did you mean from?)");
  }
}
