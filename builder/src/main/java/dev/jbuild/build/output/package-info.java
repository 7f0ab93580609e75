/**
 * Writing an image from the local store to a file or directory: an OCI image layout, an OCI
 * archive, a docker-archive. Each write is atomic: the result appears whole or not at all.
 */
package dev.jbuild.build.output;
