package dev.jbuild.oci;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Objects;
import java.util.function.BooleanSupplier;
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

  /**
   * Has the JIT compile SHA-256 down to its CPU intrinsic before a large digest needs it, on a
   * thread that has nothing else to do. Until then the compression function runs as plain Java
   * (~85 MB/s in a fresh JVM, 2.5 GB/s after). The intrinsic replaces the compression calls only
   * inside compiled callers, so what must get hot is {@code update} itself: 64,000 calls (C2
   * takes a method after 20,000 calls in C1 code under the launcher's CompileThresholdScaling=4;
   * 24,000 fell short on a loaded machine), nearly all of one byte (cheap: the byte only lands in
   * the digest's buffer), one in 64 long enough for the multi-block path, one in 256 of none
   * (streams pass empty writes on: without them the compiled update was thrown away at the first
   * empty one, its {@code len == 0} branch never taken, and compiled again, LogCompilation), and
   * a fresh digest now and then, or the same one again after its {@code digest()} (code compiled
   * from a profile that never saw a branch is thrown away when it is taken: a digest used again
   * threw the compiled update away in the worker, its reset branch never taken, LogCompilation
   * {@code unstable_if} at {@code bytesProcessed < 0}). A cold JVM took 130-480 ms for a 3.5 MB digest; after this, 2.5 ms.
   *
   * <p>SHA-1 is loaded first. While SHA-256 is the JDK's only digest class loaded, C2 compiles
   * {@code update} on that assumption, and the first SHA-1 class loaded later throws it away:
   * the sandbox worker loads one with its first {@code UUID.randomUUID()} (a {@code
   * SecureRandom}), at its first layer extraction, which then hashed its 3.4 MB as plain Java
   * (the noop-rebuild case: LogCompilation {@code dependency_failed ... witness='SHA'}, then
   * {@code make_not_entrant} of the compiled update, 25-30 ms more per step).
   *
   * @param stop asked before each update: the warm-up ends early when it says true
   * @return how many of the 64,000 updates were made
   */
  public static int warmUpSha256(BooleanSupplier stop) {
    try {
      MessageDigest.getInstance("SHA-1");
    } catch (NoSuchAlgorithmException e) {
      // no SHA-1 here: then nothing loads it later either
    }
    byte[] bytes = new byte[256];
    MessageDigest md = newSha256();
    int i = 0;
    for (; i < 64_000 && !stop.getAsBoolean(); i++) {
      if (i % 4_000 == 0) {
        md.digest();
        if (i % 8_000 == 0) {
          md = newSha256();
        } // else the same one goes on: its first update resets it, a branch of its own
      }
      md.update(bytes, i & 7, (i & 63) == 0 ? 130 : (i & 255) == 1 ? 0 : 1);
    }
    md.digest();
    return i;
  }

  /** First 12 hex characters, as image IDs are shown. */
  public String shortHex() {
    return hex.substring(0, 12);
  }

  @Override
  public String toString() {
    return algorithm + ":" + hex;
  }

  // equals and hashCode written out, with the values the record's generated ones have: those
  // are bootstrapped through method handles at their first call (java.lang.runtime.ObjectMethods,
  // 18 spun classes), 10-13 ms of the sandbox worker's first step, after its snapshot

  @Override
  public boolean equals(Object o) {
    return o instanceof Digest && hex.equals(((Digest) o).hex)
        && algorithm.equals(((Digest) o).algorithm);
  }

  @Override
  public int hashCode() {
    return 31 * algorithm.hashCode() + hex.hashCode();
  }

  @Override
  public int compareTo(Digest o) {
    return toString().compareTo(o.toString());
  }
}
