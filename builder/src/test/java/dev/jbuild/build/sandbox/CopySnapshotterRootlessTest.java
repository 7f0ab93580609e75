package dev.jbuild.build.sandbox;

import org.junit.jupiter.api.Tag;

/**
 * {@link CopySnapshotterTest} as an unprivileged user (the sandbox in a user namespace with
 * the user's subordinate ids), run by {@code .ci/rootless}.
 */
@Tag("unprivileged")
class CopySnapshotterRootlessTest extends CopySnapshotterTest {}
