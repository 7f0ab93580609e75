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
    String keyword, String lower, String original, List<String> flags, List<String> args,
    boolean json, LineNode nested) {

  LineNode {
    flags = List.copyOf(flags);
    args = List.copyOf(args);
  }

  /** The keyword lowercased: the dispatch key (computed once per node). */
  String lowerKeyword() {
    return lower;
  }
}
