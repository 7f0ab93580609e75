package dev.jbuild.dockerfile.lint;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.jbuild.dockerfile.shell.Platform;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Rule data, message formatting, and the reference and platform readers the rules use. */
class RuleTest {

  @Test
  void rulesAreUniqueAndLinkedToTheirPages() {
    Set<String> names = new HashSet<>();
    for (Rule r : Rules.ALL) {
      assertThat(names.add(r.name())).as(r.name()).isTrue();
      assertThat(Rules.byName(r.name())).contains(r);
      if (!r.name().equals("InvalidBaseImagePlatform")) {
        String kebab = r.name().replaceAll("([a-z])([A-Z])", "$1-$2").replace("JSONArgs", "JSON-Args").toLowerCase();
        assertThat(r.url()).contains("https://docs.docker.com/go/dockerfile/rule/" + kebab + "/");
      } else {
        assertThat(r.url()).isEmpty();
      }
    }
    assertThat(Rules.ALL).hasSize(22);
    assertThat(Rules.ALL.stream().filter(Rule::experimental).map(Rule::name))
        .containsExactly("InvalidDefinitionDescription");
  }

  @Test
  void formatsLikeGo() {
    assertThat(Rules.DUPLICATE_STAGE_NAME.format("a\"b"))
        .isEqualTo("Duplicate stage name \"a\\\"b\", stage names should be unique");
    assertThat(Rules.UNDEFINED_VAR.format("foo", " (did you mean $FOO?)"))
        .isEqualTo("Usage of undefined variable '$foo' (did you mean $FOO?)");
    assertThat(Rules.LEGACY_KEY_VALUE_FORMAT.format("ENV", "ENV"))
        .isEqualTo("\"ENV key=value\" should be used instead of legacy \"ENV key value\" format");
    assertThatThrownBy(() -> Rules.UNDEFINED_VAR.format("only-one")).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void imageReferences() {
    for (String ok : new String[] {"alpine", "alpine:3.20", "docker.io/library/alpine:latest", "localhost:5000/a/b:c",
        "ghcr.io/Owner/x".toLowerCase(), "scratch", "builder", "[::1]:5000/img",
        "alpine@sha256:" + "a".repeat(64), "MyRegistry.io/img"}) {
      assertThat(ImageReferences.isValid(ok)).as(ok).isTrue();
    }
    for (String bad : new String[] {"", "alpine:", "Alpine", "a".repeat(64), "alpine:tag with space", ":tag",
        "alpine@sha256:abc", "docker.io/Library/alpine", "-alpine"}) {
      assertThat(ImageReferences.isValid(bad)).as(bad).isFalse();
    }
  }

  @Test
  void platformTexts() {
    Platform host = Platform.of("linux", "amd64");
    assertThat(PlatformText.parse("linux/arm64", host)).contains(Platform.of("linux", "arm64"));
    assertThat(PlatformText.parse("linux/x86_64", host)).contains(Platform.of("linux", "amd64"));
    assertThat(PlatformText.parse("linux/arm/v7", host)).contains(new Platform("linux", "arm", "v7", ""));
    assertThat(PlatformText.parse("arm64", host)).contains(Platform.of("linux", "arm64"));
    assertThat(PlatformText.parse("windows", host)).contains(Platform.of("windows", "amd64"));
    assertThat(PlatformText.parse("nonsense", host)).isEmpty();
    assertThat(PlatformText.parse("linux/*", host)).isEmpty();
    assertThat(PlatformText.parse("a/b/c/d", host)).isEmpty();
  }
}
