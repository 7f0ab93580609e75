package dev.jbuild.layer;

import org.junit.jupiter.api.Tag;

/**
 * {@link TreeDiffOverlayTest} as an unprivileged user: overlayfs mounted with {@code userxattr}
 * in a user namespace, the script run as the namespace's root (run by {@code .ci/rootless}).
 */
@Tag("unprivileged")
class TreeDiffOverlayRootlessTest extends TreeDiffOverlayTest {}
