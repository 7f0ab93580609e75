package dev.jbuild.build;

import java.net.URI;
import java.net.URISyntaxException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * An ADD source that BuildKit takes as a git repository ({@code dfgitutil.ParseGitRef} over
 * {@code gitutil.ParseURL}): a URL with scheme {@code http}, {@code https} (only when its path
 * ends in {@code .git}), {@code git} or {@code ssh}, or an scp-like {@code [user@]host:path};
 * options in a {@code #ref[:subdir]} fragment or in the query ({@code ref}, {@code tag},
 * {@code branch}, {@code subdir}, {@code checksum}/{@code commit}, {@code keep-git-dir},
 * {@code submodules}, {@code mtime}). {@code file://} is no git source for BuildKit, and
 * {@code github.com/x/y} without a scheme is a local path for ADD.
 *
 * @param remote the repository URL given to git (without fragment and query)
 * @param ref a branch, tag, full ref or commit; empty for the remote's default branch
 * @param subdir the directory of the repository to copy; empty for all of it
 * @param checksum the commit (or a prefix of it) the ref must resolve to; empty for any
 * @param keepGitDir the {@code keep-git-dir} query, when given
 * @param submodules the {@code submodules} query, when given (default: fetched)
 * @param commitMtime {@code mtime=commit}: files get the commit time instead of the checkout
 *     time
 */
record GitRef(
    String remote,
    String ref,
    String subdir,
    String checksum,
    Optional<Boolean> keepGitDir,
    Optional<Boolean> submodules,
    boolean commitMtime) {

  private static final Set<String> SCHEMES = Set.of("http", "https", "git", "ssh");
  private static final Pattern PROTO = Pattern.compile("^[a-zA-Z0-9]+://");
  private static final Pattern SCP =
      Pattern.compile("^(?:([a-zA-Z0-9-_]+)@)?([a-zA-Z0-9-.]+):(.*?)(?:#(.*))?$", Pattern.DOTALL);
  private static final Pattern GO_SCHEME = Pattern.compile("^[a-zA-Z][a-zA-Z0-9+.-]*:");
  private static final Pattern FULL_SHA = Pattern.compile("^[a-f0-9]{40}$");

  /** Thrown for a source that is a git URL with options BuildKit refuses. */
  static final class InvalidGitRefException extends RuntimeException {
    InvalidGitRefException(String message) {
      super(message);
    }
  }

  /**
   * The git reference {@code source} denotes, or empty when BuildKit treats it as a local path
   * or an HTTP file.
   *
   * @throws InvalidGitRefException when it is a git URL whose options are invalid
   */
  static Optional<GitRef> parse(String source) {
    if (source.startsWith("./") || source.startsWith("../") || source.startsWith("github.com/")) {
      // the last form is git for build contexts only (IndistinguishableFromLocal)
      return Optional.empty();
    }
    String rest;
    String fragment;
    String remote;
    Matcher proto = PROTO.matcher(source);
    if (proto.find()) {
      String scheme = source.substring(0, proto.end() - 3).toLowerCase(Locale.ROOT);
      if (!SCHEMES.contains(scheme)) {
        return Optional.empty();
      }
      URI uri;
      try {
        uri = new URI(source);
      } catch (URISyntaxException e) {
        return Optional.empty();
      }
      if ((scheme.equals("http") || scheme.equals("https"))
          && (uri.getPath() == null || !uri.getPath().endsWith(".git"))) {
        return Optional.empty();
      }
      fragment = uri.getFragment() == null ? "" : uri.getFragment();
      rest = uri.getRawQuery() == null ? "" : uri.getRawQuery();
      int hash = source.indexOf('#');
      String noFragment = hash < 0 ? source : source.substring(0, hash);
      int q = noFragment.indexOf('?');
      remote = q < 0 ? noFragment : noFragment.substring(0, q);
    } else {
      Matcher go = GO_SCHEME.matcher(source);
      if (go.find()) {
        String after = source.substring(go.end());
        if (after.isEmpty() || after.startsWith("/")) {
          return Optional.empty(); // Go's url.Parse sees a scheme and no opaque part
        }
      }
      Matcher m = SCP.matcher(source);
      if (!m.matches()) {
        return Optional.empty();
      }
      fragment = m.group(4) == null ? "" : m.group(4);
      String path = m.group(3);
      int q = path.indexOf('?');
      rest = q < 0 ? "" : path.substring(q + 1);
      path = q < 0 ? path : path.substring(0, q);
      remote = (m.group(1) == null ? "" : m.group(1) + "@") + m.group(2) + ":" + path;
    }
    String ref = "";
    String subdir = "";
    if (!fragment.isEmpty()) {
      int colon = fragment.indexOf(':');
      ref = colon < 0 ? fragment : fragment.substring(0, colon);
      subdir = colon < 0 ? "" : fragment.substring(colon + 1);
    }
    return Optional.of(withQuery(remote, ref, subdir, query(rest)));
  }

  /** Go's {@code url.ParseQuery}: {@code k=v} pairs split on {@code &}, percent-decoded. */
  private static Map<String, List<String>> query(String raw) {
    Map<String, List<String>> out = new LinkedHashMap<>();
    if (raw.isEmpty()) {
      return out;
    }
    for (String pair : raw.split("&", -1)) {
      if (pair.isEmpty()) {
        continue;
      }
      if (pair.contains(";")) {
        throw new InvalidGitRefException("invalid semicolon separator in query");
      }
      int eq = pair.indexOf('=');
      String k = decode(eq < 0 ? pair : pair.substring(0, eq));
      String v = eq < 0 ? "" : decode(pair.substring(eq + 1));
      out.computeIfAbsent(k, x -> new java.util.ArrayList<>()).add(v);
    }
    return out;
  }

  private static String decode(String s) {
    try {
      return URLDecoder.decode(s, StandardCharsets.UTF_8);
    } catch (IllegalArgumentException e) {
      throw new InvalidGitRefException("invalid URL escape in query: " + s);
    }
  }

  /** BuildKit's {@code loadQuery}: query options merged with the fragment's, conflicts refused. */
  private static GitRef withQuery(
      String remote, String ref, String subdir, Map<String, List<String>> query) {
    String tag = "";
    String branch = "";
    String checksum = "";
    Optional<Boolean> keepGitDir = Optional.empty();
    Optional<Boolean> submodules = Optional.empty();
    boolean commitMtime = false;
    for (Map.Entry<String, List<String>> e : query.entrySet()) {
      String k = e.getKey();
      List<String> v = e.getValue();
      if (v.size() > 1) {
        throw new InvalidGitRefException("query \"" + k + "\" has multiple values");
      }
      String value = v.get(0);
      boolean flag = k.equals("submodules") || k.equals("keep-git-dir");
      if (value.isEmpty() && !flag) {
        throw new InvalidGitRefException("query \"" + k + "\" has no value");
      }
      switch (k) {
        case "ref":
          if (!ref.isEmpty() && !ref.equals(value)) {
            throw new InvalidGitRefException("ref conflicts: \"" + ref + "\" vs \"" + value + "\"");
          }
          ref = value;
          break;
        case "tag":
          tag = value;
          break;
        case "branch":
          branch = value;
          break;
        case "subdir":
          if (!subdir.isEmpty() && !subdir.equals(value)) {
            throw new InvalidGitRefException(
                "subdir conflicts: \"" + subdir + "\" vs \"" + value + "\"");
          }
          subdir = value;
          break;
        case "checksum":
        case "commit":
          checksum = value;
          break;
        case "keep-git-dir":
          keepGitDir = Optional.of(bool(k, value));
          break;
        case "submodules":
          submodules = Optional.of(bool(k, value));
          break;
        case "mtime":
          if (!value.equals("checkout") && !value.equals("commit")) {
            throw new InvalidGitRefException(
                "invalid mtime value: \"" + value + "\" (checkout or commit)");
          }
          commitMtime = value.equals("commit");
          break;
        case "fetch-by-commit":
          // how BuildKit fetches, not what it copies: the result is the same commit
          bool(k, value);
          break;
        default:
          throw new InvalidGitRefException("unexpected query \"" + k + "\"");
      }
    }
    if (!tag.isEmpty()) {
      String full = tag.startsWith("refs/tags/") ? tag : "refs/tags/" + tag;
      if (!ref.isEmpty() && !ref.equals(full)) {
        throw new InvalidGitRefException("ref conflicts: \"" + ref + "\" vs \"" + full + "\"");
      }
      ref = full;
    }
    if (!branch.isEmpty()) {
      if (!tag.isEmpty()) {
        throw new InvalidGitRefException("branch conflicts with tag");
      }
      String full = branch.startsWith("refs/heads/") ? branch : "refs/heads/" + branch;
      if (!ref.isEmpty() && !ref.equals(full)) {
        throw new InvalidGitRefException("ref conflicts: \"" + ref + "\" vs \"" + full + "\"");
      }
      ref = full;
    }
    if (!checksum.isEmpty() && ref.isEmpty()) {
      ref = checksum;
    }
    return new GitRef(remote, ref, subdir, checksum, keepGitDir, submodules, commitMtime);
  }

  private static boolean bool(String key, String value) {
    switch (value.isEmpty() ? "true" : value) {
      case "1": case "t": case "T": case "TRUE": case "true": case "True":
        return true;
      case "0": case "f": case "F": case "FALSE": case "false": case "False":
        return false;
      default:
        throw new InvalidGitRefException("invalid " + key + " value: \"" + value + "\"");
    }
  }

  /** A full commit id, which needs no lookup on the remote. */
  static boolean isCommit(String ref) {
    return FULL_SHA.matcher(ref).matches();
  }

  /** This reference with the Dockerfile's {@code --checksum} and {@code --keep-git-dir} merged. */
  GitRef withFlags(Optional<String> flagChecksum, Optional<Boolean> flagKeepGitDir) {
    if (flagKeepGitDir.isPresent() && keepGitDir.isPresent()
        && !flagKeepGitDir.get().equals(keepGitDir.get())) {
      throw new InvalidGitRefException("inconsistent keep-git-dir configuration");
    }
    String sum = checksum;
    if (flagChecksum.isPresent() && !checksum.isEmpty() && !flagChecksum.get().equals(checksum)) {
      throw new InvalidGitRefException(
          "checksum mismatch \"" + flagChecksum.get() + "\" != \"" + checksum + "\"");
    }
    if (sum.isEmpty() && flagChecksum.isPresent()) {
      sum = flagChecksum.get();
    }
    return new GitRef(
        remote, ref, subdir, sum, keepGitDir.isPresent() ? keepGitDir : flagKeepGitDir,
        submodules, commitMtime);
  }

  /** Whether the {@code .git} directory is copied too (only without a subdirectory). */
  boolean keepsGitDir() {
    return keepGitDir.orElse(false);
  }

  /** The remote with any password in it replaced, for messages. */
  String redactedRemote() {
    return redact(remote);
  }

  static String redact(String url) {
    return url.replaceAll("(://[^/@:]*):[^/@]*@", "$1:xxxxx@");
  }
}
