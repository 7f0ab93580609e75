package dev.jbuild.build.cli;

import dev.jbuild.build.registry.ImageReference;
import dev.jbuild.build.registry.PushImage;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/** {@code jbuild push REF [DEST]}: uploads an image from the local store. */
@Command(
    name = "push",
    mixinStandardHelpOptions = true,
    description = "Pushes an image from the local store to a registry (to DEST if given, else to REF).")
final class PushCommand extends ImageCommand {

  @Parameters(index = "0", paramLabel = "REF", description = "The local image: name, digest or ID prefix.")
  String ref;

  @Parameters(index = "1", arity = "0..1", paramLabel = "DEST", description = "Where to push, e.g. host:5000/app:1.")
  String dest;

  @Override
  int execute() {
    ImageReference destination = reference(dest != null ? dest : ref);
    ProgressRenderer progress = progress();
    PushImage.PushedImage pushed =
        new PushImage(registries(progress), store(), progress).push(ref, destination);
    out().println(
        destination + ": digest: " + pushed.digest() + " (" + pushed.uploaded() + " uploaded, "
            + pushed.mounted() + " mounted, " + pushed.existing() + " already there)");
    return Main.OK;
  }
}
