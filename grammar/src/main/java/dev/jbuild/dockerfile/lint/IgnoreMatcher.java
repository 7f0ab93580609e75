package dev.jbuild.dockerfile.lint;

import java.util.List;

/**
 * The build context's {@code .dockerignore}, as the {@code CopyIgnoredFile} check needs it. The
 * builder's context package implements it with moby/patternmatcher semantics.
 */
public interface IgnoreMatcher {

  /** The patterns as read from the ignore file, in order ({@code !} re-includes kept). */
  List<String> patterns();

  /**
   * Whether {@code path} (a COPY/ADD source as written, after expansion) or one of its parent
   * directories is excluded: patternmatcher's {@code MatchesOrParentMatches}.
   */
  boolean matchesOrParentMatches(String path);

  /**
   * Whether a {@code !} pattern could re-include something at or below {@code path} although
   * {@code path} is excluded; then a COPY of it still has content and the check stays silent.
   * False only when that provably cannot happen. For the context root ({@code .}) any {@code
   * !} pattern counts.
   */
  boolean mayReincludeBelow(String path);
}
