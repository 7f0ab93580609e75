package dev.jbuild.build;

import static org.assertj.core.api.Assertions.assertThat;

import dev.jbuild.build.cli.Main;
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
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code jbuild pull} leaves an image ready for RUN steps, as {@code docker pull} and {@code
 * buildah pull} do: its layers extracted in the sandbox's lower-dir form (as root, and rootless
 * in the user's namespace), once; not with {@code --no-unpack}, nor for an image this machine
 * cannot run; and a build on it runs its RUN steps on those directories.
 */
@Tag("sandbox")
@Timeout(value = 3, unit = TimeUnit.MINUTES, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class PullUnpackIT {

  @RegisterExtension static final RegistryFixture REGISTRY = RegistryFixture.plain();

  private static Digest diffId;

  @TempDir Path tmp;

  private String out;
  private String err;

  @BeforeAll
  static void seed(@TempDir Path scratch) {
    String host = Platform.host().architecture();
    String other = "amd64".equals(host) ? "arm64" : "amd64";
    for (String[] image : new String[][] {{"busybox:1", host}, {"busybox:other", other}}) {
      ImageReference ref = ImageReference.parse(REGISTRY.ref("library/" + image[0]));
      try (Registry r = new Registries(RegistryOptions.defaults(), e -> {}).openForPush(ref)) {
        TestImages.push(r, TestImages.busybox(Platform.of("linux", image[1], null)),
            ref.tag(), scratch);
      }
    }
    diffId = Digest.of(TestImages.busyboxTar());
  }

  @AfterEach
  void deleteRoot() throws Exception {
    RunCorpus.deleteRoot(tmp.resolve("root"));
  }

  private int jbuild(String... args) {
    ByteArrayOutputStream o = new ByteArrayOutputStream();
    ByteArrayOutputStream e = new ByteArrayOutputStream();
    int code = Main.run(args, new PrintStream(o, true, StandardCharsets.UTF_8),
        new PrintStream(e, true, StandardCharsets.UTF_8));
    out = o.toString(StandardCharsets.UTF_8);
    err = e.toString(StandardCharsets.UTF_8);
    assertThat(err).doesNotContain("\tat ").doesNotContain("warning");
    return code;
  }

  private Path layerDir() {
    return tmp.resolve("root/layers").resolve(diffId.hex());
  }

  @Test
  void pullExtractsTheLayersOnceAndABuildRunsOnThem() throws Exception {
    String ref = REGISTRY.ref("library/busybox:1");
    assertThat(jbuild("pull", "--root", tmp.resolve("root").toString(), ref)).isZero();
    assertThat(err).contains("unpacked 1 layer for RUN steps in ");
    assertThat(out).contains("Digest: sha256:");
    // the lower dir of the layer, with its applets: what a RUN stacks
    assertThat(layerDir().resolve("bin/busybox")).isRegularFile();
    assertThat(Files.isSymbolicLink(layerDir().resolve("bin/sh"))
        || Files.isRegularFile(layerDir().resolve("bin/sh"))).isTrue();
    Object inode = Files.getAttribute(layerDir(), "unix:ino");

    // pulled again: nothing to extract, no worker, no line
    assertThat(jbuild("pull", "--root", tmp.resolve("root").toString(), ref)).isZero();
    assertThat(err).doesNotContain("unpacked");

    Path ctx = Files.createDirectories(tmp.resolve("ctx"));
    Files.writeString(ctx.resolve("Dockerfile"),
        "FROM " + ref + "\nRUN echo ran > /ran && ls /bin/busybox\n");
    assertThat(jbuild("build", "--root", tmp.resolve("root").toString(), "--progress", "plain",
        "--pull=never", "-t", "t:1", ctx.toString())).isZero();
    assertThat(err).contains("/bin/busybox");
    // the build used the directory the pull made, not a new extraction of its own
    assertThat(Files.getAttribute(layerDir(), "unix:ino")).isEqualTo(inode);
  }

  @Test
  void noUnpackOnlyStoresTheImage() {
    assertThat(jbuild("pull", "--root", tmp.resolve("root").toString(), "--no-unpack",
        REGISTRY.ref("library/busybox:1"))).isZero();
    assertThat(err).doesNotContain("unpacked");
    assertThat(layerDir()).doesNotExist();
  }

  @Test
  void anImageOfAnotherArchitectureIsNotExtracted() {
    String other = "amd64".equals(Platform.host().architecture()) ? "arm64" : "amd64";
    assertThat(jbuild("pull", "--root", tmp.resolve("root").toString(), "--platform",
        "linux/" + other, REGISTRY.ref("library/busybox:other"))).isZero();
    assertThat(err).doesNotContain("unpacked");
    assertThat(tmp.resolve("root/layers")).satisfiesAnyOf(
        p -> assertThat(p).doesNotExist(), p -> assertThat(p).isEmptyDirectory());
  }
}
