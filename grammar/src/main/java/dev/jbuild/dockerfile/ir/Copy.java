package dev.jbuild.dockerfile.ir;

import dev.jbuild.dockerfile.SourceSpan;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * {@code COPY [--from=…] [--chown=…] [--chmod=…] [--link] [--parents] [--exclude=…]… <src>…
 * <dest>}. Empty flag values count as not given, as in BuildKit.
 *
 * @param sources in order, at least one
 * @param destination the last word, unexpanded
 * @param from a stage name or index, an image or a named context; never expanded
 * @param excludes {@code .dockerignore}-style patterns, never expanded
 */
public record Copy(
    SourceSpan span,
    List<CopySource> sources,
    String destination,
    Optional<String> from,
    Optional<String> chown,
    Optional<String> chmod,
    boolean link,
    boolean parents,
    List<String> excludes)
    implements Instruction {

  public Copy {
    Objects.requireNonNull(span, "span");
    sources = List.copyOf(sources);
    Objects.requireNonNull(destination, "destination");
    Objects.requireNonNull(from, "from");
    Objects.requireNonNull(chown, "chown");
    Objects.requireNonNull(chmod, "chmod");
    excludes = List.copyOf(excludes);
    if (sources.isEmpty()) {
      throw new IllegalArgumentException("COPY needs a source");
    }
  }

  @Override
  public String keyword() {
    return "COPY";
  }

  @Override
  public <R> R accept(InstructionVisitor<R> visitor) {
    return visitor.visitCopy(this);
  }
}
