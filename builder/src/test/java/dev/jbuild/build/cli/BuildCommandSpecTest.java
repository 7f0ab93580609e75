package dev.jbuild.build.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.lang.reflect.Field;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;
import picocli.CommandLine.Model.ArgSpec;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Model.PositionalParamSpec;

class BuildCommandSpecTest {

  /** Command lines after "build": the ones picocli accepts and a few it refuses. */
  private static final List<String> LINES =
      List.of(
          ".",
          "-",
          "-t a:1 .",
          "-t a -t b --tag=c -tx --tag d .",
          "-qt x .",
          "-q -t x ctx",
          "--platform linux/amd64,linux/arm64 --platform linux/s390x .",
          "--pull always .",
          "--pull=never .",
          "--pull -t x .",
          "--pull .",
          "--no-cache --push -q .",
          "-f Dockerfile.x --iidfile /tmp/i --metadata-file m.json .",
          "--file=- .",
          "--build-arg A=1 --build-arg B .",
          "--label a=b --secret id=x,src=f --ssh default -o type=oci,dest=x.tar --output=type=registry .",
          "--progress plain --registry-mirror docker.io=h:5000 --insecure-registry h:5000 .",
          "--compression zstd --snapshotter copy --root /r --target t .",
          "-- -weird",
          ". -t after",
          // refused by picocli, or help: the annotated tree must handle these
          "",
          ". extra",
          "--bogus .",
          "-t",
          "-t -q .",
          "--no-cache=maybe .",
          "--quiet=false .",
          "-h",
          "--help",
          "-V",
          "--version .",
          "-t x -h .",
          "-qh .",
          "-z .");

  private static String[] words(String line) {
    return line.isEmpty() ? new String[0] : line.split(" ");
  }

  /**
   * What a model parses a line into: the option and parameter fields, or the class of the
   * exception, plus whether help or the version was asked for.
   */
  private static Map<String, Object> parse(String line, boolean annotated) throws Exception {
    BuildCommand c = new BuildCommand();
    BuildCommandSpec.Help help = new BuildCommandSpec.Help();
    CommandLine cli =
        annotated ? new CommandLine(c) : new CommandLine(BuildCommandSpec.model(c, help));
    Map<String, Object> out = new LinkedHashMap<>();
    try {
      CommandLine.ParseResult r = cli.parseArgs(words(line));
      out.put("help", annotated ? r.isUsageHelpRequested() || r.isVersionHelpRequested() : help.asked);
    } catch (CommandLine.ParameterException e) {
      out.put("refused", e.getClass().getSimpleName());
      return out;
    }
    return withFields(out, c);
  }

  /** {@code out} with the option and parameter fields of {@code c} added. */
  private static Map<String, Object> withFields(Map<String, Object> out, BuildCommand c)
      throws IllegalAccessException {
    for (Field f : BuildCommand.class.getDeclaredFields()) {
      if (f.isAnnotationPresent(CommandLine.Option.class)
          || f.isAnnotationPresent(CommandLine.Parameters.class)) {
        f.setAccessible(true);
        out.put(f.getName(), f.get(c));
      }
    }
    return out;
  }

  @Test
  void parsesEveryLineIntoWhatTheAnnotationsParseItInto() throws Exception {
    for (String line : LINES) {
      assertThat(parse(line, false)).as(line).isEqualTo(parse(line, true));
    }
    assertThat(parse("-t a -t b --tag=c -tx .", false)).containsEntry("tags", List.of("a", "b", "c", "x"));
    assertThat(parse("--pull -t x .", false)).containsEntry("pull", "always");
    assertThat(parse("-h", false)).containsEntry("help", true);
    assertThat(parse("--bogus .", false)).containsKey("refused");
  }

  /** Lines only the plain reader's refusals are about (picocli takes or refuses them itself). */
  private static final List<String> ODD_LINES =
      List.of(
          "@args .",
          ". @args",
          "-t @x .",
          "--target a --target b .",
          "-q -q .",
          "--push --push .",
          "--platform a,,b .",
          "--platform a, .",
          "--platform 'a,b' .",
          "--label= .",
          "-f=x .",
          "-fx .",
          "-t=x .",
          "--pull never .",
          "--pull",
          "-t x",
          "-t - .",
          "-f - .",
          "--iidfile - .",
          "--build-arg -x .",
          "-o type=oci,dest=- .",
          "--root /r --root /s .",
          "--no-cache=true .",
          ". -",
          "- .",
          "-- .",
          "--progress=plain --iidfile=/tmp/i -t=x .");

  /** Command lines the plain reader must take, as builds are usually started. */
  private static final List<String> PLAIN_LINES =
      List.of(
          ".",
          "-",
          "-t app:1 .",
          "-t a -t b --tag=c --tag d .",
          "-q -t x ctx",
          "--root /r --progress plain --iidfile /tmp/i -t bench/x:jbuild /ctx",
          "--root /r --progress plain --push --insecure-registry 127.0.0.1:5000 -t h/x ctx",
          "--platform linux/amd64,linux/arm64 --platform linux/s390x .",
          "--pull=never .",
          "--pull=always -f Dockerfile.x --no-cache .",
          "-f - .",
          "--build-arg A=1 --build-arg B --label a=b --secret id=x,src=f --ssh default .",
          "-o type=oci,dest=x.tar --output=type=registry --metadata-file m.json .",
          "--registry-mirror docker.io=h:5000 --compression zstd --snapshotter copy --target t .",
          ". -t after");

  /** What the plain reader reads a line into, as {@link #parse} gives it; null if it refuses. */
  private static Map<String, Object> parsePlain(String line) throws Exception {
    BuildCommand c = new BuildCommand();
    if (!PlainBuildLine.read(words(line), c)) {
      return null;
    }
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("help", false);
    return withFields(out, c);
  }

  @Test
  void thePlainReaderReadsWhatTheAnnotationsReadOrLeavesTheLine() throws Exception {
    List<String> all = new ArrayList<>(LINES);
    all.addAll(ODD_LINES);
    all.addAll(PLAIN_LINES);
    int taken = 0;
    for (String line : all) {
      Map<String, Object> plain = parsePlain(line);
      if (plain != null) {
        taken++;
        assertThat(plain).as(line).isEqualTo(parse(line, true));
      }
    }
    for (String line : PLAIN_LINES) {
      assertThat(parsePlain(line)).as(line).isNotNull();
    }
    assertThat(parsePlain("-t a -t b --tag=c --tag d .")).containsEntry("tags", List.of("a", "b", "c", "d"));
    assertThat(taken).isGreaterThanOrEqualTo(PLAIN_LINES.size());
  }

  /** An option added to BuildCommand and not here would fail this (its lines would still run). */
  @Test
  void hasEveryOptionOfTheAnnotatedModelWithTheSameParsing() {
    CommandSpec annotated = new CommandLine(new BuildCommand()).getCommandSpec();
    CommandSpec written =
        BuildCommandSpec.model(new BuildCommand(), new BuildCommandSpec.Help());
    List<String> names = new ArrayList<>();
    for (OptionSpec o : annotated.options()) {
      names.addAll(Arrays.asList(o.names()));
      OptionSpec w = written.findOption(o.longestName());
      assertThat(w).as(o.longestName()).isNotNull();
      assertThat(Arrays.asList(w.names())).isEqualTo(Arrays.asList(o.names()));
      assertThat(w.usageHelp()).isEqualTo(o.usageHelp());
      assertThat(w.versionHelp()).isEqualTo(o.versionHelp());
      assertSameParsing(w, o);
    }
    assertThat(written.options()).hasSameSizeAs(annotated.options());
    assertThat(BuildCommandSpec.NAMES).containsExactlyInAnyOrderElementsOf(names);
    assertThat(written.positionalParameters()).hasSameSizeAs(annotated.positionalParameters());
    for (int i = 0; i < annotated.positionalParameters().size(); i++) {
      PositionalParamSpec a = annotated.positionalParameters().get(i);
      PositionalParamSpec w = written.positionalParameters().get(i);
      assertThat(w.index()).isEqualTo(a.index());
      assertSameParsing(w, a);
    }
  }

  private static void assertSameParsing(ArgSpec w, ArgSpec a) {
    String what = a.paramLabel();
    assertThat(w.type()).as(what).isEqualTo(a.type());
    assertThat(w.auxiliaryTypes()).as(what).isEqualTo(a.auxiliaryTypes());
    assertThat(w.arity()).as(what).isEqualTo(a.arity());
    assertThat(w.splitRegex()).as(what).isEqualTo(a.splitRegex());
    assertThat(w.defaultValue()).as(what).isEqualTo(a.defaultValue());
    assertThat(w.required()).as(what).isEqualTo(a.required());
    if (w instanceof OptionSpec) {
      assertThat(((OptionSpec) w).fallbackValue()).as(what).isEqualTo(((OptionSpec) a).fallbackValue());
    }
  }

  @Test
  void buildIsImpliedExactlyWhenMainImpliesIt() {
    CommandLine tree = Main.commandLine(System.out, System.err, "build");
    for (String line : List.of("-t x .", "--tag=x .", "-tx .", ". -t x", "-", "-qt x .",
        "build -t x .", "--bogus .", "-z .", "-h", "--version", "-V", "--help", "--root=/r .")) {
      String[] args = words(line);
      String[] fast = BuildCommandSpec.buildArguments(args);
      String[] tree2 = Main.withDefaultCommand(tree, args);
      boolean implied = tree2.length > 0 && tree2[0].equals("build");
      boolean helpOrVersion = List.of("-h", "--help", "-V", "--version").contains(args[0]);
      if (implied && !helpOrVersion) {
        assertThat(fast).as(line).isEqualTo(Arrays.copyOfRange(tree2, 1, tree2.length));
      } else {
        assertThat(fast).as(line).isNull();
      }
    }
  }

  /** Usage errors and help print what the annotated tree prints, with its exit code. */
  @Test
  void leavesHelpAndUsageErrorsToTheAnnotatedTree() {
    for (String line : List.of("--bogus .", "build --bogus .", "-t", "build", "build . extra",
        "build -h", "build --version", "-t x -h .", "build --no-cache=maybe .")) {
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      ByteArrayOutputStream err = new ByteArrayOutputStream();
      int code =
          Main.run(
              words(line),
              new PrintStream(out, true, StandardCharsets.UTF_8),
              new PrintStream(err, true, StandardCharsets.UTF_8));
      ByteArrayOutputStream treeOut = new ByteArrayOutputStream();
      ByteArrayOutputStream treeErr = new ByteArrayOutputStream();
      CommandLine tree =
          Main.commandLine(
              new PrintStream(treeOut, true, StandardCharsets.UTF_8),
              new PrintStream(treeErr, true, StandardCharsets.UTF_8),
              null);
      int treeCode = tree.execute(Main.withDefaultCommand(tree, words(line)));
      assertThat(code).as(line).isEqualTo(treeCode);
      assertThat(out.toString(StandardCharsets.UTF_8))
          .as(line)
          .isEqualTo(treeOut.toString(StandardCharsets.UTF_8));
      assertThat(err.toString(StandardCharsets.UTF_8))
          .as(line)
          .isEqualTo(treeErr.toString(StandardCharsets.UTF_8));
    }
  }
}
