package dev.jbuild.layer;

/**
 * The two whiteout conventions jbuild translates between: OCI's {@code .wh.} entries in layer
 * tars, and overlayfs's 0/0 character devices and opaque xattrs in upper and lower dirs.
 */
public final class Whiteouts {
  private Whiteouts() {}

  /** Prefix of an OCI whiteout entry's name. */
  public static final String PREFIX = ".wh.";
  /** Name of the OCI opaque-directory marker. */
  public static final String OPAQUE = ".wh..wh..opq";
  /** Opaque xattr of overlay mounted with {@code userxattr} (rootless). */
  public static final String USER_OVERLAY_OPAQUE = "user.overlay.opaque";
  /** Opaque xattr of overlay mounted by real root. */
  public static final String TRUSTED_OVERLAY_OPAQUE = "trusted.overlay.opaque";

  /** What an entry name means to an applier. */
  public enum Kind {
    /** An ordinary entry. */
    NONE,
    /** {@code .wh.<name>}: hides {@code <name>} of the layers below. */
    WHITEOUT,
    /** {@code .wh..wh..opq}: hides everything of the layers below in its directory. */
    OPAQUE,
    /** Another {@code .wh..wh.} name (AUFS metadata): ignored, as Docker does. */
    METADATA
  }

  /** The meaning of the last component of a canonical path. */
  public static Kind kindOf(String path) {
    // asked of every entry of a layer, several times: the name is looked at in place
    int name = path.lastIndexOf('/') + 1;
    if (!path.startsWith(PREFIX, name)) {
      return Kind.NONE;
    }
    if (path.length() - name == OPAQUE.length() && path.startsWith(OPAQUE, name)) {
      return Kind.OPAQUE;
    }
    if (path.startsWith(PREFIX, name + PREFIX.length())) {
      return Kind.METADATA;
    }
    return Kind.WHITEOUT;
  }

  /**
   * The path a whiteout entry hides. Throws for names that hide nothing legal ({@code .wh.},
   * {@code .wh..}, {@code .wh...}).
   */
  public static String hiddenPath(String whiteoutPath) {
    String name = LayerPaths.name(whiteoutPath).substring(PREFIX.length());
    if (name.isEmpty() || name.equals(".") || name.equals("..")) {
      throw new IllegalArgumentException("whiteout \"" + whiteoutPath + "\" names no file");
    }
    return LayerPaths.join(LayerPaths.parent(whiteoutPath), name);
  }

  /** True for the xattrs overlayfs keeps for itself; they never go into a layer. */
  public static boolean isOverlayXattr(String name) {
    return name.startsWith("trusted.overlay.") || name.startsWith("user.overlay.");
  }
}
