package dev.jbuild.build.cli;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The Dockerfile a command reads: {@code -f FILE} (relative to the working directory), else
 * {@code CONTEXT/Dockerfile}, else {@code CONTEXT/dockerfile} as docker accepts it.
 *
 * @param path where it is, as the user would name it (used in messages and spans)
 * @param context the build context directory
 * @param content the bytes
 */
record DockerfileInput(Path path, Path context, byte[] content) {

  /** A Dockerfile or context that cannot be read; the message says which and why. */
  static final class Unreadable extends Exception {
    private static final long serialVersionUID = 1L;

    Unreadable(String message) {
      super(message);
    }
  }

  static DockerfileInput read(Path file, Path context) throws Unreadable {
    Path ctx = context.normalize();
    if (!Files.isDirectory(ctx)) {
      throw new Unreadable("context directory " + display(ctx) + " does not exist or is not a directory");
    }
    Path chosen = file;
    if (chosen == null) {
      chosen = ctx.resolve("Dockerfile").normalize();
      Path lower = ctx.resolve("dockerfile").normalize();
      if (!Files.exists(chosen) && Files.exists(lower)) {
        chosen = lower;
      }
    }
    try {
      return new DockerfileInput(chosen, ctx, Files.readAllBytes(chosen));
    } catch (NoSuchFileException e) {
      throw new Unreadable("cannot read " + display(chosen) + ": no such file (name one with -f FILE)");
    } catch (IOException e) {
      throw new Unreadable("cannot read " + display(chosen) + ": " + e.getMessage());
    }
  }

  /** The name used in diagnostics. */
  String name() {
    return display(path);
  }

  /** The file's lines, for rendering diagnostics with their source line. */
  List<String> lines() {
    String s = new String(content, StandardCharsets.UTF_8);
    if (s.startsWith("\uFEFF")) {
      s = s.substring(1);
    }
    List<String> out = new ArrayList<>();
    for (String line : s.split("\n", -1)) {
      out.add(line.endsWith("\r") ? line.substring(0, line.length() - 1) : line);
    }
    return out;
  }

  private static String display(Path p) {
    String s = p.toString();
    return s.isEmpty() ? "." : s;
  }
}
