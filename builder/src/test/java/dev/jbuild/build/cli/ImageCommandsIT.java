package dev.jbuild.build.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.jbuild.build.registry.ImageReference;
import dev.jbuild.build.registry.Registries;
import dev.jbuild.build.registry.Registry;
import dev.jbuild.build.registry.RegistryOptions;
import dev.jbuild.build.registry.testing.RegistryFixture;
import dev.jbuild.build.registry.testing.TestImages;
import dev.jbuild.oci.Digest;
import dev.jbuild.oci.Platform;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/** The image commands end to end through {@link Main#run}, against a real registry. */
class ImageCommandsIT {

  @RegisterExtension static final RegistryFixture REGISTRY = RegistryFixture.plain();

  private static Digest busybox;

  @TempDir Path tmp;

  private String out;
  private String err;

  @BeforeAll
  static void seed(@TempDir Path scratch) {
    ImageReference ref = ImageReference.parse(REGISTRY.ref("library/busybox:1"));
    try (Registry r = new Registries(RegistryOptions.defaults(), e -> {}).openForPush(ref)) {
      busybox = TestImages.push(r, TestImages.busybox(Platform.of("linux", "amd64", null)), "1", scratch);
    }
  }

  private int jbuild(String... args) {
    ByteArrayOutputStream o = new ByteArrayOutputStream();
    ByteArrayOutputStream e = new ByteArrayOutputStream();
    int code =
        Main.run(
            args,
            new PrintStream(o, true, StandardCharsets.UTF_8),
            new PrintStream(e, true, StandardCharsets.UTF_8));
    out = o.toString(StandardCharsets.UTF_8);
    err = e.toString(StandardCharsets.UTF_8);
    assertThat(err).doesNotContain("\tat ");
    return code;
  }

  private String root() {
    return tmp.resolve("root").toString();
  }

  @Test
  void pullImagesInspectTagPushSaveRmiPrune() throws Exception {
    String source = REGISTRY.ref("library/busybox:1");
    assertThat(jbuild("pull", "--root", root(), source, "--platform", "linux/amd64")).isZero();
    assertThat(out).contains("Digest: " + busybox).contains(source);
    assertThat(err).contains(" done").contains("resolve " + source + "@" + busybox);

    assertThat(jbuild("images", "--root", root())).isZero();
    assertThat(out).contains("REPOSITORY").contains(REGISTRY.ref("library/busybox")).contains(" 1 ");

    assertThat(jbuild("inspect", "--root", root(), source)).isZero();
    JsonNode json = new ObjectMapper().readTree(out);
    assertThat(json.get("Name").asText()).isEqualTo(REGISTRY.ref("library/busybox"));
    assertThat(json.get("Digest").asText()).isEqualTo(busybox.toString());
    assertThat(json.get("Architecture").asText()).isEqualTo("amd64");
    assertThat(json.get("Os").asText()).isEqualTo("linux");
    assertThat(json.get("Layers")).hasSize(1);
    assertThat(json.get("Env").get(0).asText()).startsWith("PATH=");
    assertThat(json.get("Labels").get("org.example.base").asText()).isEqualTo("busybox");
    assertThat(json.get("RepoTags").get(0).asText()).isEqualTo(source);

    String dest = REGISTRY.ref("cli/app:2");
    assertThat(jbuild("tag", "--root", root(), source, dest)).isZero();
    assertThat(jbuild("push", "--root", root(), dest)).isZero();
    assertThat(out).contains(dest + ": digest: " + busybox).contains("2 mounted");
    assertThat(err).contains(" mounted");
    String inspect =
        run("skopeo", "inspect", "--tls-verify=false", "docker://" + dest);
    assertThat(new ObjectMapper().readTree(inspect).get("Digest").asText()).isEqualTo(busybox.toString());

    Path archive = tmp.resolve("busybox.tar");
    assertThat(jbuild("save", "--root", root(), dest, "-o", archive.toString(), "--format", "oci-archive")).isZero();
    assertThat(run("skopeo", "inspect", "oci-archive:" + archive)).contains(busybox.toString());
    Path docker = tmp.resolve("busybox-docker.tar");
    assertThat(jbuild("save", "--root", root(), dest, "-o", docker.toString())).isZero();
    assertThat(run("skopeo", "inspect", "docker-archive:" + docker)).contains("\"Architecture\": \"amd64\"");
    // no -o: the archive goes to standard output, byte for byte what -o FILE writes
    ByteArrayOutputStream streamed = new ByteArrayOutputStream();
    assertThat(
            Main.run(
                new String[] {"save", "--root", root(), dest, "--format", "oci-archive"},
                new PrintStream(streamed, true),
                new PrintStream(new ByteArrayOutputStream(), true)))
        .isZero();
    Path fromStdout = tmp.resolve("stdout.tar");
    Files.write(fromStdout, streamed.toByteArray());
    assertThat(run("skopeo", "inspect", "oci-archive:" + fromStdout)).contains(busybox.toString());

    assertThat(jbuild("rmi", "--root", root(), source, dest)).isZero();
    assertThat(out).contains("Untagged: " + source);
    assertThat(jbuild("images", "-q", "--root", root())).isZero();
    assertThat(out).isBlank();
    assertThat(jbuild("prune", "--all", "--root", root())).isZero();
    assertThat(out).startsWith("Deleted 3 blobs");
    assertThat(Files.exists(tmp.resolve("root/blobs/sha256/" + busybox.hex()))).isFalse();
  }

  @Test
  void errorsAreMessagesWithExitCodes() {
    assertThat(jbuild("pull", "--root", root(), "Bad//Name")).isEqualTo(Main.USAGE);
    assertThat(err).contains("invalid image reference \"Bad//Name\"");

    assertThat(jbuild("pull", "--root", root(), REGISTRY.ref("no/such:tag"))).isEqualTo(Main.FAILED);
    assertThat(err).contains("error: pull manifest " + REGISTRY.ref("no/such:tag")).contains("HTTP 404");

    assertThat(jbuild("push", "--root", root(), "nothing:here", REGISTRY.ref("x/y:1"))).isEqualTo(Main.FAILED);
    assertThat(err).contains("no image \"nothing:here\" in the local store");

    assertThat(jbuild("pull", "--root", root(), "--platform", "linux//x", "busybox")).isEqualTo(Main.USAGE);
    assertThat(err).contains("--platform");

    assertThat(jbuild("pull", "--root", root(), "--registry-mirror", "docker.io=", "busybox")).isEqualTo(Main.USAGE);
    assertThat(err).contains("--registry-mirror");

    assertThat(jbuild("save", "--root", root(), "busybox", "-o", tmp.resolve("x").toString(), "--format", "zip"))
        .isEqualTo(Main.USAGE);
    assertThat(err).contains("expected oci, oci-archive or docker-archive");
  }

  @Test
  void pullsThroughAMirrorAndFallsBackToTheRegistry() {
    // the "mirror" is the fixture itself under the name docker.io would be mirrored to; a
    // registry that is not running stands in for a broken mirror
    assertThat(
            jbuild(
                "pull", "--root", root(),
                "--registry-mirror", "docker.io=" + REGISTRY.host(),
                "docker.io/library/busybox:1"))
        .isZero();
    assertThat(out).contains("Digest: " + busybox).contains("docker.io/library/busybox:1");

    assertThat(
            jbuild(
                "pull", "--root", root(),
                "--registry-mirror", "localhost:1=127.0.0.1:1",
                "--registry-mirror", "localhost:1=" + REGISTRY.host(),
                "localhost:1/library/busybox:1"))
        .isZero();
    assertThat(err).contains("warning: mirror 127.0.0.1:1/library/busybox failed");
  }

  static String run(String... command) throws Exception {
    Process p = new ProcessBuilder(command).start();
    byte[] bytes = p.getInputStream().readAllBytes();
    String e = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
    assertThat(p.exitValue()).as(String.join(" ", command) + ": " + e).isZero();
    return new String(bytes, StandardCharsets.UTF_8);
  }
}
