package dev.jbuild.build.cli;

import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/** {@code jbuild rmi REF…}: removes names; the blobs go with the next prune. */
@Command(
    name = "rmi",
    mixinStandardHelpOptions = true,
    description = "Removes image names from the local store (jbuild prune frees the space).")
final class RmiCommand extends ImageCommand {

  @Parameters(arity = "1..*", paramLabel = "REF", description = "Image names to remove.")
  List<String> refs;

  @Override
  int execute() {
    var store = store();
    int status = Main.OK;
    for (String ref : refs) {
      String name = reference(ref).toString();
      if (store.untag(name)) {
        out().println("Untagged: " + name);
      } else {
        err().println("error: no image named " + name + " in the local store");
        status = Main.FAILED;
      }
    }
    return status;
  }
}
