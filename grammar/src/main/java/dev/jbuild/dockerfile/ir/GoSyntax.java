package dev.jbuild.dockerfile.ir;

import java.util.Locale;

/** Go's {@code strconv} parsing rules where BuildKit relies on them, with BuildKit's messages. */
final class GoSyntax {
  private GoSyntax() {}

  /** {@code strconv.ParseBool}: 1, t, T, TRUE, true, True and the false equivalents. */
  static boolean parseBool(String value, String key) {
    switch (value) {
      case "1": case "t": case "T": case "TRUE": case "true": case "True":
        return true;
      case "0": case "f": case "F": case "FALSE": case "false": case "False":
        return false;
      default:
        throw new InvalidValueException("invalid value for " + key + ": " + value);
    }
  }

  /**
   * {@code strconv.ParseUint(value, radix, 32)}; empty when it does not parse (digits only, no
   * sign, no underscores without a prefix, at most 2^32-1).
   */
  static java.util.OptionalLong parseUint32(String value, int radix) {
    if (value.isEmpty()) {
      return java.util.OptionalLong.empty();
    }
    long v = 0;
    for (int i = 0; i < value.length(); i++) {
      int d = Character.digit(value.charAt(i), radix);
      if (d < 0 || value.charAt(i) > 0x7f) {
        return java.util.OptionalLong.empty();
      }
      v = v * radix + d;
      if (v > 0xFFFF_FFFFL) {
        return java.util.OptionalLong.empty();
      }
    }
    return java.util.OptionalLong.of(v);
  }

  /**
   * {@code units.RAMInBytes}: a number with an optional binary unit (k, m, g, t, p, optionally
   * followed by i and/or b, any case), e.g. {@code 64m}, {@code 1.5GiB}, {@code 512}.
   */
  static long ramInBytes(String value, String key) {
    java.util.regex.Matcher m =
        java.util.regex.Pattern.compile("^(\\d+(?:\\.\\d+)*) ?([kKmMgGtTpP])?[iI]?[bB]?$").matcher(value);
    if (!m.matches()) {
      throw new InvalidValueException("invalid value for " + key + ": " + value);
    }
    double size;
    try {
      size = Double.parseDouble(m.group(1));
    } catch (NumberFormatException e) {
      throw new InvalidValueException("invalid value for " + key + ": " + value);
    }
    if (m.group(2) != null) {
      int power = "kmgtp".indexOf(m.group(2).toLowerCase(Locale.ROOT)) + 1;
      size *= Math.pow(1024, power);
    }
    return (long) size;
  }
}
