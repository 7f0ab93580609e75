package dev.jbuild.build.context;

import java.util.List;
import java.util.Objects;

/**
 * A {@code COPY --parents} source split at its {@code /./} pivot: walk each root with the
 * include pattern, and the walked paths (relative to the root) are what is recreated under
 * the destination.
 *
 * @param roots the directories before the pivot (the context root when there is none)
 * @param include the part after the pivot as a pattern ({@code **} allowed), or {@link
 *     PatternMatcher#EMPTY} to take everything
 */
public record ParentsSelection(List<SourceMatch> roots, PatternMatcher include) {

  public ParentsSelection {
    roots = List.copyOf(roots);
    Objects.requireNonNull(include, "include");
  }
}
