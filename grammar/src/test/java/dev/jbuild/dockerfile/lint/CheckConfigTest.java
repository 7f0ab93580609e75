package dev.jbuild.dockerfile.lint;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The {@code # check=} directive: BuildKit's ParseLintOptions and the per-instruction merge. */
class CheckConfigTest {

  @Test
  void parsesEveryOption() throws InvalidCheckConfigException {
    CheckConfig c = CheckConfig.parse(" skip = A, B ; error=true;experimental=C ");
    assertThat(c.skip()).containsExactly("A", "B");
    assertThat(c.experimental()).containsExactly("C");
    assertThat(c.error()).isTrue();
    assertThat(c.skipAll()).isFalse();
    assertThat(CheckConfig.parse("")).isEqualTo(CheckConfig.DEFAULT);
    assertThat(CheckConfig.parse("skip=all;experimental=all").skipAll()).isTrue();
    assertThat(CheckConfig.parse("error=1").error()).isTrue();
    assertThat(CheckConfig.parse("error=False").error()).isFalse();
  }

  @Test
  void rejectsWithBuildKitsMessages() throws InvalidCheckConfigException {
    assertThatThrownBy(() -> CheckConfig.parse("skipp=all"))
        .isInstanceOf(InvalidCheckConfigException.class)
        .hasMessage("invalid check option \"skipp\"");
    assertThatThrownBy(() -> CheckConfig.parse("skip"))
        .hasMessage("invalid check option \"skip\"");
    assertThatThrownBy(() -> CheckConfig.parse("error=yes"))
        .hasMessage(
            "failed to parse check option \"error=yes\": strconv.ParseBool: parsing \"yes\": invalid syntax");
    // SplitN(…, 3): the third part keeps the rest, ';' and all
    assertThat(CheckConfig.parse("skip=A;error=true;experimental=B;x=y").experimental())
        .containsExactly("B;x=y");
  }

  @Test
  void experimentalRulesNeedToBeEnabledAndIgnoreSkipAll() throws InvalidCheckConfigException {
    Rule stable = Rules.MAINTAINER_DEPRECATED;
    Rule experimental = Rules.INVALID_DEFINITION_DESCRIPTION;
    assertThat(CheckConfig.DEFAULT.isEnabled(stable)).isTrue();
    assertThat(CheckConfig.DEFAULT.isEnabled(experimental)).isFalse();
    CheckConfig c = CheckConfig.parse("skip=all;experimental=InvalidDefinitionDescription");
    assertThat(c.isEnabled(stable)).isFalse();
    assertThat(c.isEnabled(experimental)).isTrue();
    assertThat(CheckConfig.parse("skip=MaintainerDeprecated").isEnabled(stable)).isFalse();
  }

  @Test
  void commentConfigMergesIntoTheFileConfig() throws InvalidCheckConfigException {
    Optional<CheckConfig> local = CheckConfig.fromComments(List.of("a note", "check=skip=JSONArgsRecommended"));
    assertThat(local).isPresent();
    CheckConfig merged = CheckConfig.parse("skip=MaintainerDeprecated;error=true").merge(local.get());
    assertThat(merged.skip()).isEqualTo(Set.of("MaintainerDeprecated", "JSONArgsRecommended"));
    assertThat(merged.error()).isTrue();
    assertThat(CheckConfig.fromComments(List.of("check=bogus"))).isEmpty();
    assertThat(CheckConfig.fromComments(List.of(" CHECK = skip=all trailing words")).get().skipAll()).isTrue();
    assertThat(CheckConfig.fromComments(List.of("just a comment"))).isEmpty();
  }
}
