package dev.jbuild.dockerfile.internal;

import java.util.List;

/**
 * One logical line as BuildKit's {@code newNodeFromLine} shapes it, before positions, comments
 * and heredocs are attached.
 *
 * @param keyword the keyword as written ({@code Node.Value})
 * @param original the logical line ({@code Node.Original})
 * @param nested the sub-instruction of ONBUILD, or null
 */
record LineNode(
    String keyword, String original, List<String> flags, List<String> args, boolean json,
    LineNode nested) {

  LineNode {
    flags = List.copyOf(flags);
    args = List.copyOf(args);
  }

  String lowerKeyword() {
    return keyword.toLowerCase(java.util.Locale.ROOT);
  }
}
