package dev.jbuild.build.sandbox;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.jbuild.build.BuildRequest;
import dev.jbuild.build.BuildResult;
import dev.jbuild.build.Builder;
import dev.jbuild.build.registry.RegistryOptions;
import dev.jbuild.cache.JbuildRoot;
import dev.jbuild.dockerfile.DockerfileException;
import dev.jbuild.layer.Compression;
import dev.jbuild.layer.LayerEntry;
import dev.jbuild.layer.LayerWriter;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What the engine resolves for each {@code RUN --mount} type and hands the sandbox, and what it
 * keeps out of layers, history and cache keys; the sandbox here only records the steps (and
 * what a context bind mount holds while the step runs).
 */
class RunMountEngineTest {

  @TempDir Path tmp;

  private final List<RunStep> ran = Collections.synchronizedList(new ArrayList<>());
  private final List<List<String>> boundFiles = Collections.synchronizedList(new ArrayList<>());

  private final Sandbox recording =
      (step, out) -> {
        ran.add(step);
        List<String> files = new ArrayList<>();
        for (ResolvedMount m : step.resolvedMounts()) {
          if (m instanceof ResolvedMount.Bind
              && ((ResolvedMount.Bind) m).source() instanceof ResolvedMount.Source.Directory) {
            Path dir = ((ResolvedMount.Source.Directory) ((ResolvedMount.Bind) m).source()).dir();
            try (Stream<Path> s = Files.walk(dir)) {
              s.filter(Files::isRegularFile).forEach(p -> files.add(dir.relativize(p).toString()));
            } catch (IOException e) {
              throw new UncheckedIOException(e);
            }
          }
        }
        Collections.sort(files);
        boundFiles.add(files);
        try {
          return new LayerWriter(LayerWriter.Options.of(Compression.GZIP))
              .write(
                  List.of(
                      LayerEntry.file(
                          "ran-" + ran.size(),
                          0644,
                          String.join(" ", step.args()).getBytes(StandardCharsets.UTF_8))),
                  out);
        } catch (IOException e) {
          throw new UncheckedIOException(e);
        }
      };

  private Path context() throws IOException {
    Path dir = tmp.resolve("ctx");
    Files.createDirectories(dir);
    return dir;
  }

  private BuildResult build(String dockerfile, Consumer<BuildRequest.Builder> options)
      throws IOException {
    Path dir = context();
    Files.writeString(dir.resolve("Dockerfile"), dockerfile);
    BuildRequest.Builder b = BuildRequest.builder(dir);
    options.accept(b);
    return new Builder(new JbuildRoot(tmp.resolve("root")), RegistryOptions.defaults(), recording, e -> {})
        .build(b.build());
  }

  private Path secretFile(String value) {
    Path f = tmp.resolve("secret-" + value.hashCode());
    try {
      Files.writeString(f, value);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return f;
  }

  @Test
  void secretFileReachesTheSandboxOnlyAndNeverTheKeyHistoryOrStore() throws IOException {
    String value = "s3cr3t-value-4711";
    String dockerfile = "FROM scratch\nRUN --mount=type=secret,id=tok cat /run/secrets/tok\n";
    build(dockerfile, b -> b.secret(BuildRequest.Secret.ofFile("tok", secretFile(value))));
    assertThat(ran).hasSize(1);
    RunStep step = ran.get(0);
    assertThat(step.resolvedMounts()).hasSize(1);
    ResolvedMount.Secret s = (ResolvedMount.Secret) step.resolvedMounts().get(0);
    assertThat(s.target()).isEqualTo("/run/secrets/tok");
    assertThat(new String(s.value(), StandardCharsets.UTF_8)).isEqualTo(value);
    assertThat(s.mode()).isEqualTo(0400);
    assertThat(s.uid()).isZero();
    assertThat(s.env()).isEmpty();
    assertThat(s.toString()).doesNotContain(value);
    assertThat(step.toString()).doesNotContain(value);
    assertThat(step.env()).noneMatch(e -> e.contains(value));

    // another value of the secret is the same step: served from the cache
    ran.clear();
    BuildResult again =
        build(dockerfile, b -> b.secret(BuildRequest.Secret.ofFile("tok", secretFile("other-value"))));
    assertThat(ran).isEmpty();
    assertThat(again.cachedSteps()).isEqualTo(1);

    // no file under the jbuild root holds the value: blobs, cache index, image index, tmp
    try (Stream<Path> files = Files.walk(tmp.resolve("root"))) {
      for (Path f : files.filter(Files::isRegularFile).toList()) {
        assertThat(Files.readString(f, StandardCharsets.ISO_8859_1)).as(f.toString()).doesNotContain(value);
      }
    }
  }

  @Test
  void secretOptionsTargetModeOwnerAndEnv() throws IOException {
    build(
        "FROM scratch\nWORKDIR /w\n"
            + "RUN --mount=type=secret,id=a,target=rel/a.txt,mode=0440,uid=7,gid=8"
            + " --mount=type=secret,id=b,env=B_TOKEN"
            + " --mount=type=secret,id=c,env=C_TOKEN,target=/c"
            + " --mount=type=secret,target=/etc/d.conf true\n",
        b ->
            b.secret(BuildRequest.Secret.ofFile("a", secretFile("A")))
                .secret(BuildRequest.Secret.ofFile("b", secretFile("B")))
                .secret(BuildRequest.Secret.ofFile("c", secretFile("C")))
                .secret(BuildRequest.Secret.ofFile("d.conf", secretFile("D"))));
    List<ResolvedMount> m = ran.get(0).resolvedMounts();
    assertThat(m).hasSize(4);
    ResolvedMount.Secret a = (ResolvedMount.Secret) m.get(0);
    assertThat(a.target()).isEqualTo("/w/rel/a.txt");
    assertThat(a.mode()).isEqualTo(0440);
    assertThat(a.uid()).isEqualTo(7);
    assertThat(a.gid()).isEqualTo(8);
    ResolvedMount.Secret b = (ResolvedMount.Secret) m.get(1);
    assertThat(b.file()).isEmpty();
    assertThat(b.env()).contains("B_TOKEN");
    ResolvedMount.Secret c = (ResolvedMount.Secret) m.get(2);
    assertThat(c.file()).contains("/c");
    assertThat(c.env()).contains("C_TOKEN");
    ResolvedMount.Secret d = (ResolvedMount.Secret) m.get(3);
    assertThat(d.id()).isEqualTo("d.conf");
    assertThat(d.target()).isEqualTo("/etc/d.conf");
    // env= secrets join the environment the sandbox gets, and only that
    assertThat(ran.get(0).env()).contains("B_TOKEN=B", "C_TOKEN=C");
  }

  @Test
  void envSecretIsNotInTheKeyOrTheImage() throws IOException {
    String dockerfile = "FROM scratch\nENV TOKEN=public\nRUN --mount=type=secret,id=t,env=TOKEN true\n";
    BuildResult r = build(dockerfile, b -> b.secret(BuildRequest.Secret.ofFile("t", secretFile("hidden-1"))));
    assertThat(ran.get(0).env()).contains("TOKEN=hidden-1").doesNotContain("TOKEN=public");
    build(dockerfile, b -> b.secret(BuildRequest.Secret.ofFile("t", secretFile("hidden-2"))));
    assertThat(ran).hasSize(1);
    try (Stream<Path> files = Files.walk(tmp.resolve("root"))) {
      for (Path f : files.filter(Files::isRegularFile).toList()) {
        assertThat(Files.readString(f, StandardCharsets.ISO_8859_1)).as(f.toString()).doesNotContain("hidden-1");
      }
    }
    assertThat(r.imageId()).isNotNull();
  }

  @Test
  void missingRequiredSecretIsAPositionedErrorBeforeAnyStepRuns() throws IOException {
    assertThatThrownBy(
            () ->
                build(
                    "FROM scratch\nRUN echo first\n"
                        + "RUN --mount=type=secret,id=npmrc,required true\n",
                    b -> {}))
        .isInstanceOf(DockerfileException.class)
        .hasMessageContaining("secret \"npmrc\" is required but was not given")
        .hasMessageContaining("--secret id=npmrc,src=FILE")
        .satisfies(
            e -> {
              DockerfileException d = (DockerfileException) e;
              assertThat(d.primary().span().startLine()).isEqualTo(3);
            });
    assertThat(ran).isEmpty();
  }

  @Test
  void missingRequiredSecretWithAVariableIdFailsAtItsStep() throws IOException {
    assertThatThrownBy(
            () ->
                build(
                    "FROM scratch\nARG ID=npmrc\nRUN --mount=type=secret,id=$ID,required=true true\n",
                    b -> {}))
        .isInstanceOf(DockerfileException.class)
        .hasMessageContaining("secret \"npmrc\" is required")
        .satisfies(e -> assertThat(((DockerfileException) e).primary().span().startLine()).isEqualTo(3));
  }

  @Test
  void missingOptionalSecretAndAgentAreLeftOut() throws IOException {
    build(
        "FROM scratch\nRUN --mount=type=secret,id=none --mount=type=ssh true\n", b -> {});
    assertThat(ran.get(0).resolvedMounts()).isEmpty();
    // BuildKit sets SSH_AUTH_SOCK even for an optional agent that is absent
    assertThat(ran.get(0).env()).contains("SSH_AUTH_SOCK=/run/buildkit/ssh_agent.0");
  }

  @Test
  void secretFileThatDoesNotExistFailsTheBuildAtStart() {
    assertThatThrownBy(
            () ->
                build(
                    "FROM scratch\nRUN true\n",
                    b -> b.secret(BuildRequest.Secret.ofFile("x", tmp.resolve("missing")))))
        .hasMessageContaining("--secret id=x: failed to stat")
        .hasMessageContaining("missing");
  }

  @Test
  void tooBigSecretIsRefused() throws IOException {
    Path big = tmp.resolve("big");
    Files.write(big, new byte[500 * 1024 + 1]);
    assertThatThrownBy(
            () ->
                build(
                    "FROM scratch\nRUN --mount=type=secret,id=big true\n",
                    b -> b.secret(BuildRequest.Secret.ofFile("big", big))))
        .hasMessageContaining("secret big too big. max size 500KB");
  }

  @Test
  void sshForwardsTheAgentSocketAndSetsSshAuthSock() throws IOException {
    Path sock = tmp.resolve("agent.sock");
    try (ServerSocketChannel agent = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
      agent.bind(UnixDomainSocketAddress.of(sock));
      build(
          "FROM scratch\nRUN --mount=type=ssh --mount=type=ssh,id=work,target=/w.sock,mode=0666,uid=5 true\n",
          b -> b.ssh(new BuildRequest.Ssh("default", sock)).ssh(new BuildRequest.Ssh("work", sock)));
    }
    List<ResolvedMount> m = ran.get(0).resolvedMounts();
    ResolvedMount.Ssh first = (ResolvedMount.Ssh) m.get(0);
    assertThat(first.target()).isEqualTo("/run/buildkit/ssh_agent.0");
    assertThat(first.agent()).isEqualTo(sock);
    assertThat(first.mode()).isEqualTo(0600);
    ResolvedMount.Ssh second = (ResolvedMount.Ssh) m.get(1);
    assertThat(second.target()).isEqualTo("/w.sock");
    assertThat(second.id()).isEqualTo("work");
    assertThat(second.mode()).isEqualTo(0666);
    assertThat(second.uid()).isEqualTo(5);
    assertThat(ran.get(0).env()).contains("SSH_AUTH_SOCK=/run/buildkit/ssh_agent.0");
  }

  @Test
  void requiredSshWithoutAnAgentIsAPositionedError() {
    assertThatThrownBy(() -> build("FROM scratch\nRUN --mount=type=ssh,required true\n", b -> {}))
        .isInstanceOf(DockerfileException.class)
        .hasMessageContaining("no SSH agent \"default\" forwarded: pass --ssh default")
        .satisfies(e -> assertThat(((DockerfileException) e).primary().span().startLine()).isEqualTo(2));
  }

  @Test
  void sshToAFileIsRefusedAtTheStep() throws IOException {
    Path key = tmp.resolve("id_ed25519");
    Files.writeString(key, "not a socket");
    assertThatThrownBy(
            () ->
                build(
                    "FROM scratch\nRUN --mount=type=ssh true\n",
                    b -> b.ssh(new BuildRequest.Ssh("default", key))))
        .hasMessageContaining("jbuild forwards agent sockets only");
  }

  @Test
  void cacheMountIsOneDirectoryUnderTheRootAcrossBuildsAndOutOfTheKey() throws IOException {
    build("FROM scratch\nWORKDIR /app\nRUN --mount=type=cache,target=.m2 a\n", b -> {});
    build("FROM scratch\nWORKDIR /app\nRUN --mount=type=cache,target=.m2 b\n", b -> {});
    build("FROM scratch\nRUN --mount=type=cache,target=/x,id=.m2,sharing=locked,uid=1,gid=2,mode=0700 c\n", b -> {});
    ResolvedMount.Cache a = (ResolvedMount.Cache) ran.get(0).resolvedMounts().get(0);
    ResolvedMount.Cache b = (ResolvedMount.Cache) ran.get(1).resolvedMounts().get(0);
    ResolvedMount.Cache c = (ResolvedMount.Cache) ran.get(2).resolvedMounts().get(0);
    assertThat(a.target()).isEqualTo("/app/.m2");
    assertThat(a.dir()).startsWith(tmp.resolve("root").resolve("cache-mounts"));
    assertThat(b.dir()).isEqualTo(a.dir());
    assertThat(a.mode()).isEqualTo(0755);
    assertThat(a.seed()).isEmpty();
    assertThat(a.readOnly()).isFalse();
    // id ".m2" with another seed (an owned, moded empty directory) is another cache
    assertThat(c.dir()).isNotEqualTo(a.dir());
    assertThat(c.uid()).isEqualTo(1);
    assertThat(c.gid()).isEqualTo(2);
    assertThat(c.mode()).isEqualTo(0700);
    // the lease is released after the step: the same instance is free again
    assertThat(c.dir().getFileName().toString()).isEqualTo("0");
  }

  @Test
  void cacheMountNamespaceComesFromTheBuildArg() throws IOException {
    build("FROM scratch\nRUN --mount=type=cache,target=/c a\n", b -> {});
    build("FROM scratch\nRUN --mount=type=cache,target=/c b\n", b -> b.buildArg("BUILDKIT_CACHE_MOUNT_NS", "proj"));
    Path first = ((ResolvedMount.Cache) ran.get(0).resolvedMounts().get(0)).dir();
    Path second = ((ResolvedMount.Cache) ran.get(1).resolvedMounts().get(0)).dir();
    assertThat(second.getParent()).isNotEqualTo(first.getParent());
    assertThat(Files.readString(second.getParent().resolve("key"))).isEqualTo("proj//c\n");
  }

  @Test
  void bindFromTheContextHonoursDockerignoreAndItsContentIsInTheKey() throws IOException {
    Path ctx = context();
    Files.createDirectories(ctx.resolve("src/sub"));
    Files.writeString(ctx.resolve("src/a.txt"), "a");
    Files.writeString(ctx.resolve("src/sub/b.txt"), "b");
    Files.writeString(ctx.resolve("src/secret.key"), "k");
    Files.writeString(ctx.resolve(".dockerignore"), "**/*.key\n");
    String dockerfile = "FROM scratch\nRUN --mount=target=/src,source=src --mount=type=bind,source=src/a.txt,target=/one,rw make\n";
    build(dockerfile, b -> {});
    List<ResolvedMount> m = ran.get(0).resolvedMounts();
    ResolvedMount.Bind dir = (ResolvedMount.Bind) m.get(0);
    assertThat(dir.target()).isEqualTo("/src");
    assertThat(dir.readOnly()).isTrue();
    assertThat(dir.path()).isEmpty();
    ResolvedMount.Bind one = (ResolvedMount.Bind) m.get(1);
    assertThat(one.readOnly()).isFalse();
    assertThat(one.path()).isEqualTo("a.txt");
    assertThat(boundFiles.get(0)).containsExactly("a.txt", "a.txt", "sub/b.txt");
    // the copies are gone after the step
    assertThat(((ResolvedMount.Source.Directory) dir.source()).dir()).doesNotExist();

    // unchanged context: cached; an ignored file changes: cached; a bound file changes: runs
    build(dockerfile, b -> {});
    Files.writeString(ctx.resolve("src/secret.key"), "k2");
    build(dockerfile, b -> {});
    assertThat(ran).hasSize(1);
    Files.writeString(ctx.resolve("src/sub/b.txt"), "b2");
    build(dockerfile, b -> {});
    assertThat(ran).hasSize(2);
  }

  @Test
  void bindOfAMissingContextPathIsAPositionedError() {
    assertThatThrownBy(() -> build("FROM scratch\nRUN --mount=source=nope,target=/n true\n", b -> {}))
        .hasMessageContaining("nope")
        .hasMessageContaining("not found");
  }

  @Test
  void bindFromAStageWithoutRunGivesItsLayers() throws IOException {
    Path ctx = context();
    Files.writeString(ctx.resolve("f.txt"), "f");
    build(
        "FROM scratch AS files\nCOPY f.txt /data/\n"
            + "FROM scratch\nRUN --mount=from=files,source=/data,target=/d cat /d/f.txt\n",
        b -> {});
    assertThat(ran).hasSize(1);
    ResolvedMount.Bind b = (ResolvedMount.Bind) ran.get(0).resolvedMounts().get(0);
    assertThat(b.path()).isEqualTo("data");
    List<RunStep.Layer> layers = ((ResolvedMount.Source.Layers) b.source()).layers();
    assertThat(layers).hasSize(1);
    assertThat(layers.get(0).blob()).exists();

    // the stage's content is part of the key
    build(
        "FROM scratch AS files\nCOPY f.txt /data/\n"
            + "FROM scratch\nRUN --mount=from=files,source=/data,target=/d cat /d/f.txt\n",
        x -> {});
    assertThat(ran).hasSize(1);
    Files.writeString(ctx.resolve("f.txt"), "changed");
    build(
        "FROM scratch AS files\nCOPY f.txt /data/\n"
            + "FROM scratch\nRUN --mount=from=files,source=/data,target=/d cat /d/f.txt\n",
        x -> {});
    assertThat(ran).hasSize(2);
  }

  @Test
  void cacheSeededFromAStage() throws IOException {
    Path ctx = context();
    Files.writeString(ctx.resolve("f.txt"), "f");
    build(
        "FROM scratch AS seed\nCOPY f.txt /s/\n"
            + "FROM scratch\nRUN --mount=type=cache,from=seed,source=/s,target=/c ls /c\n",
        b -> {});
    ResolvedMount.Cache c = (ResolvedMount.Cache) ran.get(0).resolvedMounts().get(0);
    assertThat(c.seed()).isPresent();
    assertThat(c.seedPath()).isEqualTo("s");
  }

  @Test
  void tmpfsAndTargets() throws IOException {
    build("FROM scratch\nWORKDIR /w\nRUN --mount=type=tmpfs,target=t,size=64m --mount=type=tmpfs,target=/x/../y true\n", b -> {});
    ResolvedMount.Tmpfs t = (ResolvedMount.Tmpfs) ran.get(0).resolvedMounts().get(0);
    assertThat(t.target()).isEqualTo("/w/t");
    assertThat(t.size()).isEqualTo(OptionalLong.of(64L << 20));
    assertThat(((ResolvedMount.Tmpfs) ran.get(0).resolvedMounts().get(1)).target()).isEqualTo("/y");
    assertThatThrownBy(() -> build("FROM scratch\nRUN --mount=type=tmpfs,target=/.. true\n", b -> {}))
        .isInstanceOf(DockerfileException.class)
        .hasMessageContaining("invalid mount target \"/\"");
  }

  @Test
  void mountsCrossTheWorkerPipeWhole() throws IOException {
    List<ResolvedMount> mounts =
        List.of(
            new ResolvedMount.Bind("/a", new ResolvedMount.Source.Directory(Path.of("/ctx")), "x/y", true),
            new ResolvedMount.Bind(
                "/b",
                new ResolvedMount.Source.Layers(
                    List.of(new RunStep.Layer(Path.of("/blob"), dev.jbuild.oci.Digest.of(new byte[] {1})))),
                "",
                false),
            new ResolvedMount.Cache("/c", Path.of("/cm/0"), Optional.empty(), "", 1, 2, 0700, false),
            new ResolvedMount.Tmpfs("/t", OptionalLong.of(1024), true),
            new ResolvedMount.Tmpfs("/u", OptionalLong.empty(), false),
            new ResolvedMount.Secret("/run/secrets/s", "s", Optional.of("S"), new byte[] {0, 1, 2}, 0, 0, 0400),
            new ResolvedMount.Ssh("/run/buildkit/ssh_agent.0", "default", Path.of("/agent"), 0, 0, 0600));
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    ResolvedMount.writeAll(mounts, new DataOutputStream(bytes));
    List<ResolvedMount> back =
        ResolvedMount.readAll(new DataInputStream(new ByteArrayInputStream(bytes.toByteArray())));
    assertThat(back).isEqualTo(mounts);
  }

  @Test
  void secretAndSshOptionsParseAsBuildxDoes() {
    Map<String, String> env = Map.of("GH_TOKEN", "x", "SSH_AUTH_SOCK", "/tmp/agent.sock");
    assertThat(BuildRequest.Secret.parse("id=a,src=/f", env)).isEqualTo(BuildRequest.Secret.ofFile("a", Path.of("/f")));
    assertThat(BuildRequest.Secret.parse("id=a,source=/f,type=file", env)).isEqualTo(BuildRequest.Secret.ofFile("a", Path.of("/f")));
    assertThat(BuildRequest.Secret.parse("id=a,env=GH_TOKEN", env)).isEqualTo(BuildRequest.Secret.ofEnv("a", "GH_TOKEN"));
    assertThat(BuildRequest.Secret.parse("type=env,id=a,src=GH_TOKEN", env)).isEqualTo(BuildRequest.Secret.ofEnv("a", "GH_TOKEN"));
    assertThat(BuildRequest.Secret.parse("id=GH_TOKEN", env)).isEqualTo(BuildRequest.Secret.ofEnv("GH_TOKEN", "GH_TOKEN"));
    assertThat(BuildRequest.Secret.parse("id=token.txt", env)).isEqualTo(BuildRequest.Secret.ofFile("token.txt", Path.of("token.txt")));
    assertThat(BuildRequest.Secret.parse("\"id=a\",\"src=/x,y\"", env)).isEqualTo(BuildRequest.Secret.ofFile("a", Path.of("/x,y")));
    assertThatThrownBy(() -> BuildRequest.Secret.parse("src=/f", env)).hasMessageContaining("the id is missing");
    assertThatThrownBy(() -> BuildRequest.Secret.parse("id=a,type=ssh", env)).hasMessageContaining("unsupported secret type \"ssh\"");
    assertThatThrownBy(() -> BuildRequest.Secret.parse("id=a,file=/f", env)).hasMessageContaining("unexpected key 'file'");
    assertThatThrownBy(() -> BuildRequest.Secret.parse("id=a,src=/f,env=X", env)).hasMessageContaining("either src or env");
    assertThatThrownBy(() -> BuildRequest.Secret.parse("id", env)).hasMessageContaining("must be a key=value pair");

    assertThat(BuildRequest.Ssh.parse("default", env)).isEqualTo(new BuildRequest.Ssh("default", Path.of("/tmp/agent.sock")));
    assertThat(BuildRequest.Ssh.parse("work=/run/a.sock", env)).isEqualTo(new BuildRequest.Ssh("work", Path.of("/run/a.sock")));
    assertThatThrownBy(() -> BuildRequest.Ssh.parse("default", Map.of())).hasMessageContaining("make sure SSH_AUTH_SOCK is set");
    assertThatThrownBy(() -> BuildRequest.Ssh.parse("=x", env)).hasMessageContaining("the id is empty");
    assertThatThrownBy(() -> BuildRequest.Ssh.parse("default=/a,/b", env)).hasMessageContaining("only one agent socket");
  }
}
