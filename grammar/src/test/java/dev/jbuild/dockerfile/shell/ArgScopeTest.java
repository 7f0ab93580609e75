package dev.jbuild.dockerfile.shell;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** ARG and ENV scoping, spec §2.6, §2.7 and checklist items 14 and 16–19. */
class ArgScopeTest {

  private static final ShellLexer LEXER = new ShellLexer('\\');
  private static final Platform AMD64 = Platform.of("linux", "amd64");
  private static final Platform ARMV7 = new Platform("linux", "arm", "v7", "");

  private static GlobalArgs global(String... buildArgs) {
    Map<String, String> values = new LinkedHashMap<>();
    for (int i = 0; i < buildArgs.length; i += 2) {
      values.put(buildArgs[i], buildArgs[i + 1]);
    }
    return GlobalArgs.start(new BuildArgs(values, AMD64, ARMV7, "final"), LEXER);
  }

  private static Optional<String> d(String word) {
    return Optional.of(word);
  }

  @Test
  void predefinedArgsDescribeThePlatforms() {
    Environment env = global().env();
    assertThat(env.toList())
        .containsExactly(
            "BUILDPLATFORM=linux/amd64",
            "BUILDOS=linux",
            "BUILDOSVERSION=",
            "BUILDARCH=amd64",
            "BUILDVARIANT=",
            "TARGETPLATFORM=linux/arm/v7",
            "TARGETOS=linux",
            "TARGETOSVERSION=",
            "TARGETARCH=arm",
            "TARGETVARIANT=v7",
            "TARGETSTAGE=final");
    assertThat(global("TARGETARCH", "riscv64").env().lookup("TARGETARCH")).contains("riscv64");
  }

  @Test
  void metaArgsExpandInOrderAgainstEarlierOnesAndPredefined() throws ExpansionException {
    GlobalArgs g =
        global()
            .declare("BASE", d("alpine"))
            .declare("TAG", d("3.20-${TARGETARCH}"))
            .declare("IMAGE", d("${BASE}:${TAG}"))
            .declare("LATER", d("$EARLIER"))
            .declare("EARLIER", d("x"));
    assertThat(g.expand("$IMAGE").value()).isEqualTo("alpine:3.20-arm");
    assertThat(g.env().lookup("LATER")).contains("");
    assertThat(g.declaredNames()).containsExactly("BASE", "TAG", "IMAGE", "LATER", "EARLIER");
  }

  @Test
  void buildArgReplacesDefaultWithoutEvaluatingIt() throws ExpansionException {
    GlobalArgs g = global("BAR", "1").declare("BAR", d("${FOO:?x}"));
    assertThat(g.env().lookup("BAR")).contains("1");
    assertThatThrownBy(() -> global().declare("BAR", d("${FOO:?must be set}")))
        .isInstanceOf(ExpansionException.class)
        .hasMessageEndingWith("FOO: must be set");
    // same in a stage
    StageScope s = global("BAR", "1").startStage(Environment.empty()).declareArg("BAR", d("${FOO:?x}"));
    assertThat(s.env().lookup("BAR")).contains("1");
  }

  @Test
  void metaArgWithoutValueIsDeclaredButUnset() throws ExpansionException {
    GlobalArgs g = global().declare("VERSION", Optional.empty());
    assertThat(g.env().contains("VERSION")).isFalse();
    assertThat(g.isDefined("VERSION")).isTrue();
    assertThat(g.isDefined("TARGETOS")).isTrue();
    assertThat(g.isDefined("NOPE")).isFalse();
    assertThat(global("VERSION", "2").declare("VERSION", Optional.empty()).env().lookup("VERSION"))
        .contains("2");
  }

  @Test
  void globalArgsAreInvisibleInStagesUntilRedeclared() throws ExpansionException {
    GlobalArgs g = global().declare("VERSION", d("1.2"));
    StageScope s = g.startStage(Environment.of("PATH", "/bin"));
    assertThat(s.expand("v$VERSION-$TARGETPLATFORM").value()).isEqualTo("v-");
    assertThat(s.expand("v$VERSION").unset()).containsExactly("VERSION");

    s = s.declareArg("VERSION", Optional.empty()).declareArg("TARGETPLATFORM", Optional.empty());
    assertThat(s.expand("v$VERSION-$TARGETPLATFORM").value()).isEqualTo("v1.2-linux/arm/v7");
  }

  @Test
  void stageArgTakesBuildArgThenDefaultThenGlobal() throws ExpansionException {
    GlobalArgs g = global("A", "from-cli").declare("A", d("meta")).declare("B", d("meta-b"));
    StageScope s =
        g.startStage(Environment.empty())
            .declareArg("A", d("stage"))
            .declareArg("B", d("stage-b"))
            .declareArg("C", d("${B}-c"));
    assertThat(s.env().lookup("A")).contains("from-cli");
    assertThat(s.env().lookup("B")).contains("stage-b");
    assertThat(s.env().lookup("C")).contains("stage-b-c");
  }

  @Test
  void argWithoutValueIsUnsetAndEmptyDefaultIsSet() throws ExpansionException {
    StageScope s =
        global().startStage(Environment.empty()).declareArg("FOO", Optional.empty()).declareArg("BAR", d(""));
    assertThat(s.env().contains("FOO")).isFalse();
    assertThat(s.env().lookup("BAR")).contains("");
    assertThat(s.isDeclaredArg("FOO")).isTrue();
    assertThat(s.declaredArgs())
        .containsExactly(
            new StageScope.DeclaredArg("FOO", Optional.empty()),
            new StageScope.DeclaredArg("BAR", Optional.of("")));
  }

  @Test
  void argIsVisibleFromTheLineAfterItsDeclaration() throws ExpansionException {
    StageScope before = global().startStage(Environment.empty());
    StageScope after = before.declareArg("X", d("1"));
    assertThat(before.expand("$X").value()).isEmpty();
    assertThat(after.expand("$X").value()).isEqualTo("1");
  }

  @Test
  void buildArgsWithoutArgAreInvisibleExceptProxies() throws ExpansionException {
    StageScope s =
        global("SECRET", "s3", "http_proxy", "http://p:3128", "NO_PROXY", "localhost", "FTP_PROXY", "")
            .startStage(Environment.of("PATH", "/bin"));
    assertThat(s.expand("$SECRET").value()).isEmpty();
    assertThat(s.env().toList()).containsExactly("PATH=/bin");
    assertThat(s.historyArgs()).isEmpty();
    assertThat(s.runEnv().toList())
        .containsExactly(
            "PATH=/bin",
            "HTTP_PROXY=http://p:3128",
            "http_proxy=http://p:3128",
            "NO_PROXY=localhost",
            "no_proxy=localhost");
  }

  @Test
  void declaredProxyArgGoesToEnvAndHistory() throws ExpansionException {
    StageScope s =
        global("HTTP_PROXY", "http://p").startStage(Environment.of("PATH", "/bin"))
            .declareArg("HTTP_PROXY", Optional.empty());
    assertThat(s.env().lookup("HTTP_PROXY")).contains("http://p");
    assertThat(s.historyArgs()).containsExactly("HTTP_PROXY=http://p");
    assertThat(s.runEnv().lookup("http_proxy")).contains("http://p");
  }

  @Test
  void envPairsSeeTheEnvBeforeTheInstruction() throws ExpansionException {
    StageScope s =
        global().startStage(Environment.of("PATH", "/bin"))
            .withEnv(List.of(Map.entry("abc", "hello")))
            .withEnv(List.of(Map.entry("abc", "bye"), Map.entry("def", "$abc")));
    assertThat(s.env().lookup("def")).contains("hello");
    assertThat(s.imageEnv().toList()).containsExactly("PATH=/bin", "abc=bye", "def=hello");
    // keys are expanded too, quotes are removed
    s = s.withEnv(List.of(Map.entry("K_$abc", "\"a b\"")));
    assertThat(s.env().lookup("K_bye")).contains("a b");
  }

  @Test
  void laterEnvOverridesArgAndArgValuesStayOutOfTheImage() throws ExpansionException {
    StageScope s =
        global().startStage(Environment.of("PATH", "/bin"))
            .declareArg("VER", d("arg"))
            .withEnv(List.of(Map.entry("VER", "env")));
    assertThat(s.expand("$VER").value()).isEqualTo("env");
    assertThat(s.historyArgs()).containsExactly("VER=env");

    StageScope argOnly = global().startStage(Environment.of("PATH", "/bin")).declareArg("VER", d("arg"));
    assertThat(argOnly.env().lookup("VER")).contains("arg");
    assertThat(argOnly.imageEnv().toList()).containsExactly("PATH=/bin");
  }

  @Test
  void baseImageEnvIsVisibleAndPathIsAddedWhenMissing() throws ExpansionException {
    StageScope s = global().startStage(Environment.of("JAVA_HOME", "/opt/java"));
    assertThat(s.expand("$JAVA_HOME/bin:$PATH").value())
        .isEqualTo("/opt/java/bin:" + StageScope.DEFAULT_PATH);
    assertThat(s.imageEnv().toList())
        .containsExactly("JAVA_HOME=/opt/java", "PATH=" + StageScope.DEFAULT_PATH);
    assertThat(global().startStage(Environment.of("PATH", "/x")).env().lookup("PATH")).contains("/x");
  }

  @Test
  void childStageContinuesFromParentScope() throws ExpansionException {
    StageScope parent = global().startStage(Environment.empty()).declareArg("A", d("1"));
    StageScope child = parent.declareArg("B", d("$A-2"));
    assertThat(child.env().lookup("B")).contains("1-2");
    assertThat(child.historyArgs()).containsExactly("A=1", "B=1-2");
  }

  @Test
  void historyArgsListEachNameOnceWithItsLatestValue() throws ExpansionException {
    StageScope s =
        global("B", "cli")
            .startStage(Environment.empty())
            .declareArg("A", d("1"))
            .declareArg("B", Optional.empty())
            .declareArg("A", d("2"))
            .declareArg("C", Optional.empty());
    assertThat(s.historyArgs()).containsExactly("A=2", "B=cli", "C=");
  }

  @Test
  void sbomArgsAreNotExported() throws ExpansionException {
    StageScope s =
        global().startStage(Environment.empty()).declareArg("BUILDKIT_SBOM_SCAN_STAGE", d("true"));
    assertThat(s.env().contains("BUILDKIT_SBOM_SCAN_STAGE")).isFalse();
    assertThat(s.declaredArgs()).hasSize(1);
  }

  @Test
  void argDefaultErrorsPropagate() {
    StageScope s = global().startStage(Environment.empty());
    assertThatThrownBy(() -> s.declareArg("X", d("${")))
        .isInstanceOf(ExpansionException.class)
        .hasMessage("failed to process \"${\": syntax error: missing '}'");
    assertThatThrownBy(() -> s.withEnv(List.of(Map.entry("K", "'unterminated"))))
        .isInstanceOf(ExpansionException.class);
  }

  @Test
  void platformFormatsAndParses() {
    assertThat(Platform.parse("linux/arm64/v8")).isEqualTo(new Platform("linux", "arm64", "v8", ""));
    assertThat(new Platform("windows", "amd64", "", "10.0.1").formatAll()).isEqualTo("windows(10.0.1)/amd64");
    assertThat(new Platform("windows", "amd64", "", "10.0.1").format()).isEqualTo("windows/amd64");
    assertThatThrownBy(() -> Platform.parse("linux")).hasMessageContaining("os/arch[/variant]");
    assertThatThrownBy(() -> Platform.parse("linux//v7")).isInstanceOf(IllegalArgumentException.class);
  }
}
