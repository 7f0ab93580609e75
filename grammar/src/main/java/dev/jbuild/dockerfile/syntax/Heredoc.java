package dev.jbuild.dockerfile.syntax;

import java.util.Objects;

/**
 * One here-document attached to a RUN, COPY or ADD line (spec §1.6).
 *
 * @param name the delimiter with quotes removed
 * @param content the body, newlines included, tabs already stripped when {@code chomp}
 * @param expand false when the delimiter was quoted in any way
 * @param chomp {@code <<-}: leading tabs stripped
 * @param fileDescriptor the fd prefix ({@code 3<<EOF}), 0 when absent
 */
public record Heredoc(String name, String content, boolean expand, boolean chomp, int fileDescriptor) {
  public Heredoc {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(content, "content");
  }
}
