package dev.jbuild.build;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.jbuild.build.event.BuildEvent;
import dev.jbuild.build.registry.RegistryOptions;
import dev.jbuild.build.sandbox.Sandbox;
import dev.jbuild.cache.BlobStore;
import dev.jbuild.cache.ImageStore;
import dev.jbuild.cache.JbuildRoot;
import dev.jbuild.dockerfile.DockerfileException;
import dev.jbuild.layer.LayerEntry;
import dev.jbuild.layer.LayerReader;
import dev.jbuild.oci.ContainerConfig;
import dev.jbuild.oci.HistoryEntry;
import dev.jbuild.oci.ImageConfig;
import dev.jbuild.oci.ImageManifest;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The engine on FROM scratch and local-store base images: config, history, cache, errors. */
class BuilderTest {

  @TempDir Path tmp;

  private final List<BuildEvent> events = Collections.synchronizedList(new ArrayList<>());

  private JbuildRoot root() {
    return new JbuildRoot(tmp.resolve("root"));
  }

  private Path context(String dockerfile) throws IOException {
    Path dir = tmp.resolve("ctx");
    Files.createDirectories(dir);
    Files.writeString(dir.resolve("Dockerfile"), dockerfile);
    return dir;
  }

  private BuildResult build(String dockerfile) throws IOException {
    return build(dockerfile, b -> {});
  }

  private BuildResult build(String dockerfile, Consumer<BuildRequest.Builder> options)
      throws IOException {
    BuildRequest.Builder b = BuildRequest.builder(context(dockerfile)).pull(PullPolicy.NEVER);
    options.accept(b);
    return new Builder(root(), RegistryOptions.defaults(), Sandbox.unavailable(), events::add)
        .build(b.build());
  }

  private ImageManifest manifest(BuildResult r) {
    return BlobStore.open(root()).readManifest(r.manifest().digest()).value();
  }

  private ImageConfig config(BuildResult r) {
    return BlobStore.open(root()).readConfig(r.imageId()).value();
  }

  private List<String> createdBy(ImageConfig c) {
    return c.history().stream().map(HistoryEntry::createdBy).toList();
  }

  private List<LayerEntry> layer(BuildResult r, int index) throws IOException {
    Path blob = BlobStore.open(root()).path(manifest(r).layers().get(index).digest());
    List<LayerEntry> out = new ArrayList<>();
    try (LayerReader reader = LayerReader.open(blob)) {
      for (LayerEntry e = reader.next(); e != null; e = reader.next()) {
        out.add(e);
      }
    }
    return out;
  }

  @Test
  void scratchImageHasWorkdirRootAndPath() throws IOException {
    ImageConfig c = config(build("FROM scratch\nLABEL a=b\n"));
    assertThat(c.config().workingDir()).isEqualTo("/");
    assertThat(c.config().env())
        .containsExactly("PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
    assertThat(c.os()).isEqualTo("linux");
    assertThat(c.architecture()).isEqualTo(Builder.defaultPlatform().architecture());
    assertThat(c.rootfs().diffIds()).isEmpty();
  }

  @Test
  void historyStringsAreBuildKits() throws IOException {
    ImageConfig c =
        config(
            build(
                "FROM scratch\n"
                    + "ENV A=1 B=two\n"
                    + "LABEL x=y\n"
                    + "ARG V=3\n"
                    + "USER app\n"
                    + "EXPOSE 80 53/udp\n"
                    + "VOLUME /v /w\n"
                    + "STOPSIGNAL SIGINT\n"
                    + "SHELL [\"/bin/bash\", \"-c\"]\n"
                    + "CMD [\"a\", \"b c\"]\n"
                    + "ENTRYPOINT run me\n"
                    + "HEALTHCHECK --interval=5m --timeout=3s CMD curl -f http://localhost/ || exit 1\n"
                    + "MAINTAINER someone\n"
                    + "WORKDIR /app\n"
                    + "ONBUILD RUN echo hi\n"));
    assertThat(createdBy(c))
        .containsExactly(
            "ENV A=1 B=two",
            "LABEL x=y",
            "ARG V=3",
            "USER app",
            "EXPOSE [53/udp 80/tcp]",
            "VOLUME [/v /w]",
            "STOPSIGNAL SIGINT",
            "SHELL [/bin/bash -c]",
            "CMD [\"a\" \"b c\"]",
            "ENTRYPOINT [\"/bin/bash\" \"-c\" \"run me\"]",
            "HEALTHCHECK &{[\"CMD-SHELL\" \"curl -f http://localhost/ || exit 1\"] \"5m0s\" \"3s\" \"0s\" \"0s\" '\\x00'}",
            "MAINTAINER someone",
            "WORKDIR /app");
    for (HistoryEntry h : c.history()) {
      assertThat(h.comment()).isEqualTo("buildkit.dockerfile.v0");
      assertThat(h.emptyLayer()).isEqualTo(!h.createdBy().startsWith("WORKDIR"));
    }
    assertThat(c.author()).isEqualTo("someone");
    assertThat(c.config().onBuild()).containsExactly("RUN echo hi");
    assertThat(c.config().healthcheck().test())
        .containsExactly("CMD-SHELL", "curl -f http://localhost/ || exit 1");
    assertThat(c.config().exposedPorts()).containsExactly("53/udp", "80/tcp");
    assertThat(c.config().volumes()).containsExactly("/v", "/w");
    assertThat(c.config().labels()).containsEntry("x", "y");
  }

  @Test
  void envPairsSeeThePreviousValues() throws IOException {
    // checklist 14
    ImageConfig c = config(build("FROM scratch\nENV a=1\nENV a=2 b=$a\n"));
    assertThat(c.config().env()).contains("a=2", "b=1");
  }

  @Test
  void globalArgsAreVisibleOnlyInFromUnlessRedeclared() throws IOException {
    // checklist 16
    ImageConfig c =
        config(build("ARG V=one\nARG BASE=scratch\nFROM $BASE\nENV X=${V:-unset}\nARG V\nENV Y=$V\n"));
    assertThat(c.config().env()).contains("X=unset", "Y=one");
  }

  @Test
  void predefinedArgsNeedRedeclaring() throws IOException {
    // checklist 17
    ImageConfig c =
        config(
            build(
                "FROM scratch\nENV A=${TARGETPLATFORM:-none}\nARG TARGETPLATFORM\nENV B=$TARGETPLATFORM\n"
                    + "ARG TARGETSTAGE\nENV C=$TARGETSTAGE\n"));
    assertThat(c.config().env())
        .contains("A=none", "B=linux/" + Builder.defaultPlatform().architecture(), "C=default");
  }

  @Test
  void buildArgsOverrideDefaultsWithoutEvaluatingThemAndUndeclaredOnesAreInvisible()
      throws IOException {
    // checklist 18
    ImageConfig c =
        config(
            build(
                "FROM scratch\nARG B=${NOPE:?must_be_set}\nENV X=$B Y=${OTHER:-hidden}\n",
                r -> r.buildArg("B", "given").buildArg("OTHER", "leak")));
    assertThat(c.config().env()).contains("X=given", "Y=hidden");
    assertThat(createdBy(c)).contains("ARG B=given");
  }

  @Test
  void argValuesStayOutOfConfigEnv() throws IOException {
    // checklist 19
    ImageConfig c = config(build("FROM scratch\nARG A=1\nARG E\nENV X=${E-unset} Y=$A\n"));
    assertThat(c.config().env()).contains("X=unset", "Y=1");
    assertThat(c.config().env()).noneMatch(e -> e.startsWith("A=") || e.startsWith("E="));
    assertThat(createdBy(c)).contains("ARG A=1", "ARG E");
  }

  @Test
  void entrypointClearsInheritedCmd() throws IOException {
    // checklist 20
    StoreImages.put(
        root(), "base:1", StoreImages.withUsers(),
        ContainerConfig.empty().toBuilder().cmd(List.of("base-cmd")).build());
    assertThat(config(build("FROM base:1\nENTRYPOINT [\"e\"]\n")).config().cmd()).isEmpty();
    assertThat(config(build("FROM base:1\nLABEL a=b\n")).config().cmd()).containsExactly("base-cmd");
    ImageConfig same = config(build("FROM base:1\nCMD [\"c\"]\nENTRYPOINT [\"e\"]\n"));
    assertThat(same.config().cmd()).containsExactly("c");
    assertThat(same.config().entrypoint()).containsExactly("e");
    ImageConfig parentStage =
        config(build("FROM scratch AS p\nCMD [\"c\"]\nFROM p\nENTRYPOINT [\"e\"]\n"));
    assertThat(parentStage.config().cmd()).isEmpty();
    assertThat(config(build("FROM base:1\nENTRYPOINT []\n")).config().entrypoint()).isEmpty();
  }

  @Test
  void shellFormIsStoredWrappedInTheCurrentShell() throws IOException {
    // checklist 21
    ImageConfig c = config(build("FROM scratch\nCMD echo $HOME\n"));
    assertThat(c.config().cmd()).containsExactly("/bin/sh", "-c", "echo $HOME");
    assertThat(c.config().argsEscaped()).isTrue();
    ImageConfig s = config(build("FROM scratch\nSHELL [\"pwsh\", \"-C\"]\nENTRYPOINT run it\n"));
    assertThat(s.config().entrypoint()).containsExactly("pwsh", "-C", "run it");
    assertThat(s.config().shell()).containsExactly("pwsh", "-C");
  }

  @Test
  void workdirJoinsCreatesOwnedByUserAndRecordsALayer() throws IOException {
    // checklist 25
    StoreImages.put(root(), "users:1", StoreImages.withUsers(), ContainerConfig.empty());
    BuildResult r =
        build("FROM users:1\nWORKDIR /opt\nUSER app\nWORKDIR data/x\nWORKDIR /\nUSER 5:6\nWORKDIR /srv\n");
    ImageConfig c = config(r);
    assertThat(c.config().workingDir()).isEqualTo("/srv");
    assertThat(createdBy(c))
        .containsExactly("base layer", "WORKDIR /opt", "USER app", "WORKDIR /opt/data/x",
            "WORKDIR /", "USER 5:6", "WORKDIR /srv");
    assertThat(c.history().get(4).emptyLayer()).isTrue();
    // WORKDIR /srv, which exists, changes nothing: no layer, an empty_layer entry (as BuildKit's
    // exporter drops an empty diff)
    assertThat(c.history().get(6).emptyLayer()).isTrue();
    assertThat(manifest(r).layers()).hasSize(3);
    List<LayerEntry> opt = layer(r, 1);
    assertThat(opt).extracting(LayerEntry::path).containsExactly("opt");
    assertThat(opt.get(0).mode()).isEqualTo(0755);
    assertThat(opt.get(0).uid()).isZero();
    List<LayerEntry> data = layer(r, 2);
    assertThat(data).extracting(LayerEntry::path).containsExactly("opt", "opt/data", "opt/data/x");
    assertThat(data.get(1).uid()).isEqualTo(1000);
    assertThat(data.get(1).gid()).isEqualTo(1001);
    assertThat(data.get(2).mode()).isEqualTo(0755);
  }

  @Test
  void workdirFollowsSymlinksAndResolvesGroupNames() throws IOException {
    StoreImages.put(root(), "users:1", StoreImages.withUsers(), ContainerConfig.empty());
    BuildResult r = build("FROM users:1\nUSER app:staff\nWORKDIR /link/new\n");
    List<LayerEntry> entries = layer(r, 1);
    assertThat(entries).extracting(LayerEntry::path).containsExactly("srv", "srv/new");
    assertThat(entries.get(0).uid()).isEqualTo(7);
    assertThat(entries.get(1).uid()).isEqualTo(1000);
    assertThat(entries.get(1).gid()).isEqualTo(50);
    assertThat(config(r).config().workingDir()).isEqualTo("/link/new");
  }

  @Test
  void workdirOverAFileIsAPositionedError() throws IOException {
    StoreImages.put(root(), "users:1", StoreImages.withUsers(), ContainerConfig.empty());
    assertThatThrownBy(() -> build("FROM users:1\nWORKDIR /etc/passwd/x\n"))
        .isInstanceOf(BuildStepException.class)
        .hasMessageContaining("not a directory")
        .satisfies(e -> assertThat(((BuildStepException) e).span().startLine()).isEqualTo(2));
  }

  @Test
  void onbuildTriggersRunInTheChildOnly() throws IOException {
    // checklist 32
    StoreImages.put(
        root(), "trig:1", List.of(),
        ContainerConfig.empty().toBuilder().onBuild(List.of("ENV FROM_TRIGGER=$HOME", "LABEL t=1")).build());
    ImageConfig child = config(build("FROM trig:1\nENV HOME=/h\n", r -> r.tag("child:1")));
    assertThat(child.config().env()).contains("FROM_TRIGGER=");
    assertThat(child.config().labels()).containsEntry("t", "1");
    assertThat(child.config().onBuild()).isEmpty();
    ImageConfig grandchild = config(build("FROM child:1\n"));
    assertThat(grandchild.config().labels()).containsEntry("t", "1");
    assertThat(createdBy(grandchild).stream().filter(s -> s.equals("LABEL t=1"))).hasSize(1);
    // a parent stage's triggers run in the stage built on it
    ImageConfig stages =
        config(build("FROM scratch AS p\nONBUILD LABEL from=parent\nFROM p\nLABEL own=1\n"));
    assertThat(stages.config().labels()).containsEntry("from", "parent").containsEntry("own", "1");
    assertThat(stages.config().onBuild()).isEmpty();
  }

  @Test
  void badTriggerIsReportedAtTheFromLine() throws IOException {
    StoreImages.put(
        root(), "bad:1", List.of(),
        ContainerConfig.empty().toBuilder().onBuild(List.of("STOPSIGNAL NOPE")).build());
    assertThatThrownBy(() -> build("ARG A\nFROM bad:1\n"))
        .isInstanceOf(DockerfileException.class)
        .hasMessageContaining("Invalid signal: NOPE")
        .satisfies(e -> assertThat(((DockerfileException) e).primary().span().startLine()).isEqualTo(2));
  }

  @Test
  void changesUnderAVolumeAreKept() throws IOException {
    // checklist 34
    BuildResult r = build("FROM scratch\nVOLUME /data\nWORKDIR /data/sub\n");
    assertThat(layer(r, 0)).extracting(LayerEntry::path).containsExactly("data", "data/sub");
    assertThat(config(r).config().volumes()).containsExactly("/data");
  }

  @Test
  void pathIsInjectedWhenTheBaseHasNone() throws IOException {
    // checklist 35
    StoreImages.put(
        root(), "nopath:1", List.of(),
        ContainerConfig.empty().toBuilder().env(List.of("A=1")).build());
    ImageConfig c = config(build("FROM nopath:1\nENV B=$PATH\n"));
    assertThat(c.config().env())
        .containsExactly(
            "A=1",
            "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
            "B=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
  }

  @Test
  void labelsFromTheCommandLineWinAtTheEnd() throws IOException {
    ImageConfig c =
        config(build("FROM scratch\nLABEL a=file b=file\n", r -> r.label("b", "cli").label("c", "cli")));
    assertThat(c.config().labels())
        .containsEntry("a", "file").containsEntry("b", "cli").containsEntry("c", "cli");
  }

  @Test
  void secondBuildIsAllCacheHitsWithTheSameImage() throws IOException {
    String df = "FROM scratch\nWORKDIR /a\nENV X=1\nWORKDIR b\n";
    BuildResult first = build(df, r -> r.tag("c:1"));
    assertThat(first.cachedSteps()).isZero();
    events.clear();
    BuildResult second = build(df, r -> r.tag("c:1"));
    assertThat(second.imageId()).isEqualTo(first.imageId());
    assertThat(second.manifest()).isEqualTo(first.manifest());
    assertThat(events).filteredOn(e -> e instanceof BuildEvent.StepCached).hasSize(2);
    assertThat(events).noneMatch(e -> e instanceof BuildEvent.LayerWritten);
    // a changed LABEL keeps the layers but makes a new image
    BuildResult third = build(df + "LABEL n=1\n");
    assertThat(manifest(third).layers()).isEqualTo(manifest(first).layers());
    assertThat(third.imageId()).isNotEqualTo(first.imageId());
    // --no-cache rebuilds the layers
    events.clear();
    build(df, r -> r.noCache(true));
    assertThat(events).filteredOn(e -> e instanceof BuildEvent.LayerWritten).hasSize(2);
  }

  /** Cache entries are written beside the steps; the build waits for them, and fails with them. */
  @Test
  void aCacheEntryThatCannotBeWrittenFailsTheBuild() throws IOException {
    Files.createDirectories(root().buildCache());
    Files.writeString(root().buildCache().resolve("steps"), "not a directory");
    assertThatThrownBy(() -> build("FROM scratch\nWORKDIR /a\n"))
        .isInstanceOf(dev.jbuild.cache.CacheException.class)
        .hasMessageContaining("cannot create the build cache directory");
  }

  @Test
  void aFailedBuildKeepsTheCacheEntriesOfItsFinishedSteps() throws IOException {
    assertThatThrownBy(() -> build("FROM scratch\nWORKDIR /a\nWORKDIR /b\nCOPY missing /x\n"))
        .isInstanceOf(BuildStepException.class);
    events.clear();
    build("FROM scratch\nWORKDIR /a\nWORKDIR /b\n");
    assertThat(events)
        .filteredOn(e -> e instanceof BuildEvent.StepCached)
        .extracting(e -> ((BuildEvent.StepCached) e).step().text())
        .containsExactly("WORKDIR /a", "WORKDIR /b");
  }

  @Test
  void changingAStepInvalidatesItAndTheStepsAfterIt() throws IOException {
    build("FROM scratch\nWORKDIR /a\nWORKDIR /b\nWORKDIR /c\n");
    events.clear();
    build("FROM scratch\nWORKDIR /a\nWORKDIR /B\nWORKDIR /c\n");
    assertThat(events)
        .filteredOn(e -> e instanceof BuildEvent.StepCached)
        .extracting(e -> ((BuildEvent.StepCached) e).step().text())
        .containsExactly("WORKDIR /a");
  }

  @Test
  void sourceDateEpochGivesTheSameDigestEverywhere() throws IOException {
    String df = "FROM scratch\nWORKDIR /app\nUSER 1000\nWORKDIR /app/x\nCMD [\"run\"]\n";
    BuildResult a = build(df, r -> r.sourceDateEpoch(Instant.ofEpochSecond(1700000000)));
    ImageConfig c = config(a);
    assertThat(c.created()).isEqualTo(Instant.ofEpochSecond(1700000000));
    assertThat(c.history()).allMatch(h -> h.created().equals(Instant.ofEpochSecond(1700000000)));
    Path otherRoot = tmp.resolve("other");
    BuildResult b =
        new Builder(new JbuildRoot(otherRoot), RegistryOptions.defaults(), Sandbox.unavailable(), e -> {})
            .build(
                BuildRequest.builder(tmp.resolve("ctx"))
                    .buildArg("SOURCE_DATE_EPOCH", "1700000000")
                    .build());
    assertThat(b.manifest().digest()).isEqualTo(a.manifest().digest());
  }

  @Test
  void stagesTheTargetDoesNotNeedAreNotRun() throws IOException {
    BuildResult r =
        build(
            "FROM unreachable.invalid/nothing:1 AS unused\nFROM scratch AS used\nLABEL s=used\n"
                + "FROM scratch AS other\nLABEL s=other\n",
            b -> b.target("used"));
    assertThat(config(r).config().labels()).containsEntry("s", "used");
    assertThat(events)
        .filteredOn(e -> e instanceof BuildEvent.StepStarted)
        .extracting(e -> ((BuildEvent.StepStarted) e).step().stage())
        .containsOnly("used");
  }

  @Test
  void unknownTargetIsAnError() {
    assertThatThrownBy(() -> build("FROM scratch AS a\n", b -> b.target("nope")))
        .isInstanceOf(JbuildException.class)
        .hasMessageContaining("target stage \"nope\" could not be found")
        .hasMessageContaining("a");
  }

  @Test
  void circularCopyFromIsAPositionedError() throws IOException {
    assertThatThrownBy(
            () ->
                build(
                    "FROM scratch AS stage0\nCOPY --from=stage2 f1 /sub/\nFROM scratch AS stage1\n"
                        + "COPY --from=stage0 f2 /sub/\nFROM scratch AS stage2\nCOPY --from=stage1 f2 /sub/\n"))
        .isInstanceOf(DockerfileException.class)
        .hasMessageContaining("circular dependency detected on stage: stage0")
        .satisfies(
            e ->
                assertThat(((DockerfileException) e).diagnostics())
                    .extracting(d -> d.span().startLine())
                    .containsExactly(2, 6, 4));
    assertThatThrownBy(() -> build("FROM scratch AS self\nCOPY --from=self a /b\n"))
        .isInstanceOf(DockerfileException.class)
        .hasMessageContaining("circular dependency detected on stage: self");
  }

  @Test
  void runIsAPositionedErrorUntilTheSandboxLands() {
    assertThatThrownBy(() -> build("FROM scratch\nLABEL a=b\nRUN echo hi\n"))
        .isInstanceOf(DockerfileException.class)
        .hasMessageContaining("RUN is not available yet")
        .satisfies(e -> assertThat(((DockerfileException) e).primary().span().startLine()).isEqualTo(3));
  }

  @Test
  void missingBaseImageWithPullNeverLeavesNothingBehind() throws IOException {
    assertThatThrownBy(() -> build("FROM scratch\nWORKDIR /x\nFROM nothere:1\nLABEL a=b\n", b -> b.tag("t:1")))
        .isInstanceOf(BuildStepException.class)
        .hasMessageContaining("nothere:1")
        .hasMessageContaining("--pull=never")
        .satisfies(e -> assertThat(((BuildStepException) e).span().startLine()).isEqualTo(3));
    assertThat(new ImageStore(BlobStore.open(root())).list()).isEmpty();
    assertThat(BlobStore.open(root()).list()).isEmpty();
  }

  @Test
  void expansionErrorsArePositioned() {
    assertThatThrownBy(() -> build("FROM scratch\n\nENV A=${B:?needs_B}\n"))
        .isInstanceOf(DockerfileException.class)
        .hasMessageContaining("needs_B")
        .satisfies(e -> assertThat(((DockerfileException) e).primary().span().startLine()).isEqualTo(3));
    assertThatThrownBy(() -> build("ARG X\nFROM ${X}\n"))
        .isInstanceOf(DockerfileException.class)
        .hasMessageContaining("base name (${X}) should not be blank");
    assertThatThrownBy(() -> build("FROM scratch\nSTOPSIGNAL SIGNOPE\n"))
        .isInstanceOf(DockerfileException.class)
        .hasMessageContaining("Invalid signal: SIGNOPE");
    assertThatThrownBy(() -> build("FROM scratch\nEXPOSE 80/xyz\n"))
        .isInstanceOf(DockerfileException.class)
        .hasMessageContaining("invalid proto: xyz");
  }

  @Test
  void iidFileAndMetadataFile() throws IOException {
    Path iid = tmp.resolve("out/iid");
    Path meta = tmp.resolve("out/meta.json");
    BuildResult r =
        build("FROM scratch\nLABEL a=b\n", b -> b.tag("m:1").iidFile(iid).metadataFile(meta));
    assertThat(Files.readString(iid)).isEqualTo(r.imageId().toString());
    String json = Files.readString(meta);
    assertThat(json)
        .contains("\"containerimage.digest\": \"" + r.manifest().digest() + "\"")
        .contains("\"containerimage.config.digest\": \"" + r.imageId() + "\"")
        .contains("\"image.name\": \"docker.io/library/m:1\"");
  }

  @Test
  void iidFileOfTheSameImageIsLeftAsItIsAndAnotherReplacesIt() throws IOException {
    Path iid = tmp.resolve("out/iid");
    BuildResult first = build("FROM scratch\nLABEL a=b\n", b -> b.tag("m:1").iidFile(iid));
    Files.setLastModifiedTime(iid, java.nio.file.attribute.FileTime.fromMillis(1_000_000L));
    Object inode = Files.readAttributes(iid, java.nio.file.attribute.BasicFileAttributes.class)
        .fileKey();
    build("FROM scratch\nLABEL a=b\n", b -> b.tag("m:1").iidFile(iid));
    assertThat(Files.getLastModifiedTime(iid).toMillis()).isEqualTo(1_000_000L);
    assertThat(Files.readAttributes(iid, java.nio.file.attribute.BasicFileAttributes.class)
        .fileKey()).isEqualTo(inode);
    assertThat(Files.readString(iid)).isEqualTo(first.imageId().toString());
    // a link is replaced by a file, as any write through a temp file and rename does
    Files.delete(iid);
    Path elsewhere = Files.writeString(tmp.resolve("elsewhere"), first.imageId().toString());
    Files.createSymbolicLink(iid, elsewhere);
    build("FROM scratch\nLABEL a=b\n", b -> b.tag("m:1").iidFile(iid));
    assertThat(Files.isSymbolicLink(iid)).isFalse();
    BuildResult other = build("FROM scratch\nLABEL a=c\n", b -> b.tag("m:1").iidFile(iid));
    assertThat(other.imageId()).isNotEqualTo(first.imageId());
    assertThat(Files.readString(iid)).isEqualTo(other.imageId().toString());
  }

  @Test
  void concurrentBuildsShareOneCache() throws Exception {
    String df = "FROM scratch\nWORKDIR /a\nWORKDIR /b\n";
    context(df);
    List<Thread> threads = new ArrayList<>();
    List<Object> results = Collections.synchronizedList(new ArrayList<>());
    for (int i = 0; i < 4; i++) {
      int n = i;
      Thread t =
          new Thread(
              () -> {
                try {
                  results.add(
                      new Builder(root(), RegistryOptions.defaults(), Sandbox.unavailable(), e -> {})
                          .build(
                              BuildRequest.builder(tmp.resolve("ctx"))
                                  .tag("con:" + n)
                                  .sourceDateEpoch(Instant.ofEpochSecond(1))
                                  .build())
                          .imageId());
                } catch (RuntimeException e) {
                  results.add(e);
                }
              });
      threads.add(t);
      t.start();
    }
    for (Thread t : threads) {
      t.join();
    }
    assertThat(results).hasSize(4).allMatch(o -> o.equals(results.get(0)));
    assertThat(new ImageStore(BlobStore.open(root())).list()).hasSize(4);
  }

  @Test
  void dockerfileIsReadFromTheContextOrFile() throws IOException {
    Path other = tmp.resolve("Other.Dockerfile");
    Files.writeString(other, "FROM scratch\nLABEL which=other\n", StandardCharsets.UTF_8);
    ImageConfig c = config(build("FROM scratch\nLABEL which=default\n", b -> b.dockerfile(other)));
    assertThat(c.config().labels()).containsEntry("which", "other");
    assertThatThrownBy(() -> build("FROM scratch\n", b -> b.dockerfile(tmp.resolve("missing"))))
        .isInstanceOf(JbuildException.class)
        .hasMessageContaining("does not exist");
  }

  @Test
  void missingLiteralCopySourceIsAPositionedError() throws IOException {
    Path ctx = context("FROM scratch\nCOPY here.txt nothere.txt /d/\n");
    Files.writeString(ctx.resolve("here.txt"), "x");
    assertThatThrownBy(() -> build("FROM scratch\nCOPY here.txt nothere.txt /d/\n"))
        .isInstanceOf(BuildStepException.class)
        .hasMessageContaining("\"/nothere.txt\": not found")
        .satisfies(e -> assertThat(((BuildStepException) e).span().startLine()).isEqualTo(2));
  }

  @Test
  void copyFromAnUnknownNameThatIsNoImageIsAPositionedError() {
    assertThatThrownBy(() -> build("FROM scratch\nLABEL a=b\nCOPY --from=Not_A_Stage /x /y\n"))
        .isInstanceOf(DockerfileException.class)
        .hasMessageContaining("COPY --from=Not_A_Stage: there is no stage of that name")
        .satisfies(e -> assertThat(((DockerfileException) e).primary().span().startLine()).isEqualTo(3));
    assertThatThrownBy(() -> build("FROM scratch\nCOPY --from=builder /x /y\n"))
        .isInstanceOf(BuildStepException.class)
        .hasMessageContaining("COPY --from=builder: no stage of the Dockerfile has that name")
        .hasMessageContaining("--pull=never");
  }

  @Test
  void severalPlatformsGiveAnIndex() throws IOException {
    BuildResult r =
        build(
            "FROM scratch\nARG TARGETARCH\nLABEL arch=$TARGETARCH\nWORKDIR /w\n",
            b ->
                b.tag("multi:1")
                    .platform(dev.jbuild.oci.Platform.parse("linux/amd64"))
                    .platform(dev.jbuild.oci.Platform.parse("linux/arm64")));
    assertThat(r.manifest().mediaType()).isEqualTo(dev.jbuild.oci.MediaTypes.OCI_INDEX);
    assertThat(r.imageId()).isEqualTo(r.manifest().digest());
    dev.jbuild.oci.ImageIndex index =
        BlobStore.open(root()).readIndex(r.manifest().digest()).value();
    assertThat(index.manifests()).hasSize(2);
    List<String> arches = new ArrayList<>();
    for (dev.jbuild.oci.Descriptor m : index.manifests()) {
      ImageManifest manifest = BlobStore.open(root()).readManifest(m.digest()).value();
      ImageConfig c = BlobStore.open(root()).readConfig(manifest.config().digest()).value();
      assertThat(c.architecture()).isEqualTo(m.platform().architecture());
      assertThat(c.config().labels()).containsEntry("arch", c.architecture());
      arches.add(c.architecture());
    }
    assertThat(arches).containsExactly("amd64", "arm64");
    assertThat(new ImageStore(BlobStore.open(root())).list().get(0).target().digest())
        .isEqualTo(r.manifest().digest());
    assertThatThrownBy(
            () ->
                build(
                    "FROM scratch\n",
                    b ->
                        b.platform(dev.jbuild.oci.Platform.parse("linux/amd64"))
                            .platform(dev.jbuild.oci.Platform.parse("amd64"))))
        .isInstanceOf(JbuildException.class)
        .hasMessageContaining("given twice");
  }

  @Test
  void compressionIsChosenPerBuildAndPartOfTheCacheKey() throws IOException {
    BuildResult gzip =
        build("FROM scratch\nWORKDIR /a\n", b -> b.sourceDateEpoch(Instant.ofEpochSecond(5)));
    assertThat(manifest(gzip).layers().get(0).mediaType())
        .isEqualTo(dev.jbuild.oci.MediaTypes.OCI_LAYER_GZIP);
    events.clear();
    BuildResult zstd =
        build(
            "FROM scratch\nWORKDIR /a\n",
            b ->
                b.compression(dev.jbuild.layer.Compression.ZSTD)
                    .sourceDateEpoch(Instant.ofEpochSecond(5)));
    assertThat(manifest(zstd).layers().get(0).mediaType())
        .isEqualTo(dev.jbuild.oci.MediaTypes.OCI_LAYER_ZSTD);
    assertThat(events).noneMatch(e -> e instanceof BuildEvent.StepCached);
    assertThat(config(zstd).rootfs().diffIds()).isEqualTo(config(gzip).rootfs().diffIds());
  }
}
