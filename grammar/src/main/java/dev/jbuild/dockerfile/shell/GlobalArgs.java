package dev.jbuild.dockerfile.shell;

import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * The global (meta) ARG scope: the ARGs before the first FROM (spec §2.7, BuildKit's {@code
 * buildMetaArgs}). Immutable; each {@link #declare} returns the next scope.
 *
 * <ul>
 *   <li>It starts with the predefined args ({@code BUILDPLATFORM} … {@code TARGETSTAGE}), each
 *       overridable by a build-arg.
 *   <li>Each meta ARG's default is expanded against the earlier meta args and the predefined
 *       ones. A build-arg of the same name replaces the default, which is then <em>not</em>
 *       evaluated, so {@code ARG X=${Y:?}} with {@code --build-arg X=1} succeeds.
 *   <li>An ARG with neither default nor build-arg is declared but has no value.
 *   <li>These values are usable only in FROM (image and {@code --platform}); inside a stage an
 *       ARG must be redeclared to see them ({@link StageScope#declareArg}).
 * </ul>
 */
public final class GlobalArgs {

  private final BuildArgs buildArgs;
  private final ShellLexer lexer;
  private final Environment env;
  private final Set<String> declared;

  private GlobalArgs(BuildArgs buildArgs, ShellLexer lexer, Environment env, Set<String> declared) {
    this.buildArgs = buildArgs;
    this.lexer = lexer;
    this.env = env;
    this.declared = declared;
  }

  /** The scope before any meta ARG: the predefined args only. */
  public static GlobalArgs start(BuildArgs buildArgs, ShellLexer lexer) {
    Objects.requireNonNull(buildArgs, "buildArgs");
    Objects.requireNonNull(lexer, "lexer");
    return new GlobalArgs(buildArgs, lexer, buildArgs.predefined(), Set.of());
  }

  /**
   * Declares one meta ARG.
   *
   * @param name the ARG name (never expanded)
   * @param defaultWord the default as written ({@code ARG X=word}), empty for {@code ARG X}
   * @throws ExpansionException when the default is evaluated and does not expand
   */
  public GlobalArgs declare(String name, Optional<String> defaultWord) throws ExpansionException {
    Objects.requireNonNull(name, "name");
    Optional<String> value = buildArgs.value(name);
    if (value.isEmpty() && defaultWord.isPresent()) {
      value = Optional.of(lexer.expandWord(defaultWord.get(), env));
    }
    Set<String> names = new LinkedHashSet<>(declared);
    names.add(name);
    Environment next = value.isPresent() ? env.with(name, value.get()) : env;
    return new GlobalArgs(buildArgs, lexer, next, Collections.unmodifiableSet(names));
  }

  /** Expands a FROM image name or {@code --platform} value against the global args. */
  public Expansion expand(String word) throws ExpansionException {
    return lexer.expand(word, env);
  }

  /** The predefined args and the meta ARGs that have a value, in declaration order. */
  public Environment env() {
    return env;
  }

  /** The names of the meta ARGs declared so far, with or without a value. */
  public Set<String> declaredNames() {
    return declared;
  }

  /** Whether {@code name} was declared as a meta ARG or is predefined. */
  public boolean isDefined(String name) {
    return declared.contains(name) || BuildArgs.isPredefined(name);
  }

  public BuildArgs buildArgs() {
    return buildArgs;
  }

  public ShellLexer lexer() {
    return lexer;
  }

  /**
   * The scope at the start of a stage built on an image whose config has {@code imageEnv}.
   * (A stage built on another stage of the file continues from that stage's final scope.)
   */
  public StageScope startStage(Environment imageEnv) {
    return StageScope.start(this, imageEnv);
  }
}
