package dev.jbuild.cache;

import dev.jbuild.oci.Descriptor;
import java.util.Collection;
import java.util.List;

/**
 * Blobs that garbage collection must keep besides the tagged images: the build cache's
 * results, an in-flight push. A root that is a manifest or an index keeps everything it refers
 * to; other roots keep only themselves.
 */
@FunctionalInterface
public interface GcRoots {

  Collection<Descriptor> roots();

  static GcRoots none() {
    return List::of;
  }

  /** Both sets of roots. */
  default GcRoots and(GcRoots other) {
    return () -> {
      java.util.List<Descriptor> all = new java.util.ArrayList<>(roots());
      all.addAll(other.roots());
      return all;
    };
  }
}
