package dev.jbuild.dockerfile;

import static org.assertj.core.api.Assertions.assertThat;

import dev.jbuild.dockerfile.syntax.SyntaxNode;
import dev.jbuild.dockerfile.syntax.SyntaxTree;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Seeded mutations of every Dockerfile we have: whatever the bytes, {@code parseSyntax} either
 * returns a tree with valid spans or throws {@link DockerfileException} with valid spans.
 */
class ParserRobustnessTest {

  private static final long SEED = 0x6a6275696c64L;
  private static final int MUTATIONS = 20_000;

  /** Fragments that reach the interesting corners of the line parser. */
  private static final String[] FRAGMENTS = {
    "\\", "`", "\"", "'", "[", "]", "{", "}", ",", ":", "<<", "<<-", "<<'E'", "3<<", "EOF",
    "\n", "\r\n", "\r", "#", "# escape=`\n", "# escape=\\\n", "# syntax=x\n", "# check=a\n",
    "=", "$", "${", "${a:-", "}", " ", "\t", "\u00a0", "\u0085", "\u3000", "--", "--a=\"b",
    "RUN ", "COPY ", "ADD ", "ONBUILD ", "ENV ", "LABEL ", "ARG ", "HEALTHCHECK ", "CMD ",
    "FROM ", "\\\n", "`\n", "\\\n\n", "[\"a\"]", "[1]", "null", "\"\\u", "\\ud800", "\u0000",
  };

  @Test
  void onlyDockerfileExceptionsWithValidSpans() throws IOException {
    List<byte[]> corpus = corpus();
    assertThat(corpus).hasSizeGreaterThan(38);
    Random random = new Random(SEED);
    int failures = 0;
    for (int i = 0; i < MUTATIONS; i++) {
      byte[] base = corpus.get(random.nextInt(corpus.size()));
      byte[] input = mutate(base, random);
      int lines = lineCount(input);
      try {
        SyntaxTree tree = Dockerfiles.parseSyntax("Dockerfile", input);
        assertThat(tree.lines()).hasSize(lines);
        for (SyntaxNode n : tree.children()) {
          checkSpan(n.span(), lines, input);
          assertThat(n.span().endLine()).isLessThanOrEqualTo(Math.max(lines, 1));
        }
        for (Diagnostic d : tree.warnings()) {
          checkSpan(d.span(), lines, input);
        }
      } catch (DockerfileException e) {
        failures++;
        assertThat(e.diagnostics()).isNotEmpty();
        for (Diagnostic d : e.diagnostics()) {
          checkSpan(d.span(), lines, input);
          assertThat(d.message()).isNotBlank();
        }
      } catch (RuntimeException | StackOverflowError e) {
        throw new AssertionError("mutation " + i + " threw " + e + " for input (hex) "
            + HexFormat.of().formatHex(input, 0, Math.min(input.length, 4096)), e);
      }
    }
    // the mutations must reach both outcomes, or the test proves little
    assertThat(failures).isBetween(MUTATIONS / 50, MUTATIONS - MUTATIONS / 50);
  }

  private static void checkSpan(SourceSpan span, int lines, byte[] input) {
    assertThat(span.startLine())
        .as("span %s in %d lines", span, lines)
        .isBetween(1, lines + 1);
    assertThat(span.endLine()).isBetween(span.startLine(), lines + 1);
    assertThat(span.startColumn()).isGreaterThanOrEqualTo(1);
  }

  /** Physical lines as BuildKit's scanner counts them. */
  private static int lineCount(byte[] b) {
    int n = 0;
    for (byte x : b) {
      if (x == '\n') {
        n++;
      }
    }
    return b.length > 0 && b[b.length - 1] != '\n' ? n + 1 : n;
  }

  private static byte[] mutate(byte[] base, Random r) {
    byte[] out = base;
    int steps = 1 + r.nextInt(4);
    for (int s = 0; s < steps; s++) {
      out = mutateOnce(out, r);
    }
    return out;
  }

  private static byte[] mutateOnce(byte[] b, Random r) {
    int pos = b.length == 0 ? 0 : r.nextInt(b.length + 1);
    // the costly shapes (huge lines, deep continuations, deep JSON) are rarer
    int kind = r.nextInt(100);
    switch (kind < 30 ? 0 : kind < 45 ? 2 : kind < 60 ? 3 : kind < 65 ? 4 : kind < 75 ? 5
        : kind < 89 ? 6 : kind < 93 ? 10 : kind < 95 ? 7 : kind < 97 ? 8 : kind < 99 ? 9 : 11) {
      case 0: // insert a fragment
      case 1:
        return insert(b, pos, FRAGMENTS[r.nextInt(FRAGMENTS.length)].getBytes(StandardCharsets.UTF_8));
      case 2: { // delete a range
        if (b.length == 0) {
          return b;
        }
        int len = 1 + r.nextInt(Math.min(8, b.length - Math.min(pos, b.length - 1)));
        int from = Math.min(pos, b.length - 1);
        return concat(Arrays.copyOfRange(b, 0, from), Arrays.copyOfRange(b, Math.min(b.length, from + len), b.length));
      }
      case 3: { // duplicate a range
        if (b.length == 0) {
          return b;
        }
        int from = r.nextInt(b.length);
        int to = Math.min(b.length, from + 1 + r.nextInt(64));
        return insert(b, pos, Arrays.copyOfRange(b, from, to));
      }
      case 4: // truncate
        return Arrays.copyOf(b, pos);
      case 5: { // random bytes
        byte[] junk = new byte[1 + r.nextInt(16)];
        r.nextBytes(junk);
        return insert(b, pos, junk);
      }
      case 6: { // flip one byte
        if (b.length == 0) {
          return b;
        }
        byte[] c = b.clone();
        c[r.nextInt(c.length)] = (byte) r.nextInt(256);
        return c;
      }
      case 7: { // a huge line, around the 65535-byte limit
        int len = r.nextBoolean() ? 65535 - r.nextInt(3) : 65536 + r.nextInt(5000);
        byte[] line = new byte[len];
        Arrays.fill(line, (byte) (r.nextBoolean() ? 'x' : '['));
        return r.nextBoolean() ? insert(b, pos, line) : concat(line, b);
      }
      case 8: { // deep continuation
        String piece = r.nextBoolean() ? "a \\\n" : "\\\n";
        int n = r.nextInt(10) == 0 ? 3000 : 1 + r.nextInt(100);
        return insert(b, pos, ("RUN " + piece.repeat(n) + "x\n")
            .getBytes(StandardCharsets.UTF_8));
      }
      case 9: { // deep JSON
        int depth = r.nextInt(10) == 0 ? r.nextInt(12_000) : r.nextInt(300);
        String json = "[".repeat(depth) + (r.nextBoolean() ? "\"a\"" : "1") + "]".repeat(r.nextInt(depth + 1));
        return insert(b, pos, ("CMD " + json + "\n").getBytes(StandardCharsets.UTF_8));
      }
      case 11: { // deep ONBUILD chains and deeply nested substitutions
        int n = r.nextInt(10) == 0 ? 20_000 : r.nextInt(100);
        String text = r.nextBoolean()
            ? "ONBUILD \\\n".repeat(n) + "RUN <<EOF\nx\nEOF\n"
            : "RUN <<" + "${a:-\\\n".repeat(n) + "\"" + "}".repeat(r.nextInt(n + 1)) + "\n";
        return insert(b, pos, text.getBytes(StandardCharsets.UTF_8));
      }
      default: { // many heredocs on one line
        StringBuilder sb = new StringBuilder("COPY");
        int n = 1 + r.nextInt(20);
        for (int i = 0; i < n; i++) {
          sb.append(" <<H").append(i);
        }
        sb.append(" /d\n");
        for (int i = 0; i < n - r.nextInt(2); i++) {
          sb.append("body\nH").append(i).append('\n');
        }
        return insert(b, pos, sb.toString().getBytes(StandardCharsets.UTF_8));
      }
    }
  }

  private static byte[] insert(byte[] b, int pos, byte[] what) {
    pos = Math.min(pos, b.length);
    ByteArrayOutputStream out = new ByteArrayOutputStream(b.length + what.length);
    out.write(b, 0, pos);
    out.write(what, 0, what.length);
    out.write(b, pos, b.length - pos);
    return out.toByteArray();
  }

  private static byte[] concat(byte[] a, byte[] b) {
    return insert(a, a.length, b);
  }

  /** Every conformance Dockerfile plus every Dockerfile under testdata/. */
  static List<byte[]> corpus() throws IOException {
    Path parser = BuildKitParserConformanceTest.vectors();
    String testdata = System.getProperty("jbuild.testdata.dir");
    assertThat(testdata).as("system property jbuild.testdata.dir").isNotNull();
    List<Path> files = new ArrayList<>();
    for (Path root : List.of(parser, Path.of(testdata))) {
      try (Stream<Path> s = Files.walk(root)) {
        files.addAll(s.filter(Files::isRegularFile)
            .filter(p -> p.getFileName().toString().startsWith("Dockerfile"))
            .sorted()
            .collect(Collectors.toList()));
      }
    }
    List<byte[]> out = new ArrayList<>();
    for (Path p : files) {
      out.add(Files.readAllBytes(p));
    }
    return out;
  }
}
