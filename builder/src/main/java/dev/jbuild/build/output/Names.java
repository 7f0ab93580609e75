package dev.jbuild.build.output;

import dev.jbuild.cache.ImageStore;
import dev.jbuild.oci.Descriptor;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;

/** How image names are written in each output format. */
final class Names {
  private Names() {}

  /** Normalised, de-duplicated; throws ExportException for a malformed one. */
  static List<String> normalize(List<String> names, java.nio.file.Path dest) {
    LinkedHashSet<String> out = new LinkedHashSet<>();
    for (String n : names) {
      try {
        out.add(ImageStore.normalizeName(n));
      } catch (IllegalArgumentException e) {
        throw new ExportException(dest, e.getMessage());
      }
    }
    return new ArrayList<>(out);
  }

  /**
   * The index.json entries of an exported layout, as containerd's and BuildKit's exporters
   * write them: {@code org.opencontainers.image.ref.name} is the tag alone (the OCI spec's
   * meaning, what {@code skopeo copy oci:DIR:TAG} and {@code umoci --image DIR:TAG} match) and
   * {@code io.containerd.image.name} the full name. Without names, one unnamed entry.
   */
  static List<Descriptor> layoutEntries(Descriptor root, List<String> fullNames) {
    if (fullNames.isEmpty()) {
      return List.of(root);
    }
    List<Descriptor> out = new ArrayList<>();
    for (String full : fullNames) {
      Map<String, String> a = new LinkedHashMap<>(root.annotations());
      a.put(Descriptor.CONTAINERD_IMAGE_NAME, full);
      a.put(Descriptor.REF_NAME, ociRefName(full));
      out.add(root.withAnnotations(a));
    }
    return out;
  }

  /** The tag of a full name; a digest-only name keeps its full form. */
  static String ociRefName(String full) {
    if (full.contains("@")) {
      return full;
    }
    int colon = full.lastIndexOf(':');
    return colon > full.lastIndexOf('/') ? full.substring(colon + 1) : full;
  }

  /**
   * Docker's familiar form, as {@code docker save} writes RepoTags: {@code docker.io/library/}
   * and {@code docker.io/} dropped. Null for digest-only names, which RepoTags cannot hold.
   */
  static String familiar(String full) {
    if (full.contains("@")) {
      return null;
    }
    if (full.startsWith("docker.io/library/") && full.indexOf('/', 18) < 0) {
      return full.substring("docker.io/library/".length());
    }
    if (full.startsWith("docker.io/")) {
      return full.substring("docker.io/".length());
    }
    return full;
  }
}
