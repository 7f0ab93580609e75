package dev.jbuild.oci;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Objects;
import java.util.regex.Pattern;

/** A content digest, {@code sha256:<64 hex>}. Only sha256 is produced; sha512 is parsed. */
public record Digest(String algorithm, String hex) implements Comparable<Digest> {

  private static final Pattern SHA256 = Pattern.compile("[a-f0-9]{64}");
  private static final Pattern SHA512 = Pattern.compile("[a-f0-9]{128}");

  public Digest {
    Objects.requireNonNull(algorithm, "algorithm");
    Objects.requireNonNull(hex, "hex");
    boolean ok =
        ("sha256".equals(algorithm) && SHA256.matcher(hex).matches())
            || ("sha512".equals(algorithm) && SHA512.matcher(hex).matches());
    if (!ok) {
      throw new IllegalArgumentException("not a valid digest: " + algorithm + ":" + hex);
    }
  }

  /** Parses {@code sha256:…}; throws IllegalArgumentException naming the bad text. */
  public static Digest parse(String text) {
    int colon = text.indexOf(':');
    if (colon < 0) {
      throw new IllegalArgumentException("not a valid digest: " + text);
    }
    return new Digest(text.substring(0, colon), text.substring(colon + 1));
  }

  public static Digest sha256(byte[] hash) {
    if (hash.length != 32) {
      throw new IllegalArgumentException("sha256 hash must be 32 bytes");
    }
    return new Digest("sha256", HexFormat.of().formatHex(hash));
  }

  /** The sha256 of some bytes. */
  public static Digest of(byte[] content) {
    return sha256(newSha256().digest(content));
  }

  public static MessageDigest newSha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("the JDK has no SHA-256", e);
    }
  }

  /** First 12 hex characters, as image IDs are shown. */
  public String shortHex() {
    return hex.substring(0, 12);
  }

  @Override
  public String toString() {
    return algorithm + ":" + hex;
  }

  @Override
  public int compareTo(Digest o) {
    return toString().compareTo(o.toString());
  }
}
