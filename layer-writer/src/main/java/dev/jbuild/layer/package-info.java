/** Writing and applying OCI layer tars: deterministic PAX tars, whiteouts, gzip and zstd. */
package dev.jbuild.layer;
