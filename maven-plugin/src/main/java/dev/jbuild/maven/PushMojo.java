package dev.jbuild.maven;

import dev.jbuild.build.JbuildException;
import dev.jbuild.build.registry.ImageReference;
import dev.jbuild.build.registry.PushImage;
import dev.jbuild.build.registry.Registries;
import dev.jbuild.cache.CacheException;
import dev.jbuild.cache.ImageStore;
import dev.jbuild.oci.Descriptor;
import dev.jbuild.oci.Digest;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.apache.maven.plugin.MojoExecutionException;
import org.apache.maven.plugin.MojoFailureException;
import org.apache.maven.plugins.annotations.LifecyclePhase;
import org.apache.maven.plugins.annotations.Mojo;
import org.apache.maven.plugins.annotations.Parameter;

/**
 * Pushes the image the {@code build} goal stored (looked up by its first {@code to} name) to the
 * registry of every {@code to} name: blobs the registry has are skipped or mounted, the manifest
 * goes last, so a failed push leaves no tag. Rewrites {@code target/jbuild-image.json} with
 * {@code imagePushed: true}.
 */
@Mojo(name = "push", defaultPhase = LifecyclePhase.DEPLOY, threadSafe = true)
public class PushMojo extends JbuildMojo {

  /** Skip this goal only (e.g. {@code mvn deploy -Djbuild.skip.push} deploys jars but no image). */
  @Parameter(property = "jbuild.skip.push", defaultValue = "false")
  boolean skipPush;

  @Override
  boolean skipGoal() {
    return skipPush;
  }

  @Override
  String skipGoalProperty() {
    return "jbuild.skip.push";
  }

  @Override
  void run() throws MojoExecutionException, MojoFailureException {
    ImageNames names = imageNames();
    LogListener listener = new LogListener(getLog());
    try {
      ImageStore store = ImageStore.open(jbuildRoot());
      String local = names.primary().toString();
      Descriptor image =
          store
              .resolve(local)
              .orElseThrow(
                  () ->
                      new JbuildException(
                          "no image " + local + " in jbuild's local store ("
                              + jbuildRoot().dir() + "): run the build goal first (mvn package"
                              + " binds it), or bind jbuild:build before jbuild:push"));
      Digest imageId = store.imageId(image).orElseThrow();
      PushImage push = new PushImage(new Registries(registryOptions(names), listener), store, listener);
      List<String> tags = new ArrayList<>();
      for (ImageReference destination : names.all()) {
        PushImage.PushedImage pushed = push.push(image, local, destination);
        getLog().info(
            "blobs for " + destination + ": " + pushed.uploaded() + " uploaded, "
                + pushed.mounted() + " mounted, " + pushed.existing() + " already there");
        tags.add(destination.tagOpt().orElse("latest"));
      }
      ImageFiles.write(
          Path.of(project.getBuild().getDirectory()), local, imageId, image.digest(), tags, true);
    } catch (JbuildException | CacheException e) {
      throw BuildMojo.rethrow(Failures.of(e, null));
    } catch (RuntimeException e) {
      throw BuildMojo.rethrow(Failures.of(e, null));
    }
  }
}
