package dev.jbuild.cache;

import dev.jbuild.oci.Descriptor;

/**
 * One tag of the local image store.
 *
 * @param name the full normalised reference, e.g. {@code docker.io/library/app:1}
 * @param target the manifest or index the tag points to
 */
public record TaggedImage(String name, Descriptor target) {}
