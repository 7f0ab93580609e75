package dev.jbuild.maven;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Instant;
import java.util.List;
import org.apache.maven.plugin.MojoFailureException;
import org.junit.jupiter.api.Test;

class ImageNamesTest {

  @Test
  void imageWithTagPlusMoreTags() throws Exception {
    ImageNames names = ImageNames.of("127.0.0.1:5000/team/app:1.0", List.of("latest", "1.0", " "), "app", "1.0");
    assertThat(names.texts())
        .containsExactly("127.0.0.1:5000/team/app:1.0", "127.0.0.1:5000/team/app:latest");
    assertThat(names.primary().registry()).isEqualTo("127.0.0.1:5000");
  }

  @Test
  void imageWithoutTagIsLatestAsJibHasIt() throws Exception {
    assertThat(ImageNames.of("registry.example.com/app", List.of("2"), "x", "1").texts())
        .containsExactly("registry.example.com/app:latest", "registry.example.com/app:2");
  }

  @Test
  void noImageIsArtifactIdAndVersion() throws Exception {
    assertThat(ImageNames.of(null, List.of(), "My_App", "1.0.0-SNAPSHOT").texts())
        .containsExactly("docker.io/library/my_app:1.0.0-SNAPSHOT");
    assertThat(ImageNames.defaultName("app", "1.0+build.5")).isEqualTo("app:1.0-build.5");
  }

  @Test
  void badNamesSayWhereTheyCameFrom() {
    assertThatThrownBy(() -> ImageNames.of("Bad Name", List.of(), "a", "1"))
        .isInstanceOf(MojoFailureException.class)
        .hasMessageContaining("<to><image>");
    assertThatThrownBy(() -> ImageNames.of("app", List.of("-x"), "a", "1"))
        .isInstanceOf(MojoFailureException.class)
        .hasMessageContaining("invalid tag \"-x\" in <to><tags>");
    assertThatThrownBy(() -> ImageNames.of("app@sha256:" + "a".repeat(64), List.of(), "a", "1"))
        .isInstanceOf(MojoFailureException.class)
        .hasMessageContaining("names a digest");
  }

  @Test
  void outputTimestampAsTheMavenArchiverReadsIt() throws Exception {
    assertThat(OutputTimestamp.parse("2023-05-06T07:08:09Z")).contains(Instant.parse("2023-05-06T07:08:09Z"));
    assertThat(OutputTimestamp.parse("2023-05-06T09:08:09+02:00")).contains(Instant.parse("2023-05-06T07:08:09Z"));
    assertThat(OutputTimestamp.parse("1683356889")).contains(Instant.ofEpochSecond(1683356889));
    assertThat(OutputTimestamp.parse(null)).isEmpty();
    assertThat(OutputTimestamp.parse("1")).isEmpty();
    assertThatThrownBy(() -> OutputTimestamp.parse("yesterday"))
        .isInstanceOf(MojoFailureException.class)
        .hasMessageContaining("invalid project.build.outputTimestamp \"yesterday\"");
  }
}
