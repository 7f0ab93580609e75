package dev.jbuild.cache;

import dev.jbuild.oci.Digest;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Objects;

/**
 * The build-cache key of one step: a sha256 over the key of the filesystem state the step
 * starts from, the instruction after expansion and the step's inputs (file contents for COPY,
 * env, user, workdir and shell for RUN, the base manifest for FROM). Every field is written
 * with its name and length, so no two different field lists hash alike.
 */
public record CacheKey(Digest digest) {

  /** Bumped when the meaning of a key changes, so old entries simply stop matching. */
  private static final String VERSION = "jbuild-build-cache-v1";

  public CacheKey {
    Objects.requireNonNull(digest, "digest");
  }

  /** Starts a key of the given kind (e.g. {@code FROM}, {@code COPY}). */
  public static Builder builder(String kind) {
    return new Builder(kind);
  }

  @Override
  public String toString() {
    return digest.toString();
  }

  /** Accumulates the fields of a key. */
  public static final class Builder {
    private final MessageDigest sha = Digest.newSha256();

    private Builder(String kind) {
      field("version", VERSION);
      field("kind", kind);
    }

    /** The key of the state this step starts from. */
    public Builder parent(CacheKey parent) {
      return field("parent", parent.digest().toString());
    }

    /** One named input; the order of calls matters. */
    public Builder field(String name, String value) {
      put(name);
      put(value);
      return this;
    }

    /** One named digest input. */
    public Builder field(String name, Digest value) {
      return field(name, value.toString());
    }

    private void put(String s) {
      byte[] b = s.getBytes(StandardCharsets.UTF_8);
      sha.update(Long.toString(b.length).getBytes(StandardCharsets.US_ASCII));
      sha.update((byte) ':');
      sha.update(b);
    }

    public CacheKey build() {
      return new CacheKey(Digest.sha256(sha.digest()));
    }
  }
}
