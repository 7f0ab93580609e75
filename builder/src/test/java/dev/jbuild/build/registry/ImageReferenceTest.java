package dev.jbuild.build.registry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class ImageReferenceTest {

  private static final String D =
      "sha256:2c26b46b68ffc68ff99b453c1d30413413422d706483bfa0f98a5e886266e7ae";

  @ParameterizedTest
  @CsvSource({
    "busybox, docker.io/library/busybox:latest",
    "busybox:1.36, docker.io/library/busybox:1.36",
    "library/busybox, docker.io/library/busybox:latest",
    "user/app:v1, docker.io/user/app:v1",
    "docker.io/busybox, docker.io/library/busybox:latest",
    "index.docker.io/busybox, docker.io/library/busybox:latest",
    "index.docker.io/user/app, docker.io/user/app:latest",
    "localhost/x, localhost/x:latest",
    "localhost:5000/x/y:2, localhost:5000/x/y:2",
    "127.0.0.1:5000/app, 127.0.0.1:5000/app:latest",
    "ghcr.io/org/app:1.0-rc_1, ghcr.io/org/app:1.0-rc_1",
    "Host/app, Host/app:latest",
    "[::1]:5000/app, [::1]:5000/app:latest",
    "a.b-c/e__f--g.h, a.b-c/e__f--g.h:latest",
    "localhost:5000, docker.io/library/localhost:5000",
  })
  void normalises(String text, String canonical) {
    assertThat(ImageReference.parse(text).toString()).isEqualTo(canonical);
  }

  @ParameterizedTest
  @CsvSource({
    "busybox, busybox:latest",
    "user/app:1, user/app:1",
    "localhost:5000/x, localhost:5000/x:latest",
  })
  void familiarForm(String text, String familiar) {
    assertThat(ImageReference.parse(text).familiar()).isEqualTo(familiar);
  }

  @org.junit.jupiter.api.Test
  void digestAndTagAndDigest() {
    ImageReference byDigest = ImageReference.parse("busybox@" + D);
    assertThat(byDigest.tag()).isNull();
    assertThat(byDigest.digest().toString()).isEqualTo(D);
    assertThat(byDigest.qualifier()).isEqualTo(D);
    assertThat(byDigest.toString()).isEqualTo("docker.io/library/busybox@" + D);

    ImageReference both = ImageReference.parse("localhost:5000/app:1@" + D);
    assertThat(both.registry()).isEqualTo("localhost:5000");
    assertThat(both.repository()).isEqualTo("app");
    assertThat(both.tag()).isEqualTo("1");
    assertThat(both.qualifier()).isEqualTo(D);
    assertThat(both.apiHost()).isEqualTo("localhost:5000");
    assertThat(ImageReference.parse("busybox").apiHost()).isEqualTo("registry-1.docker.io");
  }

  @ParameterizedTest
  @CsvSource(
      delimiter = '|',
      value = {
        "''| the reference is empty",
        "Busybox| must be lowercase",
        "docker.io/Library/busybox| must be lowercase",
        "busybox:| is not a valid tag",
        "busybox:-x| is not a valid tag",
        "busybox@sha256:abc| is not a digest",
        "busybox@md5:2c26b46b68ffc68ff99b453c1d30413413422d706483bfa0f98a5e886266e7ae| unsupported digest",
        "a//b| is not a valid repository name",
        "a/b_/c| is not a valid repository name",
        "-host.com/app| is not a valid registry host",
        ":5000/app| is not a valid registry host",
        "2c26b46b68ffc68ff99b453c1d30413413422d706483bfa0f98a5e886266e7ae| image ID",
        "app/| is not a valid repository name",
        "busybox:1 2| is not a valid tag",
      })
  void rejectsWithReason(String text, String reason) {
    assertThatThrownBy(() -> ImageReference.parse(text))
        .isInstanceOf(InvalidReferenceException.class)
        .hasMessageContaining("\"" + text + "\"")
        .hasMessageContaining(reason);
  }

  @org.junit.jupiter.api.Test
  void rejectsOverlongNames() {
    String name = "a".repeat(256);
    assertThatThrownBy(() -> ImageReference.parse(name))
        .hasMessageContaining("longer than 255");
  }
}
