package dev.jbuild.build.cli;

import dev.jbuild.cache.BuildCache;
import dev.jbuild.cache.GcReport;
import dev.jbuild.cache.ImageStore;
import java.time.Duration;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code jbuild prune}: deletes blobs that neither an image name nor the build cache refers to;
 * with {@code --all} the build cache is emptied first, so only tagged images survive.
 */
@Command(
    name = "prune",
    mixinStandardHelpOptions = true,
    description = "Deletes blobs that no image in the local store and no build-cache entry refers to.")
final class PruneCommand extends ImageCommand {

  @Option(
      names = "--all",
      description = "Also empty the build cache and delete unreferenced blobs written in the last hour (a concurrent build may still need them).")
  boolean all;

  @Override
  int execute() {
    ImageStore store = store();
    BuildCache cache = BuildCache.open(store.blobs());
    int cleared = all ? cache.clear() : 0;
    GcReport report =
        store.collectGarbage(cache.gcRoots(), all ? Duration.ZERO : ImageStore.DEFAULT_GRACE);
    if (cleared > 0) {
      out().println("Removed " + cleared + " build-cache entries");
    }
    out().println(
        "Deleted " + report.removedBlobs() + " blobs, freed "
            + ProgressRenderer.bytes(report.freedBytes()) + " (kept " + report.keptReferenced()
            + " in use, " + report.keptRecent() + " recent)");
    return Main.OK;
  }
}
