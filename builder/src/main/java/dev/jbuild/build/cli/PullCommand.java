package dev.jbuild.build.cli;

import dev.jbuild.build.JbuildException;
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
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
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
    PullImage.PulledImage pulled =
        new PullImage(registries(progress), store, progress)
            .pull(reference, globals().platform(cli()));
    if (!noUnpack) {
      unpack(store, pulled, progress);
    }
    out().println("Digest: " + pulled.manifest().digest());
    out().println(pulled.name());
    return Main.OK;
  }

  /**
   * Extracts the image's layers where RUN steps use them, when they can run here (a Linux image
   * of this machine's architecture). The image is pulled either way: a sandbox that cannot start
   * on this machine is a warning, which the first RUN of a build repeats as its error.
   */
  private void unpack(ImageStore store, PullImage.PulledImage pulled, ProgressRenderer progress) {
    List<RunStep.Layer> layers = new ArrayList<>();
    try {
      OciDocument doc = store.blobs().readManifestOrIndex(pulled.manifest().digest(), null).value();
      if (!(doc instanceof ImageManifest)) {
        return;
      }
      ImageManifest manifest = (ImageManifest) doc;
      ImageConfig config = store.blobs().readConfig(manifest.config().digest()).value();
      Platform declared = config.platform();
      if (declared == null || !"linux".equals(declared.os())
          || !Platform.host().architecture().equals(declared.architecture())) {
        return;
      }
      List<dev.jbuild.oci.Digest> diffIds = config.rootfs().diffIds();
      if (diffIds.size() != manifest.layers().size()) {
        return; // the build reports this image as broken when it uses it
      }
      for (int k = 0; k < diffIds.size(); k++) {
        layers.add(new RunStep.Layer(
            store.blobs().path(manifest.layers().get(k).digest()), diffIds.get(k)));
      }
    } catch (CacheException e) {
      return;
    }
    if (layers.isEmpty()) {
      return;
    }
    long begin = System.nanoTime();
    try (NamespaceSandbox sandbox = new NamespaceSandbox(root(), progress)) {
      int extracted = sandbox.unpack(layers);
      if (extracted > 0) {
        err().println(String.format(Locale.ROOT, "unpacked %d layer%s for RUN steps in %.1fs",
            extracted, extracted == 1 ? "" : "s", (System.nanoTime() - begin) / 1e9));
      }
    } catch (JbuildException e) {
      err().println("warning: the image's layers are not extracted for RUN steps: "
          + e.getMessage());
    }
  }
}
