package dev.jbuild.layer;

import dev.jbuild.oci.Digest;

/**
 * What applying a layer did. The skipped counts are what the process was not permitted to
 * restore (as non-root: other owners, device nodes, {@code trusted.*} and {@code security.*}
 * xattrs); a caller that needs them exact should fail or warn when they are non-zero.
 *
 * @param diffId sha256 of the uncompressed tar as read
 * @param entries entries applied (whiteouts and markers included)
 * @param bytes file content bytes written
 * @param whiteouts whiteouts and opaque markers applied
 * @param ownershipSkipped entries whose uid/gid could not be set
 * @param devicesSkipped device nodes not created (not permitted, or devices not allowed)
 * @param xattrsSkipped xattrs that could not be set
 */
public record ApplyResult(Digest diffId, long entries, long bytes, long whiteouts,
    long ownershipSkipped, long devicesSkipped, long xattrsSkipped) {}
