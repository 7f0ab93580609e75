package dev.jbuild.build.cli;

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
  private static final int SINGLE = 1;
  private static final int LIST = 2;

  /** Option name to {@code {kind, field}}; the fields are {@link #set}'s. */
  private static final Map<String, int[]> OPTIONS = Map.ofEntries(
      Map.entry("-t", new int[] {LIST, 0}), Map.entry("--tag", new int[] {LIST, 0}),
      Map.entry("-f", new int[] {SINGLE, 1}), Map.entry("--file", new int[] {SINGLE, 1}),
      Map.entry("--build-arg", new int[] {LIST, 2}),
      Map.entry("--target", new int[] {SINGLE, 3}),
      Map.entry("--platform", new int[] {LIST, 4}),
      Map.entry("--pull", new int[] {SINGLE, 5}),
      Map.entry("--no-cache", new int[] {FLAG, 6}),
      Map.entry("--label", new int[] {LIST, 7}),
      Map.entry("--secret", new int[] {LIST, 8}),
      Map.entry("--ssh", new int[] {LIST, 9}),
      Map.entry("--push", new int[] {FLAG, 10}),
      Map.entry("-o", new int[] {LIST, 11}), Map.entry("--output", new int[] {LIST, 11}),
      Map.entry("--iidfile", new int[] {SINGLE, 12}),
      Map.entry("--metadata-file", new int[] {SINGLE, 13}),
      Map.entry("--progress", new int[] {SINGLE, 14}),
      Map.entry("-q", new int[] {FLAG, 15}), Map.entry("--quiet", new int[] {FLAG, 15}),
      Map.entry("--registry-mirror", new int[] {LIST, 16}),
      Map.entry("--insecure-registry", new int[] {LIST, 17}),
      Map.entry("--compression", new int[] {SINGLE, 18}),
      Map.entry("--snapshotter", new int[] {SINGLE, 19}),
      Map.entry("--root", new int[] {SINGLE, 20}));

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
      int field = option[1];
      if (kind != LIST && !seen.add(field)) {
        return false; // picocli refuses a single-valued option or flag given twice
      }
      if (kind == FLAG) {
        if (eq >= 0) {
          return false; // --flag=true|false
        }
        set(c, field, null);
        continue;
      }
      String value;
      if (eq >= 0) {
        value = word.substring(eq + 1);
      } else if (field == 5 || i + 1 == line.length) {
        return false; // --pull takes a value only after "=" here (its value is optional)
      } else {
        value = line[++i];
      }
      if (value.isEmpty() || value.startsWith("-") && !value.equals("-")
          || value.startsWith("@") || !set(c, field, value)) {
        return false;
      }
    }
    return c.context != null;
  }

  /** Sets or adds {@code value}; false when it is not one this class takes. */
  private static boolean set(BuildCommand c, int field, String value) {
    switch (field) {
      case 0: return c.tags.add(value);
      case 1: c.file = path(value); return c.file != null;
      case 2: return c.buildArgs.add(value);
      case 3: c.target = value; return true;
      case 4: return platforms(c.platforms, value);
      case 5: c.pull = value; return true;
      case 6: c.noCache = true; return true;
      case 7: return c.labels.add(value);
      case 8: return c.secrets.add(value);
      case 9: return c.ssh.add(value);
      case 10: c.push = true; return true;
      case 11: return c.outputs.add(value);
      case 12: c.iidFile = path(value); return c.iidFile != null;
      case 13: c.metadataFile = path(value); return c.metadataFile != null;
      case 14: c.progress = value; return true;
      case 15: c.quiet = true; return true;
      case 16: return c.mirrors.add(value);
      case 17: return c.insecure.add(value);
      case 18: c.compression = value; return true;
      case 19: c.snapshotter = value; return true;
      case 20: c.root = path(value); return c.root != null;
      default: throw new IllegalStateException("field " + field);
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
