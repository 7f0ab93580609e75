package dev.jbuild.dockerfile.instructions;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.jbuild.dockerfile.DockerfileException;
import dev.jbuild.dockerfile.SourceSpan;
import dev.jbuild.dockerfile.ir.Add;
import dev.jbuild.dockerfile.ir.CommandLine;
import dev.jbuild.dockerfile.ir.Copy;
import dev.jbuild.dockerfile.ir.CopySource;
import dev.jbuild.dockerfile.ir.Dockerfile;
import dev.jbuild.dockerfile.ir.Env;
import dev.jbuild.dockerfile.ir.Healthcheck;
import dev.jbuild.dockerfile.ir.Instruction;
import dev.jbuild.dockerfile.ir.IrPrinter;
import dev.jbuild.dockerfile.ir.MountType;
import dev.jbuild.dockerfile.ir.Onbuild;
import dev.jbuild.dockerfile.ir.Run;
import dev.jbuild.dockerfile.ir.Stage;
import dev.jbuild.dockerfile.syntax.Directives;
import dev.jbuild.dockerfile.syntax.Heredoc;
import dev.jbuild.dockerfile.syntax.SyntaxNode;
import dev.jbuild.dockerfile.syntax.SyntaxTree;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** The conversion on hand-made syntax nodes, independent of the line parser. */
class InstructionParserTest {

  private int line = 1;
  private final List<String> lines = new ArrayList<>();

  private SyntaxNode node(String keyword, List<String> flags, List<String> args, boolean json) {
    return node(keyword, flags, args, json, Optional.empty(), List.of(), List.of());
  }

  private SyntaxNode node(
      String keyword,
      List<String> flags,
      List<String> args,
      boolean json,
      Optional<SyntaxNode> nested,
      List<Heredoc> heredocs,
      List<String> comments) {
    String text = keyword + " " + String.join(" ", flags) + " " + String.join(" ", args);
    lines.add(text);
    SourceSpan span = SourceSpan.at("Dockerfile", line, 1);
    line++;
    return new SyntaxNode(
        keyword.toLowerCase(), keyword, text, flags, args, json, nested, heredocs, comments, span);
  }

  private Dockerfile convert(SyntaxNode... nodes) {
    return InstructionParser.convert(
        new SyntaxTree("Dockerfile", Directives.DEFAULT, List.of(nodes), List.of(), lines));
  }

  private Instruction single(SyntaxNode n) {
    Dockerfile d = convert(node("FROM", List.of(), List.of("alpine"), false), n);
    return d.stages().get(0).instructions().get(0);
  }

  @Test
  void globalArgsThenStagesWithIndexesAndDocComments() {
    Dockerfile d =
        convert(
            node("ARG", List.of(), List.of("V=1"), false),
            node("FROM", List.of("--platform=linux/arm64"), List.of("alpine", "AS", "Build"), false,
                Optional.empty(), List.of(), List.of("build compiles it")),
            node("RUN", List.of(), List.of("make"), false),
            node("FROM", List.of(), List.of("build"), false));
    assertThat(d.globalArgs()).hasSize(1);
    assertThat(d.stages()).extracting(Stage::index).containsExactly(0, 1);
    Stage build = d.stages().get(0);
    assertThat(build.name()).contains("build");
    assertThat(build.docComment()).contains("compiles it");
    assertThat(build.from().platform()).contains("linux/arm64");
    assertThat(d.stage("BUILD")).contains(build);
    assertThat(d.stage("1")).contains(d.stages().get(1));
    assertThat(d.stage("2")).isEmpty();
    assertThat(d.lastStage().name()).isEmpty();
  }

  @Test
  void tooManyKeyValueArgumentsIsBuildKitsMessage() {
    // Only a broken parser produces this shape; BuildKit still checks it.
    assertThatThrownBy(() -> single(node("ENV", List.of(), List.of("a", "b"), false)))
        .isInstanceOf(DockerfileException.class)
        .hasMessageEndingWith("Bad input to ENV, too many arguments");
    assertThatThrownBy(() -> single(node("LABEL", List.of(), List.of("", "b", "="), false)))
        .hasMessageEndingWith("LABEL names can not be blank");
  }

  @Test
  void envLegacyFormIsKept() {
    Env e = (Env) single(node("ENV", List.of(), List.of("K", "v w", ""), false));
    assertThat(e.legacyForm()).isTrue();
    assertThat(IrPrinter.print(e)).isEqualTo("ENV K v w");
    Env n = (Env) single(node("ENV", List.of(), List.of("a", "1", "=", "b", "\"2 3\"", "="), false));
    assertThat(n.legacyForm()).isFalse();
    assertThat(IrPrinter.print(n)).isEqualTo("ENV a=1 b=\"2 3\"");
  }

  @Test
  void heredocSourcesTakeTheLineHeredocsInOrder() {
    Heredoc a = new Heredoc("A", "one\n", true, false, 0);
    Heredoc b = new Heredoc("B", "two\n", false, true, 0);
    Copy c =
        (Copy)
            single(node("COPY", List.of(), List.of("<<A", "x", "<<-'B'", "/d/"), false, Optional.empty(),
                List.of(a, b), List.of()));
    assertThat(c.sources())
        .containsExactly(
            new CopySource.HeredocSource(a), new CopySource.PathSource("x"), new CopySource.HeredocSource(b));
    assertThat(IrPrinter.print(c)).isEqualTo("COPY <<A x <<-'B' /d/\none\nA\ntwo\nB");
  }

  @Test
  void aHeredocWordWithoutBodyIsAnEmptyFileAsInBuildKit() {
    Add a = (Add) single(node("ADD", List.of(), List.of("<<EOF", "/x"), true));
    assertThat(a.sources()).containsExactly(new CopySource.HeredocSource(new Heredoc("EOF", "", true, false, 0)));
  }

  @Test
  void runKeepsShellHeredocsAndTypedFlags() {
    Heredoc h = new Heredoc("EOF", "echo hi\n", true, false, 0);
    Run r =
        (Run)
            single(node("RUN", List.of("--mount=type=cache,target=/c", "--network=none"), List.of("<<EOF"), false,
                Optional.empty(), List.of(h), List.of()));
    assertThat(r.command()).isEqualTo(new CommandLine.ShellForm("<<EOF"));
    assertThat(r.heredocs()).containsExactly(h);
    assertThat(r.mounts()).singleElement().satisfies(m -> assertThat(m.type()).isEqualTo(MountType.CACHE));
    assertThat(IrPrinter.print(r)).isEqualTo("RUN --mount=type=cache,target=/c --network=none <<EOF\necho hi\nEOF");
  }

  @Test
  void onbuildParsesItsTrigger() {
    SyntaxNode trigger = node("RUN", List.of(), List.of("echo", "hi"), true);
    Onbuild o =
        (Onbuild)
            single(node("ONBUILD", List.of(), List.of(), false, Optional.of(trigger), List.of(), List.of()));
    assertThat(o.trigger()).isInstanceOf(Run.class);
    assertThat(IrPrinter.print(o)).isEqualTo("ONBUILD RUN [\"echo\", \"hi\"]");
  }

  @Test
  void healthcheckShellFormIsCmdShell() {
    Healthcheck h =
        (Healthcheck) single(node("HEALTHCHECK", List.of("--retries=+2"), List.of("cmd", "hello world"), false));
    assertThat(h.command()).contains(new CommandLine.ShellForm("hello world"));
    assertThat(h.retries()).isEqualTo(2);
    assertThat(h.interval()).isEqualTo(Duration.ZERO);
    assertThatThrownBy(() -> single(node("HEALTHCHECK", List.of("--retries=99999999999"), List.of("CMD", "x"), false)))
        .hasMessageEndingWith("strconv.ParseInt: parsing \"99999999999\": value out of range");
  }

  @Test
  void errorPositionPointsAtTheFlag() {
    try {
      single(node("COPY", List.of("--link", "--bogus=1"), List.of("a", "b"), false));
    } catch (DockerfileException e) {
      assertThat(e.primary().message()).isEqualTo("unknown flag: --bogus");
      // the COPY node was made first, so it is line 1
      assertThat(e.primary().span().startLine()).isEqualTo(1);
      assertThat(e.primary().span().startColumn()).isEqualTo(lines.get(0).indexOf("--bogus") + 1);
      return;
    }
    throw new AssertionError("no error");
  }
}
