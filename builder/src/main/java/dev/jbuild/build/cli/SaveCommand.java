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

  @Option(
      names = {"-o", "--output"},
      paramLabel = "FILE",
      description = "The archive file or layout directory to write; - or none: standard output (archives only).")
  Path output;

  @Option(
      names = "--format",
      paramLabel = "FORMAT",
      description = "docker-archive (default), oci-archive or oci-dir.")
  String format = "docker-archive";

  @Override
  int execute() {
    boolean toStdout = output == null || output.toString().equals("-");
    ExportTarget target;
    try {
      target = ExportTarget.of(format, toStdout ? Path.of("-") : output);
    } catch (IllegalArgumentException e) {
      throw new CommandLine.ParameterException(cli(), "--format: " + e.getMessage());
    }
    if (toStdout && target instanceof ExportTarget.OciDirectory) {
      throw new CommandLine.ParameterException(cli(), "--format oci-dir needs -o DIRECTORY");
    }
    if (toStdout && main.stdoutIsTerminal()) {
      throw new CommandLine.ParameterException(
          cli(), "refusing to write an image archive to a terminal: use -o FILE or a pipe");
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
    ImageExporter exporter = new ImageExporter(store.blobs());
    if (toStdout) {
      ImageExporter.ArchiveFormat archive =
          target instanceof ExportTarget.OciArchive
              ? ImageExporter.ArchiveFormat.OCI_ARCHIVE
              : ImageExporter.ArchiveFormat.DOCKER_ARCHIVE;
      exporter.exportTo(image, names, globals().platform(cli()), archive, main.stdout());
      main.stdout().flush();
    } else {
      exporter.export(image, names, globals().platform(cli()), target);
    }
    return Main.OK;
  }

  private static boolean looksLikeId(String text) {
    return text.startsWith("sha256:") || text.matches("[a-f0-9]{4,64}");
  }
}
