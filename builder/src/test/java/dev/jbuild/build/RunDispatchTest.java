package dev.jbuild.build;

import static org.assertj.core.api.Assertions.assertThat;

import dev.jbuild.build.registry.RegistryOptions;
import dev.jbuild.build.sandbox.RunStep;
import dev.jbuild.build.sandbox.Sandbox;
import dev.jbuild.cache.BlobStore;
import dev.jbuild.cache.JbuildRoot;
import dev.jbuild.layer.Compression;
import dev.jbuild.layer.LayerEntry;
import dev.jbuild.layer.LayerWriter;
import dev.jbuild.oci.HistoryEntry;
import dev.jbuild.oci.ImageConfig;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What the engine hands the sandbox for RUN (argv, env, user, workdir, mounts, here-documents)
 * and what it records (history, cache), with a sandbox that writes one file per step.
 */
class RunDispatchTest {

  @TempDir Path tmp;

  private final List<RunStep> ran = Collections.synchronizedList(new ArrayList<>());

  /** Writes {@code ran-N} holding the argv, as a sandbox's upper dir would hold changes. */
  private final Sandbox recording =
      (step, out) -> {
        ran.add(step);
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

  private BuildResult build(String dockerfile, Consumer<BuildRequest.Builder> options)
      throws IOException {
    Path dir = tmp.resolve("ctx");
    Files.createDirectories(dir);
    Files.writeString(dir.resolve("Dockerfile"), dockerfile);
    BuildRequest.Builder b = BuildRequest.builder(dir);
    options.accept(b);
    return new Builder(new JbuildRoot(tmp.resolve("root")), RegistryOptions.defaults(), recording, e -> {})
        .build(b.build());
  }

  private ImageConfig config(BuildResult r) {
    return BlobStore.open(new JbuildRoot(tmp.resolve("root"))).readConfig(r.imageId()).value();
  }

  @Test
  void runSeesArgsEnvUserAndWorkdirAndIsRecordedLikeBuildKit() throws IOException {
    BuildResult r =
        build(
            "FROM scratch\nARG A=1\nENV B=2\nUSER 5:6\nWORKDIR /w\nRUN echo $A $B\n",
            b -> b.buildArg("HTTP_PROXY", "http://proxy:3128"));
    assertThat(ran).hasSize(1);
    RunStep step = ran.get(0);
    assertThat(step.args()).containsExactly("/bin/sh", "-c", "echo $A $B");
    assertThat(step.env()).contains("A=1", "B=2", "HTTP_PROXY=http://proxy:3128", "http_proxy=http://proxy:3128");
    assertThat(step.user()).isEqualTo("5:6");
    assertThat(step.workdir()).isEqualTo("/w");
    assertThat(step.layers()).hasSize(1);
    ImageConfig c = config(r);
    HistoryEntry last = c.history().get(c.history().size() - 1);
    assertThat(last.createdBy()).isEqualTo("RUN |1 A=1 /bin/sh -c echo $A $B # buildkit");
    assertThat(last.emptyLayer()).isFalse();
    assertThat(c.rootfs().diffIds()).hasSize(2);
    assertThat(c.config().env()).noneMatch(e -> e.startsWith("A=") || e.toLowerCase().contains("proxy"));

    // a proxy value is not part of the cache key; the ARG is
    ran.clear();
    BuildResult again =
        build(
            "FROM scratch\nARG A=1\nENV B=2\nUSER 5:6\nWORKDIR /w\nRUN echo $A $B\n",
            b -> b.buildArg("HTTP_PROXY", "http://other:3128"));
    assertThat(ran).isEmpty();
    assertThat(again.cachedSteps()).isEqualTo(2);
    build("FROM scratch\nARG A=1\nENV B=2\nUSER 5:6\nWORKDIR /w\nRUN echo $A $B\n", b -> b.buildArg("A", "9"));
    assertThat(ran).hasSize(1);
  }

  @Test
  void execFormAndShellAreUsedAsGiven() throws IOException {
    build("FROM scratch\nSHELL [\"/bin/bash\", \"-eo\", \"pipefail\", \"-c\"]\nRUN a | b\nRUN [\"x\", \"y z\"]\n", b -> {});
    assertThat(ran.get(0).args()).containsExactly("/bin/bash", "-eo", "pipefail", "-c", "a | b");
    assertThat(ran.get(1).args()).containsExactly("x", "y z");
  }

  @Test
  void hereDocumentsBecomeTheScriptOrAPipeFile() throws IOException {
    build(
        "FROM scratch\nRUN <<EOF\necho one\necho two\nEOF\n"
            + "RUN <<'SCRIPT'\n#!/usr/bin/env python3\nprint(1)\nSCRIPT\n"
            + "RUN cat <<A > /a\nbody\nA\n",
        b -> {});
    assertThat(ran.get(0).args()).containsExactly("/bin/sh", "-c", "echo one\necho two\n");
    assertThat(ran.get(1).args()).containsExactly("/bin/sh", "-c", "/dev/pipes/SCRIPT");
    assertThat(ran.get(1).pipes()).hasSize(1);
    assertThat(new String(ran.get(1).pipes().get(0).content(), StandardCharsets.UTF_8))
        .isEqualTo("#!/usr/bin/env python3\nprint(1)\n");
    assertThat(ran.get(1).pipes().get(0).mode()).isEqualTo(0755);
    assertThat(ran.get(2).args()).containsExactly("/bin/sh", "-c", "cat <<A > /a\nbody\nA");
  }

  @Test
  void mountValuesAreExpandedButNotFrom() throws IOException {
    build(
        "FROM scratch AS dep\nFROM scratch\nARG T=/cache\nRUN --mount=type=cache,target=$T,id=c-$T --mount=type=bind,from=dep,target=/d true\n",
        b -> {});
    RunStep step = ran.get(0);
    assertThat(step.mounts()).hasSize(2);
    assertThat(step.mounts().get(0).target()).contains("/cache");
    assertThat(step.mounts().get(0).id()).contains("c-/cache");
    assertThat(step.mounts().get(1).from()).contains("dep");
  }

  @Test
  void aCacheMissBeforeARunStartsTheSandboxBesideTheStep() throws IOException {
    List<String> log = Collections.synchronizedList(new ArrayList<>());
    Sandbox warming =
        new Sandbox() {
          @Override
          public dev.jbuild.layer.LayerBlob run(RunStep step, java.io.OutputStream out) {
            log.add("run");
            return recording.run(step, out);
          }

          @Override
          public void warmUp() {
            log.add("warm-up");
          }
        };
    Path dir = Files.createDirectories(tmp.resolve("warm"));
    Files.writeString(dir.resolve("f"), "f");
    Runnable build = () ->
        new Builder(new JbuildRoot(tmp.resolve("warm-root")), RegistryOptions.defaults(), warming,
            e -> {
              if (e instanceof dev.jbuild.build.event.BuildEvent.LayerWritten) {
                log.add("layer " + ((dev.jbuild.build.event.BuildEvent.LayerWritten) e).step().text());
              }
            }).build(BuildRequest.builder(dir).build());
    Files.writeString(dir.resolve("Dockerfile"), "FROM scratch\nCOPY f /f\nWORKDIR /w\nRUN x\nCOPY f /g\n");
    build.run();
    assertThat(log).startsWith("warm-up", "layer COPY f /f").contains("run");
    assertThat(log.indexOf("warm-up")).isLessThan(log.indexOf("layer COPY f /f"));
    assertThat(log.lastIndexOf("warm-up")).isLessThan(log.indexOf("run")); // none for COPY f /g

    log.clear();
    build.run(); // all cached: nothing starts
    assertThat(log).isEmpty();

    // a miss with no RUN after it in the stage starts nothing
    Files.writeString(dir.resolve("Dockerfile"), "FROM scratch\nRUN x\nCOPY f /h\n");
    build.run();
    assertThat(log).containsExactly("run", "layer RUN x", "layer COPY f /h");
  }

  @Test
  void aLayerStoredBeforeARunIsHandedToTheSandboxToExtractWithItsHeaderIndex()
      throws IOException {
    List<String> log = Collections.synchronizedList(new ArrayList<>());
    JbuildRoot root = new JbuildRoot(tmp.resolve("root-ahead"));
    Sandbox extracting = new Sandbox() {
      @Override
      public dev.jbuild.layer.LayerBlob run(RunStep step, java.io.OutputStream out) {
        log.add("run " + String.join(" ", step.args()));
        return recording.run(step, out);
      }

      @Override
      public void extractAhead(List<RunStep.Layer> layers) {
        for (RunStep.Layer l : layers) {
          // handed over once the blob is stored, with its header index already beside it
          BlobStore blobs = BlobStore.open(root);
          dev.jbuild.oci.Digest digest = dev.jbuild.oci.Digest.parse(
              "sha256:" + l.blob().getFileName());
          log.add("extract " + (Files.isRegularFile(l.blob()) ? "stored" : "missing") + " "
              + (Files.isRegularFile(blobs.headersPath(digest)) ? "indexed" : "unindexed"));
        }
      }
    };
    Path dir = tmp.resolve("ctx-ahead");
    Files.createDirectories(dir);
    Files.writeString(dir.resolve("f"), "f\n");
    Files.writeString(dir.resolve("Dockerfile"),
        "FROM scratch\nCOPY f /f\nRUN a\nCOPY f /g\nENV X=1\n");
    new Builder(root, RegistryOptions.defaults(), extracting, e -> {})
        .build(BuildRequest.builder(dir).build());
    // the COPY after the last RUN is not handed over: no step will stack it
    assertThat(log).containsExactly("extract stored indexed", "run /bin/sh -c a");
  }
}
