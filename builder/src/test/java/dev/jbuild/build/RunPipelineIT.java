package dev.jbuild.build;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.jbuild.build.event.BuildEvent;
import dev.jbuild.build.registry.RegistryOptions;
import dev.jbuild.build.sandbox.Sandbox;
import dev.jbuild.cache.JbuildRoot;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Pipelined snapshots (issue 5/7): a RUN step's layer is written while the next RUN step runs
 * on its frozen upper dir. The layers are those of the same steps run one after the other, and
 * a layer that cannot be written fails the build with its own step's error, stops the step
 * running on it, and leaves nothing behind.
 */
@Tag("sandbox")
class RunPipelineIT {

  /** Changes that lean on the step below: copy-ups, whiteouts, an opaque dir, hard links. */
  private static final List<String> STEPS = List.of(
      "RUN mkdir -p /a/b /c /d && echo one > /a/b/f && echo two > /a/g && ln /a/g /a/h"
          + " && touch /d/x && chmod 0700 /c && rm /etc/group",
      "RUN rm /a/g && chmod 0600 /a/b/f && echo three >> /a/b/f && rm -rf /d && mkdir /d"
          + " && touch /d/y && echo root:x:0: > /etc/group",
      "RUN rm -rf /a && mkdir /a && echo four > /a/z && touch /c/new && chown 1:1 /d/y",
      // what the process sees of the layers below, mtimes included (not those of / and /c,
      // which this step changes, nor of the mount points)
      "RUN rm /c/new && stat -c '%n %s %u %g %a %Y' /a /a/z /d /d/y /etc/group > /listing");

  @TempDir Path tmp;

  @AfterEach
  void deleteRoots() throws Exception {
    for (String r : new String[] {"pipelined", "serial", "root"}) {
      RunCorpus.deleteRoot(tmp.resolve(r));
    }
  }

  @Test
  @Timeout(value = 4, unit = TimeUnit.MINUTES, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
  void pipelinedLayersEqualTheLayersOfStepsRunOneAfterTheOther() throws Exception {
    // a LABEL between two RUN steps ends the pipeline there; it adds no layer
    List<String> serial = new ArrayList<>();
    for (int k = 0; k < STEPS.size(); k++) {
      serial.add(STEPS.get(k));
      serial.add("LABEL step" + k + "=done");
    }
    List<BuildEvent> pipelinedEvents = Collections.synchronizedList(new ArrayList<>());
    Path pipelined = build("pipelined", STEPS, pipelinedEvents);
    List<BuildEvent> serialEvents = Collections.synchronizedList(new ArrayList<>());
    Path separate = build("serial", serial, serialEvents);

    assertThat(RunCorpus.layerDigests(pipelined)).hasSize(1 + STEPS.size())
        .isEqualTo(RunCorpus.layerDigests(separate));
    // and the pipeline did run: a layer was written only once the next step had started
    assertThat(layerWrittenAfterNextStepStarted(pipelinedEvents)).isTrue();
    assertThat(layerWrittenAfterNextStepStarted(serialEvents)).isFalse();
  }

  @Test
  @Timeout(value = 4, unit = TimeUnit.MINUTES, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
  void aLayerThatCannotBeWrittenFailsTheBuildAtItsStepAndStopsTheStepOnIt() throws Exception {
    Path ctx = Files.createDirectories(tmp.resolve("ctx"));
    // a name a layer cannot hold: the process succeeds, the snapshot fails; the next step runs
    // on the frozen upper dir meanwhile and must be killed, not left to sleep its ten minutes
    Files.writeString(ctx.resolve("Dockerfile"), String.join("\n",
        "FROM " + RunCorpus.BASE,
        "RUN mkdir /data && touch /data/.wh.bad",
        "RUN sleep 600",
        "RUN echo never > /never",
        ""));
    JbuildRoot root = new JbuildRoot(tmp.resolve("root"));
    RunCorpus.storeBase(root);
    BuildRequest request = RunSandboxes.intoOci(ctx, tmp.resolve("oci")).build();
    long begin = System.nanoTime();
    try (Sandbox sandbox = RunSandboxes.sandbox(root, RunSandboxes.Snapshotter.OVERLAY)) {
      assertThatThrownBy(() -> new Builder(root, RegistryOptions.defaults(), sandbox, e -> {})
              .build(request))
          .isInstanceOf(BuildStepException.class)
          .hasMessageContaining(".wh.bad")
          .hasMessageNotContaining("cancelled")
          .satisfies(e -> assertThat(((BuildStepException) e).span().startLine()).isEqualTo(2));
    }
    assertThat(RunCorpusIT.leftovers(root.tmp()))
        .as("files left in the root's tmp/ after the failed build").isEmpty();
    assertThat(TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - begin)).isLessThan(120);
    assertThat(tmp.resolve("oci")).doesNotExist();
    // the one base layer was extracted; no step's upper dir became a layer
    assertThat(entries(root.layers()).stream().filter(n -> !n.endsWith(".used")))
        .hasSize(1).noneMatch(n -> n.startsWith(".tmp-"));
  }

  private Path build(String name, List<String> steps, List<BuildEvent> events) throws Exception {
    Path ctx = Files.createDirectories(tmp.resolve(name + "-ctx"));
    List<String> lines = new ArrayList<>();
    lines.add("FROM " + RunCorpus.BASE);
    lines.addAll(steps);
    lines.add("");
    Files.writeString(ctx.resolve("Dockerfile"), String.join("\n", lines));
    JbuildRoot root = new JbuildRoot(tmp.resolve(name));
    RunCorpus.storeBase(root);
    Path oci = tmp.resolve(name + "-oci");
    BuildRequest request =
        RunSandboxes.intoOci(ctx, oci).sourceDateEpoch(BuildCorpusTest.EPOCH).build();
    try (Sandbox sandbox = RunSandboxes.sandbox(root, RunSandboxes.Snapshotter.OVERLAY)) {
      new Builder(root, RegistryOptions.defaults(), sandbox, events::add).build(request);
    }
    assertThat(RunCorpusIT.leftovers(root.tmp())).as("files left in tmp/ by " + name).isEmpty();
    return oci;
  }

  /** Whether some step's LayerWritten came after the StepStarted of a later step. */
  private static boolean layerWrittenAfterNextStepStarted(List<BuildEvent> events) {
    int lastStarted = 0;
    synchronized (events) {
      for (BuildEvent e : events) {
        if (e instanceof BuildEvent.StepStarted) {
          lastStarted = Math.max(lastStarted, ((BuildEvent.StepStarted) e).step().index());
        } else if (e instanceof BuildEvent.LayerWritten
            && ((BuildEvent.LayerWritten) e).step().index() < lastStarted) {
          return true;
        }
      }
    }
    return false;
  }

  private static List<String> entries(Path dir) throws Exception {
    if (!Files.isDirectory(dir)) {
      return List.of();
    }
    try (Stream<Path> s = Files.list(dir)) {
      return s.map(p -> p.getFileName().toString()).sorted().toList();
    }
  }
}
