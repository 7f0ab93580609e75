package dev.jbuild.build.cli;

import dev.jbuild.cache.GcReport;
import dev.jbuild.cache.GcRoots;
import dev.jbuild.cache.ImageStore;
import java.time.Duration;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code jbuild prune}: deletes blobs no image name refers to. */
@Command(
    name = "prune",
    mixinStandardHelpOptions = true,
    description = "Deletes blobs that no image in the local store refers to.")
final class PruneCommand extends ImageCommand {

  @Option(
      names = "--all",
      description = "Also delete unreferenced blobs written in the last hour (a concurrent build may still need them).")
  boolean all;

  @Override
  int execute() {
    GcReport report =
        store().collectGarbage(GcRoots.none(), all ? Duration.ZERO : ImageStore.DEFAULT_GRACE);
    out().println(
        "Deleted " + report.removedBlobs() + " blobs, freed "
            + ProgressRenderer.bytes(report.freedBytes()) + " (kept " + report.keptReferenced()
            + " in use, " + report.keptRecent() + " recent)");
    return Main.OK;
  }
}
