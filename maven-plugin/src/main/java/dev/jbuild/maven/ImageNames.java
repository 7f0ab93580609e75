package dev.jbuild.maven;

import dev.jbuild.build.registry.ImageReference;
import dev.jbuild.build.registry.InvalidReferenceException;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import org.apache.maven.plugin.MojoFailureException;

/**
 * The names an image gets: {@code to.image} (its tag, or {@code latest}) and one more per entry
 * of {@code to.tags}, as Jib does. Without {@code to.image} the name is {@code
 * ARTIFACTID:VERSION}.
 *
 * @param primary the first name: the one {@code push} and {@code save} look the image up by
 * @param all every name, the primary first, without duplicates
 */
record ImageNames(ImageReference primary, List<ImageReference> all) {

  ImageNames {
    all = List.copyOf(all);
  }

  static ImageNames of(String image, List<String> tags, String artifactId, String version)
      throws MojoFailureException {
    String text = image == null || image.isBlank() ? defaultName(artifactId, version) : image.trim();
    ImageReference ref;
    try {
      ref = ImageReference.parse(text);
    } catch (InvalidReferenceException e) {
      throw new MojoFailureException(
          "invalid image name in <to><image> (jbuild.to.image): " + e.getMessage());
    }
    if (ref.digestOpt().isPresent()) {
      throw new MojoFailureException(
          "<to><image> " + text + " names a digest: an image is built and pushed under a tag;"
              + " write NAME:TAG");
    }
    Set<ImageReference> names = new LinkedHashSet<>();
    names.add(ref);
    for (String tag : tags == null ? List.<String>of() : tags) {
      if (tag == null || tag.isBlank()) {
        continue;
      }
      try {
        names.add(ref.withTag(tag.trim()));
      } catch (IllegalArgumentException e) {
        throw new MojoFailureException(
            "invalid tag \"" + tag.trim() + "\" in <to><tags> (jbuild.to.tags): a tag is up to 128"
                + " letters, digits, '_', '.' and '-', not starting with '.' or '-'");
      }
    }
    return new ImageNames(ref, new ArrayList<>(names));
  }

  /** Every name as reference text, for the build request. */
  List<String> texts() {
    List<String> out = new ArrayList<>();
    for (ImageReference r : all) {
      out.add(r.toString());
    }
    return out;
  }

  /**
   * {@code artifactid:version}: repository names are lower case, tags allow the characters of
   * Maven versions except '+' and the like, which become '-'.
   */
  static String defaultName(String artifactId, String version) {
    String repo = artifactId.toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9._-]", "-");
    String tag = version.replaceAll("[^A-Za-z0-9_.-]", "-");
    if (tag.startsWith(".") || tag.startsWith("-")) {
      tag = "v" + tag;
    }
    return repo + ":" + (tag.length() > 128 ? tag.substring(0, 128) : tag);
  }
}
