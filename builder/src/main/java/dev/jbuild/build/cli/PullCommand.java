package dev.jbuild.build.cli;

import dev.jbuild.build.JbuildException;
import dev.jbuild.build.event.BuildEvent;
import dev.jbuild.build.event.ProgressText;
import dev.jbuild.build.registry.ImageReference;
import dev.jbuild.build.registry.PullImage;
import dev.jbuild.build.sandbox.NamespaceSandbox;
import dev.jbuild.build.sandbox.RunStep;
import dev.jbuild.cache.CacheException;
import dev.jbuild.cache.ImageStore;
import dev.jbuild.oci.ImageConfig;
import dev.jbuild.oci.ImageManifest;
import dev.jbuild.oci.OciDocument;
import dev.jbuild.oci.Platform;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code jbuild pull REF}: fetches an image into the local store and, like {@code docker pull}
 * and {@code buildah pull}, leaves it ready to run: its layers extracted for RUN steps, so that a
 * build on it starts its first RUN without extracting the base first.
 */
@Command(
    name = "pull",
    mixinStandardHelpOptions = true,
    description = "Pulls an image (for --platform, from a multi-platform image) into the local store"
        + " and extracts its layers for RUN steps.")
final class PullCommand extends ImageCommand {

  @Parameters(index = "0", paramLabel = "REF", description = "The image, e.g. busybox, host:5000/app:1, app@sha256:…")
  String ref;

  @Option(
      names = "--no-unpack",
      description = "Only store the image; do not extract its layers for RUN steps (a build that"
          + " runs commands on it extracts them then).")
  boolean noUnpack;

  @Override
  int execute() {
    ImageReference reference = reference(ref);
    ProgressRenderer progress = progress();
    ImageStore store = store();
    Platform platform = globals().platform(cli());
    if (noUnpack || !runsHere(platform)) {
      print(new PullImage(registries(progress), store, progress).pull(reference, platform));
      return Main.OK;
    }
    try (NamespaceSandbox sandbox = new NamespaceSandbox(root(), progress)) {
      // the worker starts (a JVM, in a user namespace when rootless) beside the download, at
      // its first bytes: an image whose blobs the store has already starts nothing
      java.util.concurrent.atomic.AtomicBoolean downloading =
          new java.util.concurrent.atomic.AtomicBoolean();
      dev.jbuild.build.event.BuildListener listener = e -> {
        if (e instanceof BuildEvent.BlobProgress && downloading.compareAndSet(false, true)) {
          sandbox.warmUp();
        }
        progress.onEvent(e);
      };
      PullImage.PulledImage pulled =
          new PullImage(registries(listener), store, listener).pull(reference, platform);
      unpack(store, pulled, sandbox);
      print(pulled);
    }
    return Main.OK;
  }

  private void print(PullImage.PulledImage pulled) {
    out().println("Digest: " + pulled.manifest().digest());
    out().println(pulled.name());
  }

  /** Whether RUN steps can run on images of {@code platform} here: Linux, this architecture. */
  private static boolean runsHere(Platform platform) {
    return "linux".equals(platform.os())
        && Platform.host().architecture().equals(platform.architecture());
  }

  /**
   * Extracts the image's layers where RUN steps use them, when they can run here (a Linux image
   * of this machine's architecture). The image is pulled either way: a sandbox that cannot start
   * on this machine is a warning, which the first RUN of a build repeats as its error.
   */
  private void unpack(ImageStore store, PullImage.PulledImage pulled, NamespaceSandbox sandbox) {
    List<RunStep.Layer> layers;
    try {
      OciDocument doc = store.blobs().readManifestOrIndex(pulled.manifest().digest(), null).value();
      if (!(doc instanceof ImageManifest)) {
        return;
      }
      ImageManifest manifest = (ImageManifest) doc;
      ImageConfig config = store.blobs().readConfig(manifest.config().digest()).value();
      Platform declared = config.platform();
      if (declared == null || !runsHere(declared)) {
        return;
      }
      List<dev.jbuild.oci.Digest> diffIds = config.rootfs().diffIds();
      if (diffIds.size() != manifest.layers().size()) {
        return; // the build reports this image as broken when it uses it
      }
      layers = RunStep.Layer.stored(store.blobs(), manifest.layers(), diffIds);
    } catch (CacheException e) {
      return;
    }
    if (layers.isEmpty()) {
      return;
    }
    long begin = System.nanoTime();
    try {
      int extracted = sandbox.unpack(layers);
      if (extracted > 0) {
        err().println("unpacked " + extracted + " layer" + (extracted == 1 ? "" : "s")
            + " for RUN steps in " + ProgressText.seconds((System.nanoTime() - begin) / 1_000_000));
      }
    } catch (JbuildException e) {
      err().println("warning: the image's layers are not extracted for RUN steps: "
          + e.getMessage());
    }
  }
}
