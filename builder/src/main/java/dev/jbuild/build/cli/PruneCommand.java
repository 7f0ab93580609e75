package dev.jbuild.build.cli;

import dev.jbuild.build.JbuildException;
import dev.jbuild.build.event.BuildListener;
import dev.jbuild.build.event.ProgressText;
import dev.jbuild.build.sandbox.NamespaceSandbox;
import dev.jbuild.cache.BuildCache;
import dev.jbuild.cache.GcReport;
import dev.jbuild.cache.ImageStore;
import java.time.Duration;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code jbuild prune}: deletes blobs that neither an image name nor the build cache refers to;
 * with {@code --all} the build cache is emptied first, so only tagged images survive. Then the
 * sandbox's leftovers: run directories of killed builds, and extracted layers whose blob is
 * gone and that no build used within the hour (with {@code --all}: every extracted layer and
 * every {@code RUN --mount=type=cache} directory no running build holds).
 *
 * <p>Plain {@code prune} keeps the cache mounts, as {@code buildah prune} without {@code --all}
 * leaves its build cache alone; BuildKit instead ages them out by its GC policy (they count
 * toward the cache size limit), which jbuild does not have.
 */
@Command(
    name = "prune",
    mixinStandardHelpOptions = true,
    description = "Deletes blobs that no image in the local store and no build-cache entry refers to.")
final class PruneCommand extends ImageCommand {

  @Option(
      names = "--all",
      description = "Also empty the build cache, delete unreferenced blobs written in the last hour (a concurrent build may still need them) and delete the RUN --mount=type=cache directories that no running build uses. Without --all the cache mounts are kept.")
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
            + ProgressText.bytes(report.freedBytes()) + " (kept " + report.keptReferenced()
            + " in use, " + report.keptRecent() + " recent)");
    // extracted layers and run directories of killed builds belong to ids of the sandbox's user
    // namespace: the sandbox worker removes them
    try (NamespaceSandbox sandbox = new NamespaceSandbox(root(), BuildListener.NONE)) {
      String summary =
          sandbox.prune(List.of(), all ? Duration.ZERO : ImageStore.DEFAULT_GRACE, all);
      out().println("Sandbox: " + summary);
    } catch (JbuildException e) {
      err().println("warning: cannot remove the sandbox's leftovers: " + e.getMessage());
    }
    return Main.OK;
  }
}
