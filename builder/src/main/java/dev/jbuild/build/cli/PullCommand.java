package dev.jbuild.build.cli;

import dev.jbuild.build.registry.ImageReference;
import dev.jbuild.build.registry.PullImage;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/** {@code jbuild pull REF}: fetches an image into the local store. */
@Command(
    name = "pull",
    mixinStandardHelpOptions = true,
    description = "Pulls an image (for --platform, from a multi-platform image) into the local store.")
final class PullCommand extends ImageCommand {

  @Parameters(index = "0", paramLabel = "REF", description = "The image, e.g. busybox, host:5000/app:1, app@sha256:…")
  String ref;

  @Override
  int execute() {
    ImageReference reference = reference(ref);
    ProgressRenderer progress = progress();
    PullImage.PulledImage pulled =
        new PullImage(registries(progress), store(), progress)
            .pull(reference, globals().platform(cli()));
    out().println("Digest: " + pulled.manifest().digest());
    out().println(pulled.name());
    return Main.OK;
  }
}
