package dev.jbuild.dockerfile.ir;

import dev.jbuild.dockerfile.SourceSpan;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * {@code ADD [--chown=…] [--chmod=…] [--link] [--exclude=…]… [--keep-git-dir] [--checksum=…]
 * [--unpack] <src>… <dest>}. ADD has no {@code --from} and no {@code --parents}.
 *
 * @param sources in order, at least one: local paths, URLs, git references or heredocs
 * @param checksum {@code sha256:…} for URLs, a commit prefix for git
 * @param unpack {@code --unpack}; empty when not given (local archives are unpacked, URLs not)
 */
public record Add(
    SourceSpan span,
    List<CopySource> sources,
    String destination,
    Optional<String> chown,
    Optional<String> chmod,
    boolean link,
    List<String> excludes,
    boolean keepGitDir,
    Optional<String> checksum,
    Optional<Boolean> unpack)
    implements Instruction {

  public Add {
    Objects.requireNonNull(span, "span");
    sources = List.copyOf(sources);
    Objects.requireNonNull(destination, "destination");
    Objects.requireNonNull(chown, "chown");
    Objects.requireNonNull(chmod, "chmod");
    excludes = List.copyOf(excludes);
    Objects.requireNonNull(checksum, "checksum");
    Objects.requireNonNull(unpack, "unpack");
    if (sources.isEmpty()) {
      throw new IllegalArgumentException("ADD needs a source");
    }
  }

  @Override
  public String keyword() {
    return "ADD";
  }

  @Override
  public <R> R accept(InstructionVisitor<R> visitor) {
    return visitor.visitAdd(this);
  }
}
