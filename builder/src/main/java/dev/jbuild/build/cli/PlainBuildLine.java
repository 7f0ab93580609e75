package dev.jbuild.build.cli;

import dev.jbuild.build.cli.BuildCommandSpec.Field;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Reads the plain build command lines, the ones a person or a CI script writes ({@code -t app:1
 * --build-arg V=2 --progress plain ctx}), into a {@link BuildCommand} without picocli: building
 * picocli's model and its converters took 50-100 ms of every build before its first step, even
 * from the model written in code ({@link BuildCommandSpec}), on the path every build waits for.
 *
 * <p>It takes only forms whose meaning is beyond doubt: an option name as a word of its own, its
 * value as the next word or after {@code =}, a value that does not start with {@code -} (but may
 * be {@code -}), each single-valued option and flag at most once, exactly one CONTEXT. Anything
 * else (clustered or attached short options, {@code --}, {@code @files}, help, {@code --pull}
 * without {@code =}, empty values, an unknown option, a second CONTEXT) is left to picocli,
 * which parses it or prints its usage error as it always did. {@code BuildCommandSpecTest}
 * holds the two to the same fields for every line this class takes.
 */
final class PlainBuildLine {
  private static final int FLAG = 0;
  private static final int STRING = 1;
  private static final int PATH = 2;
  private static final int LIST = 3;
  /** {@code --platform}: a list whose values are split at commas. */
  private static final int SPLIT_LIST = 4;

  /** Option name to {@code {kind, field}}, the fields those of {@link BuildCommandSpec.Field}. */
  private static final Map<String, int[]> OPTIONS = Map.ofEntries(
      option("-t", LIST, Field.TAGS), option("--tag", LIST, Field.TAGS),
      option("-f", PATH, Field.FILE), option("--file", PATH, Field.FILE),
      option("--build-arg", LIST, Field.BUILD_ARGS),
      option("--target", STRING, Field.TARGET),
      option("--platform", SPLIT_LIST, Field.PLATFORMS),
      option("--pull", STRING, Field.PULL),
      option("--no-cache", FLAG, Field.NO_CACHE),
      option("--label", LIST, Field.LABELS),
      option("--secret", LIST, Field.SECRETS),
      option("--ssh", LIST, Field.SSH),
      option("--push", FLAG, Field.PUSH),
      option("-o", LIST, Field.OUTPUTS), option("--output", LIST, Field.OUTPUTS),
      option("--iidfile", PATH, Field.IID_FILE),
      option("--metadata-file", PATH, Field.METADATA_FILE),
      option("--progress", STRING, Field.PROGRESS),
      option("-q", FLAG, Field.QUIET), option("--quiet", FLAG, Field.QUIET),
      option("--registry-mirror", LIST, Field.MIRRORS),
      option("--insecure-registry", LIST, Field.INSECURE),
      option("--compression", STRING, Field.COMPRESSION),
      option("--snapshotter", STRING, Field.SNAPSHOTTER),
      option("--root", PATH, Field.ROOT));

  private static Map.Entry<String, int[]> option(String name, int kind, int field) {
    return Map.entry(name, new int[] {kind, field});
  }

  private PlainBuildLine() {}

  /**
   * Reads {@code line} (the words after {@code build}) into {@code c}; false when the line is
   * not one of the plain forms, and {@code c} is then to be thrown away.
   */
  static boolean read(String[] line, BuildCommand c) {
    Set<Integer> seen = new HashSet<>();
    for (int i = 0; i < line.length; i++) {
      String word = line[i];
      if (word.startsWith("@")) {
        return false; // picocli reads arguments from that file
      }
      if (word.equals("-") || !word.startsWith("-")) {
        if (c.context != null) {
          return false;
        }
        c.context = word;
        continue;
      }
      int eq = word.startsWith("--") ? word.indexOf('=') : -1;
      String name = eq < 0 ? word : word.substring(0, eq);
      int[] option = OPTIONS.get(name);
      if (option == null) {
        return false;
      }
      int kind = option[0];
      Field field = new Field(c, null, option[1]);
      if (kind != LIST && kind != SPLIT_LIST && !seen.add(option[1])) {
        return false; // picocli refuses a single-valued option or flag given twice
      }
      if (kind == FLAG) {
        if (eq >= 0) {
          return false; // --flag=true|false
        }
        field.set(Boolean.TRUE);
        continue;
      }
      String value;
      if (eq >= 0) {
        value = word.substring(eq + 1);
      } else if (option[1] == Field.PULL || i + 1 == line.length) {
        return false; // --pull takes a value only after "=" here (its value is optional)
      } else {
        value = line[++i];
      }
      if (value.isEmpty() || value.startsWith("-") && !value.equals("-")
          || value.startsWith("@") || !set(field, kind, value)) {
        return false;
      }
    }
    return c.context != null;
  }

  /** Sets or adds {@code value}; false when it is not one this class takes. */
  private static boolean set(Field field, int kind, String value) {
    switch (kind) {
      case STRING:
        field.set(value);
        return true;
      case PATH: {
        Path p = path(value);
        if (p == null) {
          return false;
        }
        field.set(p);
        return true;
      }
      case LIST:
        return field.<List<String>>get().add(value);
      case SPLIT_LIST:
        return platforms(field.get(), value);
      default:
        throw new IllegalStateException("kind " + kind);
    }
  }

  /** The path, or null when it is none (picocli reports that conversion error in its words). */
  private static Path path(String value) {
    try {
      return Path.of(value);
    } catch (InvalidPathException e) {
      return null;
    }
  }

  /** {@code --platform a,b}: split at commas, as picocli's split regex; no empty part, no quote. */
  private static boolean platforms(List<String> to, String value) {
    if (value.indexOf('"') >= 0 || value.indexOf('\'') >= 0) {
      return false; // picocli keeps quoted commas together
    }
    String[] parts = value.split(",", -1);
    for (String p : parts) {
      if (p.isEmpty()) {
        return false;
      }
    }
    to.addAll(List.of(parts));
    return true;
  }
}
