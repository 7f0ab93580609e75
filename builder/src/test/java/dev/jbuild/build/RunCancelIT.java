package dev.jbuild.build;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.jbuild.build.registry.RegistryOptions;
import dev.jbuild.build.sandbox.Sandbox;
import dev.jbuild.cache.JbuildRoot;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * One stage fails while another runs a long RUN step in parallel: the running step is killed at
 * once (not left to finish its ten minutes), and the build reports the failing stage's error,
 * never the cancellation of the other.
 */
@Tag("sandbox")
class RunCancelIT {

  @TempDir Path tmp;

  @AfterEach
  void deleteRoot() throws Exception {
    RunCorpus.deleteRoot(tmp.resolve("root"));
  }

  @Test
  @Timeout(value = 4, unit = TimeUnit.MINUTES, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
  void aFailingStageStopsTheRunOfAnother() throws Exception {
    Path ctx = Files.createDirectories(tmp.resolve("ctx"));
    Files.writeString(ctx.resolve("Dockerfile"), String.join("\n",
        "FROM " + RunCorpus.BASE + " AS slow",
        "RUN echo started && sleep 600 && echo slept > /slept",
        "",
        "FROM " + RunCorpus.BASE + " AS broken",
        "RUN sleep 3 && exit 7",
        "",
        "FROM " + RunCorpus.BASE,
        "COPY --from=slow /slept /slept",
        "COPY --from=broken /etc/passwd /passwd",
        ""));
    JbuildRoot root = new JbuildRoot(tmp.resolve("root"));
    RunCorpus.storeBase(root);
    BuildRequest request = RunSandboxes.intoOci(ctx, tmp.resolve("oci")).build();
    try (Sandbox sandbox = RunSandboxes.sandbox(root, RunSandboxes.Snapshotter.OVERLAY)) {
      assertThatThrownBy(() -> new Builder(root, RegistryOptions.defaults(), sandbox, e -> {})
              .build(request))
          .isInstanceOf(BuildStepException.class)
          .hasMessageContaining("exit code: 7")
          .hasMessageNotContaining("cancelled");
    }
    assertThat(tmp.resolve("oci")).doesNotExist();
  }
}
