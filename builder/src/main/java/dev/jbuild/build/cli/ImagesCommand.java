package dev.jbuild.build.cli;

import dev.jbuild.build.event.ProgressText;
import dev.jbuild.build.registry.ImageReference;
import dev.jbuild.cache.ImageStore;
import dev.jbuild.cache.TaggedImage;
import dev.jbuild.oci.Descriptor;
import dev.jbuild.oci.Digest;
import dev.jbuild.oci.ImageConfig;
import dev.jbuild.oci.ImageManifest;
import dev.jbuild.oci.MediaTypes;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code jbuild images}: the local store's images, as {@code docker images} lists them. */
@Command(name = "images", mixinStandardHelpOptions = true, description = "Lists the images in the local store.")
final class ImagesCommand extends ImageCommand {

  @Option(names = {"-q", "--quiet"}, description = "Only image IDs.")
  boolean quiet;

  @Option(names = "--digests", description = "Show manifest digests.")
  boolean digests;

  @Option(names = "--no-trunc", description = "Do not shorten IDs.")
  boolean noTrunc;

  @Override
  int execute() {
    ImageStore store = store();
    List<String[]> rows = new ArrayList<>();
    Set<String> ids = new LinkedHashSet<>();
    for (TaggedImage image : store.list()) {
      Descriptor target = image.target();
      Digest id = store.imageId(target).orElse(target.digest());
      String shownId = noTrunc ? id.toString() : id.shortHex();
      ids.add(shownId);
      String[] nameAndTag = split(image.name());
      String created = "";
      String size = "";
      if (MediaTypes.isManifest(target.mediaType()) && store.blobs().has(target.digest())) {
        ImageManifest manifest = store.blobs().readManifest(target.digest()).value();
        long total = manifest.config().size();
        for (Descriptor layer : manifest.layers()) {
          total += layer.size();
        }
        size = ProgressText.bytes(total);
        if (store.blobs().has(manifest.config().digest())) {
          ImageConfig config = store.blobs().readConfig(manifest.config().digest()).value();
          created = ago(config.created());
        }
      } else if (MediaTypes.isIndex(target.mediaType())) {
        created = "(multi-platform)";
      }
      rows.add(
          digests
              ? new String[] {nameAndTag[0], nameAndTag[1], target.digest().toString(), shownId, created, size}
              : new String[] {nameAndTag[0], nameAndTag[1], shownId, created, size});
    }
    if (quiet) {
      ids.forEach(out()::println);
      return Main.OK;
    }
    String[] header =
        digests
            ? new String[] {"REPOSITORY", "TAG", "DIGEST", "IMAGE ID", "CREATED", "SIZE"}
            : new String[] {"REPOSITORY", "TAG", "IMAGE ID", "CREATED", "SIZE"};
    rows.add(0, header);
    int[] widths = new int[header.length];
    for (String[] row : rows) {
      for (int i = 0; i < row.length; i++) {
        widths[i] = Math.max(widths[i], row[i].length());
      }
    }
    for (String[] row : rows) {
      StringBuilder line = new StringBuilder();
      for (int i = 0; i < row.length; i++) {
        line.append(i == row.length - 1 ? row[i] : String.format("%-" + (widths[i] + 3) + "s", row[i]));
      }
      out().println(line.toString().stripTrailing());
    }
    return Main.OK;
  }

  /** Repository (familiar form) and tag; digest-only names show {@code <none>}. */
  static String[] split(String name) {
    try {
      ImageReference ref = ImageReference.parse(name);
      String familiar = ref.withTag("x").familiar();
      String repository = familiar.substring(0, familiar.length() - 2);
      return new String[] {repository, ref.tag() != null ? ref.tag() : "<none>"};
    } catch (RuntimeException e) {
      return new String[] {name, "<none>"};
    }
  }

  static String ago(Instant created) {
    if (created == null) {
      return "";
    }
    Duration d = Duration.between(created, Instant.now());
    if (d.isNegative()) {
      return "in the future";
    }
    long s = d.getSeconds();
    if (s < 60) {
      return s + " seconds ago";
    }
    if (s < 3600) {
      return s / 60 + " minutes ago";
    }
    if (s < 2 * 86400) {
      return s / 3600 + " hours ago";
    }
    if (s < 14 * 86400) {
      return s / 86400 + " days ago";
    }
    if (s < 60L * 86400) {
      return s / (7 * 86400) + " weeks ago";
    }
    if (s < 730L * 86400) {
      return s / (30 * 86400) + " months ago";
    }
    return s / (365 * 86400) + " years ago";
  }
}
