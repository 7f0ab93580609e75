package dev.jbuild.build.sandbox;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.jbuild.build.BuildRequest;
import dev.jbuild.build.BuildResult;
import dev.jbuild.build.Builder;
import dev.jbuild.build.PullPolicy;
import dev.jbuild.build.event.BuildEvent;
import dev.jbuild.build.registry.RegistryOptions;
import dev.jbuild.build.registry.testing.TestImages;
import dev.jbuild.cache.BlobStore;
import dev.jbuild.cache.ImageStore;
import dev.jbuild.cache.JbuildRoot;
import dev.jbuild.dockerfile.DockerfileException;
import dev.jbuild.layer.EntryType;
import dev.jbuild.layer.LayerEntry;
import dev.jbuild.layer.LayerReader;
import dev.jbuild.oci.Descriptor;
import dev.jbuild.oci.ImageManifest;
import dev.jbuild.oci.MediaTypes;
import dev.jbuild.oci.Platform;
import java.io.IOException;
import java.io.InputStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import java.util.stream.Stream;
import java.util.zip.GZIPInputStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every {@code RUN --mount} type through the real sandbox (worker JVM, namespaces, overlayfs
 * where the kernel allows it) on the busybox test image, as root and as the unprivileged test user: what the step sees,
 * and that nothing of a mount reaches the layer.
 */
@Tag("sandbox")
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class RunMountSandboxTest {

  private Path tmp;

  private JbuildRoot root;
  private NamespaceSandbox sandbox;
  private final List<BuildEvent> events = Collections.synchronizedList(new ArrayList<>());

  /** The snapshotter the sandbox uses ({@link RunMountCopySandboxTest} runs the copying one). */
  String snapshotter() {
    return "auto";
  }

  @BeforeAll
  void setUp(@TempDir Path dir) {
    tmp = dir;
    root = new JbuildRoot(tmp.resolve("root"));
    TestImages.Image image =
        TestImages.busybox(
            Platform.of("linux", Platform.host().architecture(), Platform.host().variant()));
    BlobStore blobs = BlobStore.open(root);
    for (TestImages.Blob b : image.blobs()) {
      blobs.put(b.bytes());
    }
    blobs.put(image.manifest().bytes());
    new ImageStore(blobs)
        .tag("busybox:test", Descriptor.of(MediaTypes.OCI_MANIFEST, image.manifest().bytes()));
    sandbox = new NamespaceSandbox(root, events::add, snapshotter());
  }

  @AfterAll
  void tearDown() throws Exception {
    if (sandbox != null) {
      sandbox.close();
    }
    // cache directories owned by ids of the user namespace: only the namespace removes them
    if (!"root".equals(System.getProperty("user.name"))) {
      new ProcessBuilder(
              "unshare", "--user", "--map-root-user", "--map-auto", "rm", "-rf",
              root.dir().resolve("cache-mounts").toString())
          .inheritIO()
          .start()
          .waitFor();
    }
  }

  private Path context(String name) throws IOException {
    Path ctx = tmp.resolve("ctx-" + name);
    Files.createDirectories(ctx);
    return ctx;
  }

  private BuildResult build(Path ctx, String dockerfile, Consumer<BuildRequest.Builder> options)
      throws IOException {
    Files.writeString(ctx.resolve("Dockerfile"), dockerfile);
    BuildRequest.Builder b = BuildRequest.builder(ctx).pull(PullPolicy.NEVER);
    options.accept(b);
    return new Builder(root, RegistryOptions.defaults(), sandbox, events::add).build(b.build());
  }

  private BuildResult build(String name, String dockerfile) throws IOException {
    return build(context(name), dockerfile, b -> {});
  }

  /** The file contents of the image's last layer, by path; directories and links as "". */
  private Map<String, String> lastLayer(BuildResult r) throws IOException {
    BlobStore blobs = BlobStore.open(root);
    ImageManifest m = blobs.readManifest(r.manifest().digest()).value();
    Path blob = blobs.path(m.layers().get(m.layers().size() - 1).digest());
    Map<String, String> out = new LinkedHashMap<>();
    try (LayerReader reader = LayerReader.open(blob)) {
      for (LayerEntry e = reader.next(); e != null; e = reader.next()) {
        String content = "";
        if (e.type() == EntryType.FILE && e.content() != null) {
          try (InputStream in = e.content().open()) {
            content = new String(in.readAllBytes(), StandardCharsets.UTF_8);
          }
        }
        out.put(e.path(), content);
      }
    }
    return out;
  }

  @Test
  void bindFromTheContextIsReadOnlyAndLeavesNothingInTheLayer() throws IOException {
    Path ctx = context("bind");
    Files.createDirectories(ctx.resolve("src"));
    Files.writeString(ctx.resolve("src/a.txt"), "from the context\n");
    Files.writeString(ctx.resolve("src/skip.key"), "ignored\n");
    Files.writeString(ctx.resolve(".dockerignore"), "**/*.key\n");
    BuildResult r =
        build(
            ctx,
            "FROM busybox:test\n"
                + "RUN --mount=target=/work/src,source=src sh -c 'cat /work/src/a.txt > /out;"
                + " ls /work/src > /listing; touch /work/src/new 2>/dev/null && echo writable > /ro || echo read-only > /ro'\n",
            b -> {});
    Map<String, String> layer = lastLayer(r);
    assertThat(layer.get("out")).isEqualTo("from the context\n");
    assertThat(layer.get("listing")).isEqualTo("a.txt\n");
    assertThat(layer.get("ro")).isEqualTo("read-only\n");
    assertThat(layer.keySet()).noneMatch(p -> p.startsWith("work"));
    assertThat(ctx.resolve("src/new")).doesNotExist();
  }

  @Test
  void bindRwWritesAreThrownAway() throws IOException {
    Path ctx = context("bind-rw");
    Files.writeString(ctx.resolve("data.txt"), "original\n");
    BuildResult r =
        build(
            ctx,
            "FROM busybox:test\n"
                + "RUN --mount=type=bind,target=/ctx,rw sh -c 'echo changed > /ctx/data.txt;"
                + " echo new > /ctx/new.txt; cat /ctx/data.txt > /seen'\n",
            b -> {});
    Map<String, String> layer = lastLayer(r);
    assertThat(layer.get("seen")).isEqualTo("changed\n");
    assertThat(layer.keySet()).noneMatch(p -> p.startsWith("ctx"));
    assertThat(Files.readString(ctx.resolve("data.txt"))).isEqualTo("original\n");
    assertThat(ctx.resolve("new.txt")).doesNotExist();
  }

  @Test
  void bindFromAStageWithoutRunAndFromAnImage() throws IOException {
    Path ctx = context("bind-stage");
    Files.createDirectories(ctx.resolve("d/sub"));
    Files.writeString(ctx.resolve("d/sub/f.txt"), "staged\n");
    BuildResult r =
        build(
            ctx,
            "FROM scratch AS files\nCOPY d /data/\n"
                + "FROM busybox:test\n"
                + "RUN --mount=from=files,source=/data/sub,target=/m"
                + " --mount=from=busybox:test,source=/bin,target=/other-bin"
                + " sh -c 'cat /m/f.txt > /out; test -x /other-bin/busybox && echo image > /img'\n",
            b -> {});
    Map<String, String> layer = lastLayer(r);
    assertThat(layer.get("out")).isEqualTo("staged\n");
    assertThat(layer.get("img")).isEqualTo("image\n");
    assertThat(layer.keySet()).noneMatch(p -> p.startsWith("m/") || p.startsWith("other-bin"));
  }

  @Test
  void cacheMountPersistsAcrossBuildsAndIsNotInTheLayer() throws IOException {
    BuildResult first =
        build(
            "cache-1",
            "FROM busybox:test\n"
                + "RUN --mount=type=cache,target=/var/cache/thing sh -c 'echo one >> /var/cache/thing/log;"
                + " cat /var/cache/thing/log > /out'\n");
    assertThat(lastLayer(first).get("out")).isEqualTo("one\n");
    BuildResult second =
        build(
            "cache-2",
            "FROM busybox:test\n"
                + "RUN --mount=type=cache,target=/var/cache/thing sh -c 'echo two >> /var/cache/thing/log;"
                + " cat /var/cache/thing/log > /out'\n");
    Map<String, String> layer = lastLayer(second);
    assertThat(layer.get("out")).isEqualTo("one\ntwo\n");
    assertThat(layer.keySet()).noneMatch(p -> p.startsWith("var"));
  }

  @Test
  void pruneKeepsCacheMountsUnlessAll() throws Exception {
    JbuildRoot own = new JbuildRoot(tmp.resolve("prune-root"));
    storeBusybox(own);
    Path caches = own.dir().resolve(CacheMounts.DIR);
    try (NamespaceSandbox s = new NamespaceSandbox(own, events::add, snapshotter())) {
      Path ctx = context("prune-cache");
      Files.writeString(ctx.resolve("Dockerfile"), "FROM busybox:test\n"
          + "RUN --mount=type=cache,target=/c,id=pruned,uid=1000,gid=1000"
          + " sh -c 'echo kept > /c/f && chown 1001:1001 /c/f && mkdir -m 700 /c/d && echo x > /c/d/x'\n");
      new Builder(own, RegistryOptions.defaults(), s, events::add)
          .build(BuildRequest.builder(ctx).pull(PullPolicy.NEVER).build());
      assertThat(caches).isNotEmptyDirectory();

      s.prune(List.of(), java.time.Duration.ZERO, false);
      assertThat(caches).isNotEmptyDirectory();

      // rootless the files belong to subordinate ids (1000, 1001 inside): the worker removes them
      String summary = s.prune(List.of(), java.time.Duration.ZERO, true);
      assertThat(summary).contains("1 cache mounts");
      assertThat(caches).isEmptyDirectory();
    }
  }

  private static void storeBusybox(JbuildRoot r) {
    TestImages.Image image =
        TestImages.busybox(
            Platform.of("linux", Platform.host().architecture(), Platform.host().variant()));
    BlobStore blobs = BlobStore.open(r);
    for (TestImages.Blob b : image.blobs()) {
      blobs.put(b.bytes());
    }
    blobs.put(image.manifest().bytes());
    new ImageStore(blobs)
        .tag("busybox:test", Descriptor.of(MediaTypes.OCI_MANIFEST, image.manifest().bytes()));
  }

  @Test
  void cacheMountOwnerModeAndSeed() throws IOException {
    Path ctx = context("cache-seed");
    Files.createDirectories(ctx.resolve("seed"));
    Files.writeString(ctx.resolve("seed/s.txt"), "seeded\n");
    BuildResult r =
        build(
            ctx,
            "FROM scratch AS seed\nCOPY seed /seed/\n"
                + "FROM busybox:test\n"
                + "RUN --mount=type=cache,target=/c,id=owned,uid=1000,gid=1001,mode=0750"
                + " --mount=type=cache,target=/s,from=seed,source=/seed"
                + " sh -c 'stat -c \"%u:%g %a\" /c > /owned; cat /s/s.txt > /seeded'\n",
            b -> {});
    Map<String, String> layer = lastLayer(r);
    assertThat(layer.get("owned")).isEqualTo("1000:1001 750\n");
    assertThat(layer.get("seeded")).isEqualTo("seeded\n");
  }

  @Test
  void lockedCacheSerialisesTwoStagesThatRunAtOnce() throws IOException {
    String step =
        "RUN --mount=type=cache,target=/c,id=locked-test,sharing=locked"
            + " sh -c 'mkdir /c/busy || { echo overlap > /result; exit 0; }; sleep 1; rmdir /c/busy;"
            + " echo alone > /result'\n";
    BuildResult r =
        build(
            "locked",
            "FROM busybox:test AS a\nARG X=a\n" + step
                + "FROM busybox:test AS b\nARG X=b\n" + step
                + "FROM busybox:test\nCOPY --from=a /result /a\nCOPY --from=b /result /b\n");
    BlobStore blobs = BlobStore.open(root);
    ImageManifest m = blobs.readManifest(r.manifest().digest()).value();
    Map<String, String> files = new LinkedHashMap<>();
    for (Descriptor d : m.layers().subList(m.layers().size() - 2, m.layers().size())) {
      try (LayerReader reader = LayerReader.open(blobs.path(d.digest()))) {
        for (LayerEntry e = reader.next(); e != null; e = reader.next()) {
          if (e.type() == EntryType.FILE) {
            try (InputStream in = e.content().open()) {
              files.put(e.path(), new String(in.readAllBytes(), StandardCharsets.UTF_8));
            }
          }
        }
      }
    }
    assertThat(files).containsEntry("a", "alone\n").containsEntry("b", "alone\n");
  }

  @Test
  void tmpfsIsATmpfsWithItsSizeAndLeavesNothing() throws IOException {
    BuildResult r =
        build(
            "tmpfs",
            "FROM busybox:test\n"
                + "RUN --mount=type=tmpfs,target=/scratch/t,size=1m sh -c 'echo x > /scratch/t/f;"
                + " grep \" /scratch/t tmpfs \" /proc/mounts | grep -q size=1024k && echo ok > /out'\n");
    Map<String, String> layer = lastLayer(r);
    assertThat(layer.get("out")).isEqualTo("ok\n");
    assertThat(layer.keySet()).noneMatch(p -> p.startsWith("scratch"));
  }

  @Test
  void secretIsAFileAndAVariableAndInNoBlobOrOutput() throws Exception {
    String value = "v4lue-of-the-secret-9931";
    Path secret = tmp.resolve("secret.txt");
    Files.writeString(secret, value);
    // the Dockerfile names the value's hash only: the value itself must appear nowhere
    String md5 = java.util.HexFormat.of().formatHex(
        java.security.MessageDigest.getInstance("MD5").digest(value.getBytes(StandardCharsets.UTF_8)));
    events.clear();
    BuildResult r =
        build(
            context("secret"),
            "FROM busybox:test\nUSER 1000:1000\n"
                + "RUN --mount=type=secret,id=tok,uid=1000 --mount=type=secret,id=tok,env=TOKEN,target=/etc/tok"
                + " sh -c 'test \"$(md5sum < /run/secrets/tok)\" = \"" + md5 + "  -\" && echo file > /tmp/file;"
                + " test \"$(printf %s \"$TOKEN\" | md5sum)\" = \"" + md5 + "  -\" && echo env > /tmp/env;"
                + " stat -c \"%a %u\" /run/secrets/tok > /tmp/mode;"
                + " echo x > /run/secrets/tok 2>/dev/null || echo read-only > /tmp/ro'\n",
            b -> b.secret(BuildRequest.Secret.ofFile("tok", secret)));
    Map<String, String> layer = lastLayer(r);
    assertThat(layer.get("tmp/file")).isEqualTo("file\n");
    assertThat(layer.get("tmp/env")).isEqualTo("env\n");
    assertThat(layer.get("tmp/mode")).isEqualTo("400 1000\n");
    assertThat(layer.get("tmp/ro")).isEqualTo("read-only\n");
    assertThat(layer.keySet()).noneMatch(p -> p.startsWith("run") || p.startsWith("etc/tok"));
    // not in any blob (compressed or not), not in the build's events, not left on disk
    try (Stream<Path> files = Files.walk(root.dir())) {
      for (Path f : files.filter(Files::isRegularFile).toList()) {
        byte[] bytes = Files.readAllBytes(f);
        assertThat(new String(bytes, StandardCharsets.ISO_8859_1)).as(f.toString()).doesNotContain(value);
        if (bytes.length > 2 && bytes[0] == 0x1f && (bytes[1] & 0xff) == 0x8b) {
          try (InputStream in = new GZIPInputStream(Files.newInputStream(f))) {
            assertThat(new String(in.readAllBytes(), StandardCharsets.ISO_8859_1))
                .as(f.toString())
                .doesNotContain(value);
          }
        }
      }
    }
    assertThat(events.toString()).doesNotContain(value);
  }

  @Test
  void missingRequiredSecretIsAnErrorAtTheRunLine() {
    assertThatThrownBy(
            () ->
                build(
                    "secret-missing",
                    "FROM busybox:test\nRUN true\nRUN --mount=type=secret,id=npmrc,required cat /run/secrets/npmrc\n"))
        .isInstanceOf(DockerfileException.class)
        .hasMessageContaining("secret \"npmrc\" is required")
        .satisfies(e -> assertThat(((DockerfileException) e).primary().span().startLine()).isEqualTo(3));
  }

  @Test
  void sshForwardsToTheAgentSocket() throws Exception {
    Path agentSocket = tmp.resolve("agent.sock");
    try (ServerSocketChannel agent = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
      agent.bind(UnixDomainSocketAddress.of(agentSocket));
      // a fake agent: answers every request with "pong"
      Thread t =
          new Thread(
              () -> {
                try {
                  while (true) {
                    try (SocketChannel c = agent.accept()) {
                      ByteBuffer in = ByteBuffer.allocate(64);
                      c.read(in);
                      c.write(ByteBuffer.wrap("pong\n".getBytes(StandardCharsets.UTF_8)));
                    }
                  }
                } catch (IOException closed) {
                  // test over
                }
              });
      t.setDaemon(true);
      t.start();
      BuildResult r =
          build(
              context("ssh"),
              "FROM busybox:test\n"
                  + "RUN --mount=type=ssh,mode=0660,uid=1000 sh -c 'test -S \"$SSH_AUTH_SOCK\" && echo $SSH_AUTH_SOCK > /sock;"
                  + " stat -c \"%a %u\" $SSH_AUTH_SOCK > /mode'\n",
              b -> b.ssh(new BuildRequest.Ssh("default", agentSocket)));
      Map<String, String> layer = lastLayer(r);
      assertThat(layer.get("sock")).isEqualTo("/run/buildkit/ssh_agent.0\n");
      assertThat(layer.get("mode")).isEqualTo("660 1000\n");
      assertThat(layer.keySet()).noneMatch(p -> p.startsWith("run"));
    }
  }

  @Test
  void mountStubsAreRemovedButTheStepsFilesStay() throws IOException {
    BuildResult r =
        build(
            "stubs",
            "FROM busybox:test\n"
                + "RUN --mount=type=tmpfs,target=/deep/new/dir sh -c 'mkdir -p /deep/kept && echo k > /deep/kept/f'\n");
    Map<String, String> layer = lastLayer(r);
    assertThat(layer).containsKey("deep/kept/f");
    assertThat(layer.keySet()).noneMatch(p -> p.startsWith("deep/new"));
  }
}
