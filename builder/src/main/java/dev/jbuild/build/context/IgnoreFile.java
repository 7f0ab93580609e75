package dev.jbuild.build.context;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Finding and reading a {@code .dockerignore} file, as BuildKit's dockerui and moby's {@code
 * ignorefile.ReadAll} do.
 */
public final class IgnoreFile {

  /** The name of the context's own ignore file. */
  public static final String NAME = ".dockerignore";

  private IgnoreFile() {}

  /**
   * The ignore file that applies: {@code <Dockerfile path>.dockerignore} beside the
   * Dockerfile when it exists (it replaces, not extends, the root one), else {@code
   * <context>/.dockerignore}, else none. Ignore files in subdirectories never count.
   *
   * @param dockerfile the Dockerfile on disk, or null when it comes from elsewhere (stdin)
   */
  public static Optional<Path> locate(Path contextDir, Path dockerfile) {
    if (dockerfile != null) {
      Path specific = dockerfile.resolveSibling(dockerfile.getFileName() + NAME);
      if (Files.isRegularFile(specific)) {
        return Optional.of(specific);
      }
    }
    Path root = contextDir.resolve(NAME);
    return Files.isRegularFile(root) ? Optional.of(root) : Optional.empty();
  }

  /**
   * Reads the patterns of an ignore file (see {@link #parse(byte[])}); a missing file has
   * none.
   *
   * @throws ContextException when the file cannot be read
   */
  public static List<String> read(Path file) {
    try {
      return parse(Files.readAllBytes(file));
    } catch (NoSuchFileException e) {
      return List.of();
    } catch (IOException e) {
      throw new ContextException("cannot read " + file + ": " + e.getMessage(), e);
    }
  }

  /** Reads patterns from a stream, closing nothing. */
  public static List<String> parse(InputStream in) throws IOException {
    ByteArrayOutputStream buffer = new ByteArrayOutputStream();
    in.transferTo(buffer);
    return parse(buffer.toByteArray());
  }

  /**
   * Parses ignore-file content exactly as {@code ignorefile.ReadAll}: a UTF-8 BOM is dropped;
   * lines split at LF with a trailing CR removed; a line is a comment only when {@code #} is
   * its first byte; then whitespace is trimmed, empty lines skipped, a leading {@code !}
   * noted and the rest trimmed again, cleaned ({@code path.Clean}) and stripped of one
   * leading {@code /}. A lone {@code !} is kept as {@code "!"} (the matcher rejects it).
   */
  public static List<String> parse(byte[] content) {
    int start = 0;
    if (content.length >= 3
        && (content[0] & 0xff) == 0xEF
        && (content[1] & 0xff) == 0xBB
        && (content[2] & 0xff) == 0xBF) {
      start = 3;
    }
    List<String> patterns = new ArrayList<>();
    int i = start;
    while (i < content.length) {
      int end = i;
      while (end < content.length && content[end] != '\n') {
        end++;
      }
      int next = end + 1;
      if (end > i && content[end - 1] == '\r') {
        end--;
      }
      String line = new String(content, i, end - i, StandardCharsets.UTF_8);
      i = next;
      if (line.startsWith("#")) {
        continue;
      }
      String pattern = PatternMatcher.trimSpace(line);
      if (pattern.isEmpty()) {
        continue;
      }
      boolean invert = pattern.charAt(0) == '!';
      if (invert) {
        pattern = PatternMatcher.trimSpace(pattern.substring(1));
      }
      if (!pattern.isEmpty()) {
        pattern = SlashPath.clean(pattern);
        if (pattern.length() > 1 && pattern.charAt(0) == '/') {
          pattern = pattern.substring(1);
        }
      }
      patterns.add(invert ? "!" + pattern : pattern);
    }
    return List.copyOf(patterns);
  }

  /**
   * Locates, reads and compiles the ignore patterns of a context.
   *
   * @throws ContextException when the file is unreadable or holds a bad pattern; the message
   *     names the file
   */
  public static PatternMatcher load(Path contextDir, Path dockerfile) {
    Optional<Path> file = locate(contextDir, dockerfile);
    if (file.isEmpty()) {
      return PatternMatcher.EMPTY;
    }
    try {
      return PatternMatcher.compile(read(file.get()));
    } catch (BadPatternException e) {
      throw new BadPatternException(e.pattern(), file.get() + ": " + e.getMessage());
    }
  }
}
