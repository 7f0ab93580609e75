package dev.jbuild.dockerfile;

import dev.jbuild.dockerfile.internal.SyntaxParser;
import dev.jbuild.dockerfile.syntax.SyntaxTree;
import java.util.Objects;

/** Entry points of the grammar module. */
public final class Dockerfiles {

  private Dockerfiles() {}

  /**
   * Parses a Dockerfile into BuildKit's raw line tree (spec §1): directives, comments,
   * continuation lines, flags, argument shapes and heredocs. Nothing is expanded or validated
   * beyond what BuildKit's own line parser rejects.
   *
   * @param fileName the name used in spans and messages
   * @param content the file's bytes (UTF-8; a BOM is allowed)
   * @throws DockerfileException where BuildKit's parser fails, positioned
   */
  public static SyntaxTree parseSyntax(String fileName, byte[] content) {
    Objects.requireNonNull(fileName, "fileName");
    Objects.requireNonNull(content, "content");
    return SyntaxParser.parse(fileName, content);
  }
}
