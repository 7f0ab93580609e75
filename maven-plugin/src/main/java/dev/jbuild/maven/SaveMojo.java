package dev.jbuild.maven;

import dev.jbuild.build.BuildRequest;
import dev.jbuild.build.OutputSpec;
import java.io.File;
import java.util.Locale;
import java.util.Optional;
import org.apache.maven.plugin.MojoExecutionException;
import org.apache.maven.plugin.MojoFailureException;
import org.apache.maven.plugins.annotations.LifecyclePhase;
import org.apache.maven.plugins.annotations.Mojo;
import org.apache.maven.plugins.annotations.Parameter;

/**
 * Writes the module's image to an archive under {@code target/}: a {@code docker-archive}
 * ({@code docker load}, {@code podman load}), an {@code oci-archive} or an {@code oci} layout
 * directory. The image is built (all cache hits after the {@code build} goal) and stored as
 * {@code build} stores it, so the archive is the same image.
 */
@Mojo(name = "save", defaultPhase = LifecyclePhase.PACKAGE, threadSafe = true)
public class SaveMojo extends JbuildMojo {

  /** {@code docker-archive} (default), {@code oci-archive} or {@code oci} (a layout directory). */
  @Parameter(property = "jbuild.save.format", defaultValue = "docker-archive")
  String format;

  /** The archive (or directory for {@code oci}). */
  @Parameter(property = "jbuild.save.file", defaultValue = "${project.build.directory}/jbuild-image.tar")
  File file;

  @Override
  void run() throws MojoExecutionException, MojoFailureException {
    String type = format == null ? "docker-archive" : format.trim().toLowerCase(Locale.ROOT);
    OutputSpec.Type kind;
    switch (type) {
      case "docker-archive":
        kind = OutputSpec.Type.DOCKER_ARCHIVE;
        break;
      case "oci-archive":
        kind = OutputSpec.Type.OCI_ARCHIVE;
        break;
      case "oci":
        kind = OutputSpec.Type.OCI;
        break;
      default:
        throw new MojoFailureException(
            "invalid <format> \"" + format + "\" (jbuild.save.format): use docker-archive,"
                + " oci-archive or oci");
    }
    OutputSpec archive = new OutputSpec(kind, Optional.of(file.toPath().toAbsolutePath()));
    ImageNames names = imageNames();
    BuildRequest request =
        request(names).output(OutputSpec.localStore()).output(archive).build();
    BuildMojo.build(this, names, request);
    getLog().info("saved " + names.primary() + " as " + type + " to " + file);
  }
}
