package dev.jbuild.build.cli;

import dev.jbuild.build.output.ExportTarget;
import dev.jbuild.build.output.ImageExporter;
import dev.jbuild.cache.ImageStore;
import dev.jbuild.oci.Descriptor;
import java.nio.file.Path;
import java.util.List;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code jbuild save REF -o FILE}: writes a local image to an archive or a layout directory. */
@Command(
    name = "save",
    mixinStandardHelpOptions = true,
    description = "Writes a local image to a docker-archive (docker load), an OCI archive or an OCI layout directory.")
final class SaveCommand extends ImageCommand {

  @Parameters(index = "0", paramLabel = "REF", description = "The local image: name, digest or ID prefix.")
  String ref;

  @Option(names = {"-o", "--output"}, required = true, paramLabel = "FILE", description = "The archive file or layout directory to write.")
  Path output;

  @Option(
      names = "--format",
      paramLabel = "FORMAT",
      description = "docker-archive (default), oci-archive or oci-dir.")
  String format = "docker-archive";

  @Override
  int execute() {
    if (output.toString().equals("-")) {
      throw new CommandLine.ParameterException(
          cli(), "-o -: writing to standard output is not supported yet; give a file name");
    }
    ExportTarget target;
    try {
      target = ExportTarget.of(format, output);
    } catch (IllegalArgumentException e) {
      throw new CommandLine.ParameterException(cli(), "--format: " + e.getMessage());
    }
    ImageStore store = store();
    Descriptor image = store.resolve(ref).orElse(null);
    if (image == null) {
      err().println("error: no image \"" + ref + "\" in the local store (jbuild images lists them)");
      return Main.FAILED;
    }
    List<String> names = List.of();
    if (!looksLikeId(ref)) {
      names = List.of(reference(ref.contains("@") ? ref.substring(0, ref.indexOf('@')) : ref).toString());
    }
    new ImageExporter(store.blobs()).export(image, names, globals().platform(cli()), target);
    return Main.OK;
  }

  private static boolean looksLikeId(String text) {
    return text.startsWith("sha256:") || text.matches("[a-f0-9]{4,64}");
  }
}
