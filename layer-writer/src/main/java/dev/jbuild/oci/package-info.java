/** OCI models over raw bytes: digests, descriptors, manifests, indexes, image configs. */
package dev.jbuild.oci;
