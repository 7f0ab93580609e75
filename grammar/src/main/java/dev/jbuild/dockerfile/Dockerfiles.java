package dev.jbuild.dockerfile;

import dev.jbuild.dockerfile.instructions.InstructionParser;
import dev.jbuild.dockerfile.internal.SyntaxParser;
import dev.jbuild.dockerfile.ir.Dockerfile;
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

  /**
   * Parses and validates a Dockerfile into the typed IR: directives, global ARGs and stages,
   * every instruction and flag checked with BuildKit's rules and messages (spec §2). Words are
   * not expanded.
   *
   * @param fileName the name used in spans and messages
   * @param content the file's bytes (UTF-8; a BOM is allowed)
   * @throws DockerfileException at the first problem, positioned at the instruction (or the
   *     offending flag or word)
   */
  public static Dockerfile parse(String fileName, byte[] content) {
    return InstructionParser.convert(parseSyntax(fileName, content));
  }
}
