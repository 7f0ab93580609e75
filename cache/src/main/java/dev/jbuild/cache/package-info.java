/** The content-addressed store (an OCI image layout), the local image store, the build cache. */
package dev.jbuild.cache;
