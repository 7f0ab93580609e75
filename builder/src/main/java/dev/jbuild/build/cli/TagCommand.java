package dev.jbuild.build.cli;

import dev.jbuild.oci.Descriptor;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/** {@code jbuild tag SRC DEST}: another name for a local image. */
@Command(name = "tag", mixinStandardHelpOptions = true, description = "Gives a local image another name.")
final class TagCommand extends ImageCommand {

  @Parameters(index = "0", paramLabel = "SRC", description = "The local image: name, digest or ID prefix.")
  String source;

  @Parameters(index = "1", paramLabel = "DEST", description = "The new name, e.g. host:5000/app:1.")
  String dest;

  @Override
  int execute() {
    String name = reference(dest).toString();
    var store = store();
    Descriptor target = store.resolve(source).orElse(null);
    if (target == null) {
      err().println("error: no image \"" + source + "\" in the local store (jbuild images lists them)");
      return Main.FAILED;
    }
    store.tag(name, target);
    return Main.OK;
  }
}
