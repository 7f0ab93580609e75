package dev.jbuild.build.context;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * The {@code .dockerignore} pattern language, reproducing moby/patternmatcher v0.6.1: the
 * engine behind {@code .dockerignore}, {@code COPY --exclude} and the {@code --parents}
 * include patterns.
 *
 * <p>Patterns are evaluated in order and the last one that matches wins: a plain pattern
 * excludes, a {@code !pattern} re-includes. A path also matches a pattern when one of its
 * parent directories does, so {@code docs} covers {@code docs/a/b} and {@code docs} plus
 * {@code !docs/README.md} keeps that one file; a walker must therefore descend into matched
 * directories whenever {@link #hasExclusions()} is true.
 *
 * <p>Each pattern is cleaned ({@code path.Clean}) and checked with Go's {@code
 * filepath.Match} rules. {@code *} and {@code ?} never match {@code /}, {@code **} matches
 * any number of segments including none ({@code **}{@code /} reads as {@code **}), a leading
 * {@code **} makes a suffix test and a trailing one a prefix test, {@code .+()|{}$} are
 * literal. Where patternmatcher hands odd text to Go's regexp engine, this class follows the
 * documented glob meaning instead: {@code \x} is always a literal {@code x} and a class
 * {@code [...]} keeps Go's {@code filepath.Match} meaning even when it holds {@code *} or
 * {@code ?}. Instances are immutable and thread-safe.
 */
public final class PatternMatcher {

  /** Matches nothing. */
  public static final PatternMatcher EMPTY = new PatternMatcher(List.of(), false);

  private final List<Rule> rules;
  private final Compiled[] compiled;
  private final boolean exclusions;

  private PatternMatcher(List<Compiled> compiled, boolean exclusions) {
    this.compiled = compiled.toArray(new Compiled[0]);
    List<Rule> list = new ArrayList<>();
    for (Compiled c : compiled) {
      list.add(c.rule);
    }
    this.rules = List.copyOf(list);
    this.exclusions = exclusions;
  }

  /**
   * One cleaned pattern.
   *
   * @param pattern the pattern without its {@code !}, after {@code path.Clean}
   * @param exclusion whether it was written {@code !pattern} (re-includes what it matches)
   */
  public record Rule(String pattern, boolean exclusion) {
    public Rule {
      Objects.requireNonNull(pattern, "pattern");
    }

    @Override
    public String toString() {
      return exclusion ? "!" + pattern : pattern;
    }
  }

  /**
   * Compiles patterns as patternmatcher's {@code New} does: each is trimmed (Go's {@code
   * strings.TrimSpace}), empty ones are skipped, the rest cleaned.
   *
   * @throws BadPatternException for a malformed pattern ({@code syntax error in pattern}) or a
   *     lone {@code !} ({@code illegal exclusion pattern: "!"})
   */
  public static PatternMatcher compile(List<String> patterns) {
    List<Compiled> list = new ArrayList<>(patterns.size());
    boolean exclusions = false;
    for (String raw : patterns) {
      String p = trimSpace(raw);
      if (p.isEmpty()) {
        continue;
      }
      p = SlashPath.clean(p);
      boolean exclusion = false;
      if (p.charAt(0) == '!') {
        if (p.length() == 1) {
          throw new BadPatternException(raw, "illegal exclusion pattern: \"!\"");
        }
        exclusion = true;
        exclusions = true;
        p = p.substring(1);
      }
      try {
        Glob.validate(p);
      } catch (BadPatternException e) {
        throw BadPatternException.syntax(raw);
      }
      list.add(new Compiled(new Rule(p, exclusion), raw));
    }
    return list.isEmpty() && !exclusions ? EMPTY : new PatternMatcher(list, exclusions);
  }

  /** The cleaned patterns, in order. */
  public List<Rule> rules() {
    return rules;
  }

  /** Whether there are no patterns at all. */
  public boolean isEmpty() {
    return compiled.length == 0;
  }

  /**
   * Whether any {@code !} pattern exists: a walker must then look inside matched directories
   * for re-included paths instead of skipping them whole.
   */
  public boolean hasExclusions() {
    return exclusions;
  }

  /**
   * Whether {@code path} (slash-separated, relative, no leading {@code ./}) matches, taking
   * its parent directories into account: patternmatcher's {@code MatchesOrParentMatches}.
   */
  public boolean matches(String path) {
    boolean matched = false;
    String parentPath = SlashPath.dir(path);
    List<String> parentDirs = SlashPath.split(parentPath);
    for (Compiled c : compiled) {
      if (c.rule.exclusion != matched) {
        continue; // cannot change the outcome
      }
      boolean match = c.matches(path) || (!parentPath.equals(".") && anyParent(c, parentDirs));
      if (match) {
        matched = !c.rule.exclusion;
      }
    }
    return matched;
  }

  /** Whether {@code path} itself matches, ignoring its parents ({@code MatchesExact}). */
  public boolean matchesExact(String path) {
    boolean matched = false;
    for (Compiled c : compiled) {
      if (c.rule.exclusion != matched) {
        continue;
      }
      if (c.matches(path)) {
        matched = !c.rule.exclusion;
      }
    }
    return matched;
  }

  /**
   * The incremental form used during a walk ({@code MatchesUsingParentResults}): pass the
   * state returned for the parent directory, or {@link MatchState#NONE} when it is unknown (a
   * top-level path, or a path reached without walking its parents: then parents are checked
   * as in {@link #matches(String)}).
   */
  public Result matches(String path, MatchState parent) {
    boolean[] parentMatched = parent.matched;
    if (parentMatched.length != 0 && parentMatched.length != compiled.length) {
      throw new IllegalArgumentException("match state belongs to another matcher");
    }
    boolean matched = false;
    boolean[] state = new boolean[compiled.length];
    for (int i = 0; i < compiled.length; i++) {
      Compiled c = compiled[i];
      boolean match = parentMatched.length != 0 && parentMatched[i];
      if (!match) {
        if (c.rule.exclusion != matched) {
          continue;
        }
        match = c.matches(path);
        if (!match && parentMatched.length == 0) {
          String parentPath = SlashPath.dir(path);
          if (!parentPath.equals(".")) {
            match = anyParent(c, SlashPath.split(parentPath));
          }
        }
      }
      state[i] = match;
      if (match) {
        matched = !c.rule.exclusion;
      }
    }
    return new Result(matched, new MatchState(state));
  }

  /**
   * patternmatcher's deprecated {@code Matches}, which looks at only one parent level (the
   * prefix with as many segments as the pattern). Kept for its test vectors.
   */
  boolean matchesOneParentLevel(String path) {
    boolean matched = false;
    String parentPath = SlashPath.dir(path);
    List<String> parentDirs = SlashPath.split(parentPath);
    for (Compiled c : compiled) {
      if (c.rule.exclusion != matched) {
        continue;
      }
      boolean match = c.matches(path);
      if (!match && !parentPath.equals(".") && c.segments <= parentDirs.size()) {
        match = c.matches(String.join("/", parentDirs.subList(0, c.segments)));
      }
      if (match) {
        matched = !c.rule.exclusion;
      }
    }
    return matched;
  }

  /**
   * Whether some path strictly below directory {@code dir} could be re-included although
   * {@code dir} itself matched. False only when it provably cannot: every {@code !} pattern
   * is literal and none names a path below {@code dir}. Lets a walker skip an excluded
   * subtree, as fsutil does.
   */
  public boolean mayReincludeBelow(String dir) {
    if (!exclusions) {
      return false;
    }
    String prefix = dir + "/";
    for (Compiled c : compiled) {
      if (!c.rule.exclusion) {
        continue;
      }
      if (c.type != MatchType.EXACT || c.rule.pattern.startsWith(prefix)) {
        return true;
      }
    }
    return false;
  }

  private static boolean anyParent(Compiled c, List<String> parentDirs) {
    StringBuilder prefix = new StringBuilder();
    for (int i = 0; i < parentDirs.size(); i++) {
      if (i > 0) {
        prefix.append('/');
      }
      prefix.append(parentDirs.get(i));
      if (c.matches(prefix.toString())) {
        return true;
      }
    }
    return false;
  }

  /** The outcome of {@link #matches(String, MatchState)}. */
  public record Result(boolean matched, MatchState state) {}

  /** Per-pattern results of a directory, handed to the matching of its children. */
  public static final class MatchState {
    /** No knowledge of the parent. */
    public static final MatchState NONE = new MatchState(new boolean[0]);

    private final boolean[] matched;

    private MatchState(boolean[] matched) {
      this.matched = matched;
    }

    @Override
    public String toString() {
      return "MatchState" + Arrays.toString(matched);
    }
  }

  @Override
  public String toString() {
    return rules.toString();
  }

  /** Go's {@code unicode.IsSpace}, which {@code strings.TrimSpace} uses. */
  static boolean isGoSpace(int c) {
    if (c < 0x100) {
      return c == ' ' || (c >= '\t' && c <= '\r') || c == 0x85 || c == 0xA0;
    }
    int type = Character.getType(c);
    return type == Character.SPACE_SEPARATOR
        || type == Character.LINE_SEPARATOR
        || type == Character.PARAGRAPH_SEPARATOR;
  }

  /** Go's {@code strings.TrimSpace}. */
  static String trimSpace(String s) {
    int start = 0;
    int end = s.length();
    while (start < end && isGoSpace(s.codePointAt(start))) {
      start += Character.charCount(s.codePointAt(start));
    }
    while (end > start && isGoSpace(s.codePointBefore(end))) {
      end -= Character.charCount(s.codePointBefore(end));
    }
    return s.substring(start, end);
  }

  /** How a compiled pattern is tested, as patternmatcher classifies it. */
  enum MatchType {
    EXACT,
    PREFIX,
    SUFFIX,
    REGEXP
  }

  /** A rule with its compiled test. */
  static final class Compiled {
    final Rule rule;
    final MatchType type;
    final Pattern regex; // only for REGEXP
    final int segments; // for the one-parent-level legacy check
    final String goRegex; // the regexp text patternmatcher builds, for its compile vectors
    final String affix; // PREFIX: what a path starts with; SUFFIX: what it ends with
    /**
     * REGEXP: the literal text the pattern starts and ends with (up to its first and after
     * its last wildcard, class or escape). A path lacking either cannot match, which settles
     * most paths of a walk without running the regex ({@code **}{@code /*.tmp} against {@code
     * src/Main.java}).
     */
    final String literalPrefix;
    final String literalSuffix;

    Compiled(Rule rule, String raw) {
      this.rule = rule;
      this.segments = SlashPath.split(rule.pattern).size();
      int[] cp = rule.pattern.codePoints().toArray();
      StringBuilder re = new StringBuilder();
      MatchType t = MatchType.EXACT;
      int k = 0;
      for (int i = 0; k < cp.length; i++) {
        int ch = cp[k++];
        if (ch == '*') {
          if (k < cp.length && cp[k] == '*') {
            k++;
            if (k < cp.length && cp[k] == '/') {
              k++; // "**/" is "**"
            }
            if (k == cp.length) {
              if (t == MatchType.EXACT) {
                t = MatchType.PREFIX;
              } else {
                re.append(".*");
                t = MatchType.REGEXP;
              }
            } else {
              re.append("(?:.*/)?");
              t = MatchType.REGEXP;
            }
            if (i == 0) {
              t = MatchType.SUFFIX;
            }
          } else {
            re.append("[^/]*");
            t = MatchType.REGEXP;
          }
        } else if (ch == '?') {
          re.append("[^/]");
          t = MatchType.REGEXP;
        } else if (ch == '\\') {
          if (k >= cp.length) {
            throw BadPatternException.syntax(raw); // Glob.validate rejects this first
          }
          literal(re, cp[k++], false);
          t = MatchType.REGEXP;
        } else if (ch == '[') {
          k = charClass(re, cp, k, raw);
          t = MatchType.REGEXP;
        } else if (ch == ']') {
          re.append("\\]");
          t = MatchType.REGEXP;
        } else if (ch == '^') {
          re.append('^'); // a start anchor in Go's regexp too: mid-pattern it never matches
        } else {
          literal(re, ch, false);
        }
      }
      this.type = t;
      this.regex = t == MatchType.REGEXP ? Pattern.compile(re.toString(), Pattern.UNIX_LINES) : null;
      this.goRegex = t == MatchType.REGEXP ? goRegex(rule.pattern) : "";
      String p = rule.pattern;
      this.affix =
          t == MatchType.PREFIX ? p.substring(0, p.length() - 2)
              : t == MatchType.SUFFIX ? p.substring(2)
              : null;
      int head = 0;
      while (head < p.length() && !isSpecial(p.charAt(head))) {
        head++;
      }
      int tail = p.length();
      while (tail > head && !isSpecial(p.charAt(tail - 1))) {
        tail--;
      }
      this.literalPrefix = t == MatchType.REGEXP ? p.substring(0, head) : "";
      this.literalSuffix = t == MatchType.REGEXP ? p.substring(tail) : "";
    }

    /** Characters that are not themselves in the text a pattern matches. */
    private static boolean isSpecial(char c) {
      return c == '*' || c == '?' || c == '[' || c == ']' || c == '\\' || c == '^';
    }

    boolean matches(String path) {
      switch (type) {
        case EXACT:
          return path.equals(rule.pattern);
        case PREFIX:
          return path.startsWith(affix);
        case SUFFIX:
          if (path.endsWith(affix)) {
            return true;
          }
          // "**/foo" matches "foo"
          return affix.startsWith("/")
              && path.length() == affix.length() - 1
              && affix.endsWith(path);
        default:
          return path.startsWith(literalPrefix)
              && path.endsWith(literalSuffix)
              && regex.matcher(path).matches();
      }
    }

    /** Appends a class starting after its {@code [}; returns the index after its {@code ]}. */
    private static int charClass(StringBuilder re, int[] cp, int k, String raw) {
      re.append('[');
      if (k < cp.length && cp[k] == '^') {
        re.append('^');
        k++;
      }
      int ranges = 0;
      while (true) {
        if (k >= cp.length) {
          throw BadPatternException.syntax(raw);
        }
        if (cp[k] == ']' && ranges > 0) {
          re.append(']');
          return k + 1;
        }
        if (cp[k] == '\\') {
          k++;
          if (k >= cp.length) {
            throw BadPatternException.syntax(raw);
          }
        }
        int lo = cp[k++];
        int hi = lo;
        if (k + 1 < cp.length && cp[k] == '-' && cp[k + 1] != ']') {
          k++;
          if (cp[k] == '\\') {
            k++;
          }
          if (k >= cp.length) {
            throw BadPatternException.syntax(raw);
          }
          hi = cp[k++];
        }
        if (lo > hi) {
          // Go's regexp refuses a reversed range, which patternmatcher reports as a bad pattern
          throw BadPatternException.syntax(raw);
        }
        literal(re, lo, true);
        if (hi != lo) {
          re.append('-');
          literal(re, hi, true);
        }
        ranges++;
      }
    }

    private static void literal(StringBuilder re, int c, boolean inClass) {
      boolean plain =
          (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c >= 0x80;
      if (!plain && !(c == '/' || c == '_' || (!inClass && c == '-'))) {
        re.append('\\');
      }
      re.appendCodePoint(c);
    }

    /** The regexp text patternmatcher's {@code compile} produces, character by character. */
    private static String goRegex(String pattern) {
      StringBuilder re = new StringBuilder("^");
      int[] cp = pattern.codePoints().toArray();
      int k = 0;
      while (k < cp.length) {
        int ch = cp[k++];
        if (ch == '*') {
          if (k < cp.length && cp[k] == '*') {
            k++;
            if (k < cp.length && cp[k] == '/') {
              k++;
            }
            re.append(k == cp.length ? ".*" : "(.*/)?");
          } else {
            re.append("[^/]*");
          }
        } else if (ch == '?') {
          re.append("[^/]");
        } else if (".+()|{}$".indexOf(ch) >= 0) {
          re.append('\\').appendCodePoint(ch);
        } else if (ch == '\\') {
          re.append('\\');
          if (k < cp.length) {
            re.appendCodePoint(cp[k++]);
          }
        } else {
          re.appendCodePoint(ch);
        }
      }
      return re.append('$').toString();
    }
  }

  /** The compiled form of each rule, for tests. */
  List<Compiled> compiled() {
    return List.of(compiled);
  }
}
