package dev.jbuild.build.context;

import dev.jbuild.dockerfile.lint.IgnoreMatcher;
import java.util.ArrayList;
import java.util.List;

/**
 * The context's {@code .dockerignore} as the {@code CopyIgnoredFile} check reads it (the CLI's
 * and the Maven plugin's {@code check}).
 */
public final class ContextIgnore implements IgnoreMatcher {

  private final PatternMatcher matcher;
  private final List<String> patterns;

  public ContextIgnore(PatternMatcher matcher) {
    this.matcher = matcher;
    List<String> p = new ArrayList<>();
    for (PatternMatcher.Rule r : matcher.rules()) {
      p.add(r.exclusion() ? "!" + r.pattern() : r.pattern());
    }
    this.patterns = List.copyOf(p);
  }

  @Override
  public List<String> patterns() {
    return patterns;
  }

  @Override
  public boolean matchesOrParentMatches(String path) {
    return matcher.matches(clean(path));
  }

  @Override
  public boolean mayReincludeBelow(String path) {
    String p = clean(path);
    return p.equals(".") ? matcher.hasExclusions() : matcher.mayReincludeBelow(p);
  }

  /** A COPY source as a context-relative path: {@code ./a//b/../c} is {@code a/c}, {@code /} is {@code .}. */
  public static String clean(String path) {
    List<String> parts = new ArrayList<>();
    for (String seg : path.split("/")) {
      if (seg.isEmpty() || seg.equals(".")) {
        continue;
      }
      if (seg.equals("..")) {
        if (!parts.isEmpty()) {
          parts.remove(parts.size() - 1);
        }
        continue; // sources are clamped to the context root
      }
      parts.add(seg);
    }
    return parts.isEmpty() ? "." : String.join("/", parts);
  }
}
