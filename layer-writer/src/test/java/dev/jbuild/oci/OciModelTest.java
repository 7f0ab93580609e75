package dev.jbuild.oci;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class OciModelTest {

  static byte[] resource(String name) throws IOException {
    try (InputStream in = OciModelTest.class.getResourceAsStream(name)) {
      assertThat(in).as(name).isNotNull();
      return in.readAllBytes();
    }
  }

  static String utf8(byte[] b) {
    return new String(b, StandardCharsets.UTF_8);
  }

  /** The components of a digest, as a record generates equals and hashCode for them. */
  private record Components(String algorithm, String hex) {}

  @Test
  void digestEqualsAndHashCodeAreThoseOfARecordOfItsComponents() {
    Digest a = Digest.of("a".getBytes(StandardCharsets.UTF_8));
    Digest b = Digest.of("b".getBytes(StandardCharsets.UTF_8));
    Digest a2 = Digest.parse(a.toString());
    Digest long512 = Digest.parse("sha512:" + "0".repeat(128));
    assertThat(a).isEqualTo(a2).isNotEqualTo(b).isNotEqualTo(a.toString()).isNotEqualTo(null);
    assertThat(a2).isEqualTo(a);
    for (Digest d : List.of(a, b, long512)) {
      assertThat(d.hashCode()).isEqualTo(new Components(d.algorithm(), d.hex()).hashCode());
    }
    assertThat(a.hashCode()).isEqualTo(a2.hashCode());
    // same hex under another algorithm is another digest
    Digest x = Digest.parse("sha512:" + "ab".repeat(64));
    assertThat(x).isNotEqualTo(Digest.parse("sha512:" + "ab".repeat(63) + "ac"));
  }

  @Test
  void theSha256WarmUpStopsWhenAskedAndLeavesDigestsRight() {
    int[] asked = {0};
    assertThat(Digest.warmUpSha256(() -> ++asked[0] > 1_000)).isEqualTo(1_000);
    assertThat(Digest.warmUpSha256(() -> false)).isEqualTo(64_000);
    // after the warm-up (whatever got compiled) the digest of the empty input is still SHA-256's
    assertThat(Digest.of(new byte[0]).hex())
        .isEqualTo("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  }

  @Test
  void dockerManifestIsReadAndKeepsItsBytes() throws IOException {
    byte[] bytes = resource("docker-manifest.json");
    RawJson<ImageManifest> raw = RawJson.manifest(bytes);
    ImageManifest m = raw.value();
    assertThat(m.isDocker()).isTrue();
    assertThat(m.effectiveMediaType()).isEqualTo(MediaTypes.DOCKER_MANIFEST);
    assertThat(m.config().mediaType()).isEqualTo(MediaTypes.DOCKER_CONFIG);
    assertThat(m.config().size()).isEqualTo(1457);
    assertThat(m.layers()).hasSize(1);
    assertThat(m.layers().get(0).digest().hex()).startsWith("3f4d90098f5b");
    // the digest is of the pretty-printed bytes as received, not of a re-serialisation
    assertThat(raw.digest()).isEqualTo(Digest.of(bytes));
    assertThat(raw.bytes()).isEqualTo(bytes);
    assertThat(raw.descriptor().mediaType()).isEqualTo(MediaTypes.DOCKER_MANIFEST);
    assertThat(raw.descriptor().size()).isEqualTo(bytes.length);
    // canonical form: Go struct order, no whitespace
    assertThat(utf8(m.toJson())).isEqualTo("{\"schemaVersion\":2,\"mediaType\":"
        + "\"application/vnd.docker.distribution.manifest.v2+json\",\"config\":{\"mediaType\":"
        + "\"application/vnd.docker.container.image.v1+json\",\"digest\":\"sha256:a416a98b71e224"
        + "a31ee99cff8e16063554498227d2b696152a9c3e0aa65e5824\",\"size\":1457},\"layers\":[{"
        + "\"mediaType\":\"application/vnd.docker.image.rootfs.diff.tar.gzip\",\"digest\":"
        + "\"sha256:3f4d90098f5b5a6f6a76e9d217da85aa39b2081e30fa1f7d287138d6e7bf0ad7\",\"size\":"
        + "2220094}]}");
  }

  @Test
  void ociManifestKeepsUnknownFieldsThroughRoundTrip() throws IOException {
    byte[] bytes = resource("oci-manifest.json");
    ImageManifest m = ImageManifest.parse(bytes);
    assertThat(m.unknown().names()).containsExactly("futureField");
    assertThat(m.layers().get(0).unknown().names()).containsExactly("x-vendor-extension");
    assertThat(m.layers().get(1).unknown().get("data").textValue()).isEqualTo("e30=");
    assertThat(m.layers().get(1).urls()).containsExactly("https://example.com/layer");
    assertThat(m.subject().digest().hex()).startsWith("2222");
    assertThat(m.annotations()).containsEntry("org.opencontainers.image.source",
        "https://github.com/x/y");

    byte[] again = m.toJson();
    ImageManifest reread = ImageManifest.parse(again);
    assertThat(reread).isEqualTo(m);
    assertThat(reread.toJson()).isEqualTo(again);
    String json = utf8(again);
    // unknown members survive with exact numbers; Go's HTML escaping applies on write
    assertThat(json).contains("\"x-vendor-extension\":{\"nested\":[1,2.50,true,null]}");
    assertThat(json).contains("\"futureField\":{\"a\":\"\\u003cb\\u003e\\u0026amp;\"}");
    // data sits where specs-go puts it: after annotations/urls, before platform
    assertThat(json).contains("\"urls\":[\"https://example.com/layer\"],\"data\":\"e30=\"}");
    // the original was already canonical apart from escaping: same bytes otherwise
    assertThat(json.replace("\\u003c", "<").replace("\\u003e", ">").replace("\\u0026", "&"))
        .isEqualTo(utf8(bytes).strip());
  }

  @Test
  void newManifestIsCanonical() {
    Descriptor config = Descriptor.of(MediaTypes.OCI_CONFIG, "{}".getBytes(StandardCharsets.UTF_8));
    Descriptor layer = Descriptor.of(MediaTypes.OCI_LAYER_GZIP,
        new Digest("sha256", "ab".repeat(32)), 42);
    ImageManifest m = ImageManifest.oci(config, List.of(layer))
        .withAnnotations(Map.of("z", "1", "a", "2"));
    assertThat(utf8(m.toJson())).isEqualTo("{\"schemaVersion\":2,\"mediaType\":"
        + "\"application/vnd.oci.image.manifest.v1+json\",\"config\":{\"mediaType\":"
        + "\"application/vnd.oci.image.config.v1+json\",\"digest\":\"" + Digest.of("{}".getBytes())
        + "\",\"size\":2},\"layers\":[{\"mediaType\":"
        + "\"application/vnd.oci.image.layer.v1.tar+gzip\",\"digest\":\"sha256:" + "ab".repeat(32)
        + "\",\"size\":42}],\"annotations\":{\"a\":\"2\",\"z\":\"1\"}}");
    // deterministic: the same model gives the same bytes and digest
    assertThat(RawJson.of(m).digest()).isEqualTo(RawJson.of(m).digest());
    ImageManifest empty = ImageManifest.oci(config, List.of());
    assertThat(utf8(empty.toJson())).contains("\"layers\":[]");
  }

  @Test
  void buildkitConfigRoundTripsByteForByte() throws IOException {
    byte[] bytes = resource("buildkit-config.json");
    ImageConfig c = ImageConfig.parse(bytes);
    ContainerConfig cc = c.config();
    assertThat(c.architecture()).isEqualTo("arm64");
    assertThat(c.variant()).isEqualTo("v8");
    assertThat(c.created()).isEqualTo(Instant.parse("2024-05-06T07:08:09.123Z"));
    assertThat(cc.user()).isEqualTo("app:app");
    assertThat(cc.exposedPorts()).containsExactly("443/tcp", "8080/tcp");
    assertThat(cc.volumes()).containsExactly("/data");
    assertThat(cc.entrypoint()).containsExactly("java", "-jar", "/app/app.jar");
    assertThat(cc.cmd()).containsExactly("--port", "8080");
    assertThat(cc.workingDir()).isEqualTo("/app");
    assertThat(cc.labels()).containsEntry("a.b", "c");
    assertThat(cc.stopSignal()).isEqualTo("SIGTERM");
    assertThat(cc.argsEscaped()).isTrue();
    assertThat(cc.healthcheck().test()).containsExactly("CMD-SHELL",
        "curl -f http://localhost/ || exit 1");
    assertThat(cc.healthcheck().interval()).isEqualTo(Duration.ofSeconds(30));
    assertThat(cc.healthcheck().timeout()).isEqualTo(Duration.ofSeconds(5));
    assertThat(cc.healthcheck().startPeriod()).isEqualTo(Duration.ofSeconds(1));
    assertThat(cc.healthcheck().startInterval()).isEqualTo(Duration.ofMillis(500));
    assertThat(cc.healthcheck().retries()).isEqualTo(3);
    assertThat(cc.onBuild()).containsExactly("RUN echo hi");
    assertThat(cc.shell()).containsExactly("/bin/bash", "-c");
    assertThat(c.history()).hasSize(2);
    assertThat(c.history().get(1).emptyLayer()).isTrue();
    assertThat(c.history().get(0).comment()).isEqualTo("buildkit.dockerfile.v0");
    assertThat(c.unknown().names()).containsExactly("moby.buildkit.buildinfo.v1");
    assertThat(c.platform()).isEqualTo(Platform.of("linux", "arm64", "v8"));

    // written the way BuildKit writes it: the same bytes
    assertThat(utf8(c.toJson())).isEqualTo(utf8(bytes));
  }

  @Test
  void dockerConfigKeepsDockerOnlyMembers() throws IOException {
    ImageConfig c = ImageConfig.parse(resource("docker-config.json"));
    assertThat(c.config().cmd()).containsExactly("sh");
    assertThat(c.config().unknown().names()).contains("Hostname", "AttachStdin", "Image");
    assertThat(c.unknown().names()).containsExactly("container", "container_config",
        "docker_version");
    assertThat(c.created()).isEqualTo(Instant.parse("2023-07-18T23:19:33.655005962Z"));
    assertThat(c.rootfs().diffIds()).hasSize(1);

    // change something, write, read: the unknown members are still there
    ImageConfig changed = c.withConfig(c.config().toBuilder().cmd(List.of("echo", "<hi>"))
        .build());
    ImageConfig reread = ImageConfig.parse(changed.toJson());
    assertThat(reread).isEqualTo(changed);
    assertThat(reread.unknown().get("container_config").get("Hostname").textValue())
        .isEqualTo("64e1ef6d1fdf");
    assertThat(reread.config().unknown().get("AttachStdin").booleanValue()).isFalse();
    assertThat(utf8(changed.toJson())).contains("\"created\":\"2023-07-18T23:19:33.655005962Z\"")
        .contains("\"Cmd\":[\"echo\",\"\\u003chi\\u003e\"]");
  }

  @Test
  void newConfigOmitsEmptyFieldsLikeGo() {
    ImageConfig c = ImageConfig.scratch(Platform.parse("linux/amd64"))
        .withCreated(Instant.ofEpochSecond(0))
        .withLayer(new Digest("sha256", "cd".repeat(32)),
            HistoryEntry.of(Instant.ofEpochSecond(0), "COPY a /a", null, false))
        .withEmptyLayerHistory(HistoryEntry.of(null, "CMD [\"/a\"]", null, true))
        .withConfig(ContainerConfig.empty().toBuilder().cmd(List.of("/a"))
            .healthcheck(new Healthcheck(List.of("NONE"), null, Duration.ofMillis(1500), null,
                null, 0, null)).build());
    assertThat(utf8(c.toJson())).isEqualTo("{\"architecture\":\"amd64\",\"config\":{\"Cmd\":"
        + "[\"/a\"],\"Healthcheck\":{\"Test\":[\"NONE\"],\"Timeout\":1500000000}},\"created\":"
        + "\"1970-01-01T00:00:00Z\",\"history\":[{\"created\":\"1970-01-01T00:00:00Z\","
        + "\"created_by\":\"COPY a /a\"},{\"created_by\":\"CMD [\\\"/a\\\"]\",\"empty_layer\":"
        + "true}],\"os\":\"linux\",\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[\"sha256:"
        + "cd".repeat(32) + "\"]}}");
    ImageConfig none = ImageConfig.scratch(Platform.parse("linux/arm64"));
    assertThat(utf8(none.toJson())).isEqualTo("{\"architecture\":\"arm64\",\"config\":{},"
        + "\"os\":\"linux\",\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[]},\"variant\":\"v8\"}");
  }

  @Test
  void stringsAreEscapedAsGoDoes() {
    ImageConfig c = ImageConfig.scratch(Platform.parse("linux/amd64")).withConfig(
        ContainerConfig.empty().toBuilder()
            .env(List.of("A=<&>\u2028\u2029\u0001\u001f\t\n\b\f\"\\é"))
            .build());
    assertThat(utf8(c.toJson())).contains("\"Env\":[\"A=\\u003c\\u0026\\u003e\\u2028"
        + "\\u2029\\u0001\\u001f\\t\\n\\b\\f\\\"\\\\é\"]");
    assertThat(ImageConfig.parse(c.toJson())).isEqualTo(c);
  }

  @Test
  void goTimeTrimsNanoseconds() {
    assertThat(GoTime.format(Instant.parse("2024-01-02T03:04:05Z")))
        .isEqualTo("2024-01-02T03:04:05Z");
    assertThat(GoTime.format(Instant.parse("2024-01-02T03:04:05.120Z")))
        .isEqualTo("2024-01-02T03:04:05.12Z");
    assertThat(GoTime.format(Instant.parse("2024-01-02T03:04:05.000000001Z")))
        .isEqualTo("2024-01-02T03:04:05.000000001Z");
    assertThat(GoTime.parse("2024-01-02T05:04:05+02:00", "x"))
        .isEqualTo(Instant.parse("2024-01-02T03:04:05Z"));
  }

  @Test
  void indexSelectsPlatformLikeContainerd() throws IOException {
    ImageIndex index = ImageIndex.parse(resource("index.json"));
    assertThat(select(index, "linux/amd64")).startsWith("aaaa");
    assertThat(select(index, "linux/x86_64")).startsWith("aaaa");
    assertThat(select(index, "linux/amd64/v3")).startsWith("aaaa");
    assertThat(select(index, "linux/arm/v7")).startsWith("cccc");
    assertThat(select(index, "linux/arm")).startsWith("cccc");
    assertThat(select(index, "linux/arm/v6")).startsWith("bbbb");
    assertThat(select(index, "linux/arm/v8")).startsWith("cccc");
    assertThat(select(index, "linux/arm/v5")).isNull();
    assertThat(select(index, "linux/arm64")).startsWith("dddd");
    assertThat(select(index, "linux/aarch64")).startsWith("dddd");
    assertThat(select(index, "linux/arm64/v8")).startsWith("dddd");
    assertThat(select(index, "windows/amd64")).startsWith("ffff");
    assertThat(select(index, "linux/s390x")).isNull();
    // the attestation manifest's unknown/unknown is never picked
    assertThat(index.select(new Platform("unknown", "unknown", null, null, null, null)))
        .isEmpty();
    assertThat(index.platforms()).hasSize(6);

    ImageIndex list = ImageIndex.parse(resource("docker-manifest-list.json"));
    assertThat(list.effectiveMediaType()).isEqualTo(MediaTypes.DOCKER_MANIFEST_LIST);
    assertThat(select(list, "linux/arm64")).startsWith("bbbb");
    assertThat(ImageIndex.parse(list.toJson())).isEqualTo(list);
  }

  private static String select(ImageIndex index, String platform) {
    return index.select(Platform.parse(platform)).map(d -> d.digest().hex()).orElse(null);
  }

  @Test
  void platformsParseAndNormalise() {
    assertThat(Platform.parse("linux/x86_64").toString()).isEqualTo("linux/amd64");
    assertThat(Platform.parse("linux/aarch64").toString()).isEqualTo("linux/arm64/v8");
    assertThat(Platform.parse("linux/arm64/8").toString()).isEqualTo("linux/arm64/v8");
    assertThat(Platform.parse("linux/arm").toString()).isEqualTo("linux/arm/v7");
    assertThat(Platform.parse("linux/armhf").toString()).isEqualTo("linux/arm/v7");
    assertThat(Platform.parse("linux/i686").toString()).isEqualTo("linux/386");
    assertThat(Platform.parse("Linux/AMD64/v1").toString()).isEqualTo("linux/amd64");
    assertThat(Platform.parse("arm64").toString()).isEqualTo("linux/arm64/v8");
    assertThat(Platform.parse("linux/amd64").matches(Platform.parse("linux/amd64/v2"))).isFalse();
    assertThat(Platform.parse("linux/amd64/v3").matches(Platform.parse("linux/amd64/v2")))
        .isTrue();
    // a descriptor that says arm64 without a variant is arm64/v8
    Platform raw = new Platform("linux", "arm64", null, null, null, null);
    assertThat(Platform.parse("linux/arm64/v8").matches(raw)).isTrue();
    for (String bad : new String[] {"", "linux/", "/amd64", "linux/amd64/v8/x", "linux amd64"}) {
      assertThatThrownBy(() -> Platform.parse(bad))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("os/arch[/variant]");
    }
  }

  @Test
  void invalidDocumentsAreNamed() {
    assertThatThrownBy(() -> ImageManifest.parse("{".getBytes()))
        .isInstanceOf(InvalidDocumentException.class).hasMessageContaining("not valid JSON");
    assertThatThrownBy(() -> ImageManifest.parse("[]".getBytes()))
        .isInstanceOf(InvalidDocumentException.class).hasMessageContaining("not a JSON object");
    assertThatThrownBy(() -> ImageManifest.parse("{\"schemaVersion\":1}".getBytes()))
        .hasMessageContaining("schemaVersion 1");
    assertThatThrownBy(() -> ImageManifest.parse("{\"schemaVersion\":2}".getBytes()))
        .hasMessageContaining("no \"config\"");
    assertThatThrownBy(() -> ImageManifest.parse(("{\"schemaVersion\":2,\"config\":{"
        + "\"mediaType\":\"x\",\"digest\":\"sha256:12\",\"size\":1}}").getBytes()))
        .hasMessageContaining("image manifest config").hasMessageContaining("sha256:12");
    assertThatThrownBy(() -> ImageConfig.parse("{\"config\":{\"Env\":\"A=b\"}}".getBytes()))
        .hasMessageContaining("\"Env\" must be an array of strings");
    assertThatThrownBy(() -> ImageConfig.parse("{\"created\":\"yesterday\"}".getBytes()))
        .hasMessageContaining("RFC 3339");
    assertThatThrownBy(() -> ImageIndex.parse(resourceUnchecked("docker-manifest.json")))
        .hasMessageContaining("is an image manifest");
    assertThat(RawJson.manifestOrIndex(resourceUnchecked("index.json"), null).value())
        .isInstanceOf(ImageIndex.class);
    assertThat(RawJson.manifestOrIndex(resourceUnchecked("oci-manifest.json"), null).value())
        .isInstanceOf(ImageManifest.class);
  }

  private static byte[] resourceUnchecked(String name) {
    try {
      return resource(name);
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }
}
