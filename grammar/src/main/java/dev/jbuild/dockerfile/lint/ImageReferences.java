package dev.jbuild.dockerfile.lint;

import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Whether a FROM value could be an image reference, as distribution/reference's {@code
 * ParseNormalizedNamed} decides: the grammar of {@code [domain[:port]/]path[:tag][@digest]},
 * a lowercase repository, at most 255 characters of name, a known digest algorithm.
 */
final class ImageReferences {

  private static final String ALNUM = "[a-z0-9]+";
  private static final String SEPARATOR = "(?:[._]|__|[-]+)";
  private static final String PATH_COMPONENT = ALNUM + "(?:" + SEPARATOR + ALNUM + ")*";
  private static final String DOMAIN_COMPONENT = "(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])";
  private static final String HOST =
      "(?:" + DOMAIN_COMPONENT + "(?:\\." + DOMAIN_COMPONENT + ")*|\\[(?:[a-fA-F0-9:]+)\\])";
  private static final String DOMAIN = HOST + "(?::[0-9]+)?";
  private static final String NAME = "(?:" + DOMAIN + "/)?" + PATH_COMPONENT + "(?:/" + PATH_COMPONENT + ")*";
  private static final String TAG = "[\\w][\\w.-]{0,127}";
  private static final String DIGEST =
      "[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*[:][0-9a-fA-F]{32,}";
  private static final Pattern REFERENCE =
      Pattern.compile("^(" + NAME + ")(?::(" + TAG + "))?(?:@(" + DIGEST + "))?$");
  private static final Pattern IDENTIFIER = Pattern.compile("^[a-f0-9]{64}$");

  private ImageReferences() {}

  static boolean isValid(String s) {
    if (s.isEmpty() || IDENTIFIER.matcher(s).matches()) {
      return false;
    }
    // splitDockerDomain: the first component is a registry only if it looks like one.
    String remainder = s;
    int slash = s.indexOf('/');
    if (slash >= 0) {
      String first = s.substring(0, slash);
      boolean looksLikeDomain =
          first.contains(".") || first.contains(":") || first.equals("localhost")
              || !first.toLowerCase(Locale.ROOT).equals(first);
      if (looksLikeDomain) {
        remainder = s.substring(slash + 1);
      }
    }
    int colon = remainder.indexOf(':');
    String repository = colon < 0 ? remainder : remainder.substring(0, colon);
    int at = repository.indexOf('@');
    if (at >= 0) {
      repository = repository.substring(0, at);
    }
    if (!repository.toLowerCase(Locale.ROOT).equals(repository)) {
      return false;
    }
    Matcher m = REFERENCE.matcher(s);
    if (!m.matches() || m.group(1).length() > 255) {
      return false;
    }
    String digest = m.group(3);
    if (digest != null) {
      int c = digest.indexOf(':');
      String algorithm = digest.substring(0, c);
      int hex = digest.length() - c - 1;
      switch (algorithm) {
        case "sha256":
          return hex == 64;
        case "sha384":
          return hex == 96;
        case "sha512":
          return hex == 128;
        default:
          return false;
      }
    }
    return true;
  }
}
