package dev.jbuild.dockerfile.ir;

import dev.jbuild.dockerfile.syntax.Heredoc;
import java.util.Objects;

/** One source of COPY or ADD: a path (or URL, git ref) word, or an inline here-document. */
public sealed interface CopySource permits CopySource.PathSource, CopySource.HeredocSource {

  /** A source word as written, unexpanded: a path, a wildcard, a URL or a git reference. */
  record PathSource(String path) implements CopySource {
    public PathSource {
      Objects.requireNonNull(path, "path");
    }
  }

  /**
   * {@code COPY <<EOF /dst}: a file named after the delimiter whose content is the body (mode
   * 0644). The body is expanded by the builder only when {@link Heredoc#expand()}.
   */
  record HeredocSource(Heredoc heredoc) implements CopySource {
    public HeredocSource {
      Objects.requireNonNull(heredoc, "heredoc");
    }
  }
}
