package dev.jbuild.dockerfile.lint;

import dev.jbuild.dockerfile.internal.GoStrings;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Which checks run and whether they fail the build: the {@code # check=skip=A,B;error=true;
 * experimental=C} directive, BuildKit's {@code ParseLintOptions}.
 *
 * <ul>
 *   <li>{@code skip=all} turns off every rule except experimental ones;
 *   <li>experimental rules run only when named in {@code experimental=} (or {@code
 *       experimental=all});
 *   <li>{@code error=true} makes any warning fail the build.
 * </ul>
 *
 * @param skipAll {@code skip=all}
 * @param skip the rule names in {@code skip=}
 * @param experimentalAll {@code experimental=all}
 * @param experimental the rule names in {@code experimental=}
 * @param error {@code error=true}
 */
public record CheckConfig(
    boolean skipAll, Set<String> skip, boolean experimentalAll, Set<String> experimental, boolean error) {

  /** No directive: every stable rule warns, nothing fails. */
  public static final CheckConfig DEFAULT = new CheckConfig(false, Set.of(), false, Set.of(), false);

  /** A directive comment as the parser keeps it (without {@code #}): {@code check=…}. */
  private static final Pattern COMMENT_DIRECTIVE =
      Pattern.compile("^[ \\t]*([a-zA-Z][a-zA-Z0-9]*)[ \\t]*=[ \\t]*(.+?)[ \\t]*$");

  public CheckConfig {
    skip = Collections.unmodifiableSet(new LinkedHashSet<>(skip));
    experimental = Collections.unmodifiableSet(new LinkedHashSet<>(experimental));
  }

  /**
   * Reads a {@code check} value, e.g. {@code skip=JSONArgsRecommended;error=true}. An empty value
   * gives {@link #DEFAULT}.
   *
   * @throws InvalidCheckConfigException with BuildKit's message
   */
  public static CheckConfig parse(String value) throws InvalidCheckConfigException {
    String text = value.strip();
    if (text.isEmpty()) {
      return DEFAULT;
    }
    // strings.SplitN(value, ";", 3): a third part keeps any further ';'.
    List<String> parts = new ArrayList<>();
    String rest = text;
    while (parts.size() < 2) {
      int semi = rest.indexOf(';');
      if (semi < 0) {
        break;
      }
      parts.add(rest.substring(0, semi));
      rest = rest.substring(semi + 1);
    }
    parts.add(rest);

    boolean skipAll = false;
    boolean experimentalAll = false;
    boolean error = false;
    Set<String> skip = Set.of();
    Set<String> experimental = Set.of();
    for (String part : parts) {
      int eq = part.indexOf('=');
      if (eq < 0) {
        throw new InvalidCheckConfigException("invalid check option " + GoStrings.quote(part));
      }
      String key = part.substring(0, eq).strip();
      String v = part.substring(eq + 1).strip();
      switch (key) {
        case "skip":
          if (v.equals("all")) {
            skipAll = true;
          } else {
            skip = names(v);
          }
          break;
        case "experimental":
          if (v.equals("all")) {
            experimentalAll = true;
          } else {
            experimental = names(v);
          }
          break;
        case "error":
          Optional<Boolean> b = parseBool(v);
          if (b.isEmpty()) {
            throw new InvalidCheckConfigException(
                "failed to parse check option " + GoStrings.quote(part)
                    + ": strconv.ParseBool: parsing " + GoStrings.quote(v) + ": invalid syntax");
          }
          error = b.get();
          break;
        default:
          throw new InvalidCheckConfigException("invalid check option " + GoStrings.quote(key));
      }
    }
    return new CheckConfig(skipAll, skip, experimentalAll, experimental, error);
  }

  private static Set<String> names(String list) {
    Set<String> out = new LinkedHashSet<>();
    for (String name : list.split(",", -1)) {
      out.add(name.strip());
    }
    return out;
  }

  /** Go's {@code strconv.ParseBool}. */
  private static Optional<Boolean> parseBool(String v) {
    switch (v) {
      case "1":
      case "t":
      case "T":
      case "true":
      case "TRUE":
      case "True":
        return Optional.of(true);
      case "0":
      case "f":
      case "F":
      case "false":
      case "FALSE":
      case "False":
        return Optional.of(false);
      default:
        return Optional.empty();
    }
  }

  /**
   * The {@code check=} settings of the comments right before one instruction ({@code
   * WithMergedConfigFromComments}): only the first {@code check=} comment counts, and one that
   * does not parse is ignored.
   *
   * @param comments comment lines without their {@code #}
   */
  public static Optional<CheckConfig> fromComments(List<String> comments) {
    for (String comment : comments) {
      Matcher m = COMMENT_DIRECTIVE.matcher(comment);
      if (!m.matches() || !m.group(1).equalsIgnoreCase("check")) {
        continue;
      }
      String v = m.group(2);
      int space = v.indexOf(' ');
      try {
        return Optional.of(parse(space < 0 ? v : v.substring(0, space)));
      } catch (InvalidCheckConfigException e) {
        return Optional.empty();
      }
    }
    return Optional.empty();
  }

  /** Both configurations at once: a rule runs only if neither skips it. {@code error} stays ours. */
  public CheckConfig merge(CheckConfig other) {
    Objects.requireNonNull(other, "other");
    Set<String> s = new LinkedHashSet<>(skip);
    s.addAll(other.skip);
    Set<String> e = new LinkedHashSet<>(experimental);
    e.addAll(other.experimental);
    return new CheckConfig(
        skipAll || other.skipAll, s, experimentalAll || other.experimentalAll, e, error);
  }

  /** Whether {@code rule} runs under this configuration. */
  public boolean isEnabled(Rule rule) {
    if (rule.experimental()) {
      return experimentalAll || experimental.contains(rule.name());
    }
    return !skipAll && !skip.contains(rule.name());
  }
}
