package dev.jbuild.dockerfile.shell;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * The variables of one stage as its instructions run in order (spec §2.6, §2.7; BuildKit's
 * {@code dispatchArg}, {@code dispatchEnv} and the state env). Immutable: {@link #declareArg}
 * and {@link #withEnv} return the scope that holds from the next instruction on, so a variable
 * is visible from the line after the one that sets it.
 *
 * <p>It keeps two environments:
 *
 * <ul>
 *   <li>{@link #env()}: what word expansion and RUN see — the base image's ENV (plus {@code
 *       PATH} when the image has none), then ARGs with values and ENVs, a later assignment of a
 *       name replacing an earlier one. So a later {@code ENV X} overrides {@code ARG X}.
 *   <li>{@link #imageEnv()}: the image config's {@code Env} — the base image's plus ENV only.
 *       ARG values never reach it.
 * </ul>
 *
 * <p>A stage built on another stage of the same file continues from that stage's final scope,
 * and so inherits its ARGs; unrelated stages do not.
 */
public final class StageScope {

  /** The PATH BuildKit gives a Linux image whose config has none. */
  public static final String DEFAULT_PATH =
      "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

  /** ARGs BuildKit reads itself and never exports to the build env. */
  private static final Set<String> NON_ENV_ARGS =
      Set.of("BUILDKIT_SBOM_SCAN_CONTEXT", "BUILDKIT_SBOM_SCAN_STAGE");

  /**
   * An ARG declared in this stage (or inherited from the parent stage).
   *
   * @param name the ARG name
   * @param value its value, empty when it has none (then the variable is unset)
   */
  public record DeclaredArg(String name, Optional<String> value) {
    public DeclaredArg {
      Objects.requireNonNull(name, "name");
      Objects.requireNonNull(value, "value");
    }
  }

  private final GlobalArgs global;
  private final Environment env;
  private final Environment imageEnv;
  private final List<DeclaredArg> args;

  private StageScope(
      GlobalArgs global, Environment env, Environment imageEnv, List<DeclaredArg> args) {
    this.global = global;
    this.env = env;
    this.imageEnv = imageEnv;
    this.args = List.copyOf(args);
  }

  static StageScope start(GlobalArgs global, Environment imageEnv) {
    Objects.requireNonNull(global, "global");
    Environment base =
        imageEnv.contains("PATH") ? imageEnv : imageEnv.with("PATH", DEFAULT_PATH);
    return new StageScope(global, base, base, List.of());
  }

  /**
   * {@code ARG name[=default]} inside the stage.
   *
   * <ul>
   *   <li>A build-arg of that name wins, and the default is not evaluated.
   *   <li>Else the default is expanded against this scope.
   *   <li>With neither, the global value of the name (a meta ARG or a predefined arg) is
   *       inherited, if there is one; otherwise the ARG has no value and the variable stays
   *       unset.
   * </ul>
   *
   * @throws ExpansionException when the default does not expand
   */
  public StageScope declareArg(String name, Optional<String> defaultWord)
      throws ExpansionException {
    Objects.requireNonNull(name, "name");
    Optional<String> value = global.buildArgs().value(name);
    if (value.isEmpty()) {
      value =
          defaultWord.isPresent()
              ? Optional.of(lexer().expandWord(defaultWord.get(), env))
              : global.env().lookup(name);
    }
    Environment nextEnv =
        value.isPresent() && !NON_ENV_ARGS.contains(name) ? env.with(name, value.get()) : env;
    List<DeclaredArg> nextArgs = new ArrayList<>(args);
    nextArgs.add(new DeclaredArg(name, value));
    return new StageScope(global, nextEnv, imageEnv, nextArgs);
  }

  /**
   * {@code ENV k=v …}: every key and value is expanded against this scope <em>before</em> any
   * pair is applied, so {@code ENV a=1 b=$a} gives b the old a.
   *
   * @param rawPairs the pairs as written (quotes and references still in them)
   * @throws ExpansionException when a key or value does not expand
   */
  public StageScope withEnv(List<Map.Entry<String, String>> rawPairs) throws ExpansionException {
    List<Map.Entry<String, String>> expanded = new ArrayList<>(rawPairs.size());
    for (Map.Entry<String, String> pair : rawPairs) {
      expanded.add(
          Map.entry(
              lexer().expandWord(pair.getKey(), env), lexer().expandWord(pair.getValue(), env)));
    }
    Environment nextEnv = env;
    Environment nextImageEnv = imageEnv;
    for (Map.Entry<String, String> pair : expanded) {
      nextEnv = nextEnv.with(pair.getKey(), pair.getValue());
      nextImageEnv = nextImageEnv.with(pair.getKey(), pair.getValue());
    }
    return new StageScope(global, nextEnv, nextImageEnv, args);
  }

  /** Expands a word of an instruction that the builder expands (spec §3) in this scope. */
  public Expansion expand(String word) throws ExpansionException {
    return lexer().expand(word, env);
  }

  /** The build env: what expansion sees and what goes into the cache key. */
  public Environment env() {
    return env;
  }

  /** The image config's {@code Env}. */
  public Environment imageEnv() {
    return imageEnv;
  }

  /**
   * The environment of a RUN process: {@link #env()} plus the proxy build-args, which are
   * usable without an ARG, in upper and lower case ({@code HTTP_PROXY} and {@code http_proxy}),
   * unless the name is already set. Proxy values stay out of {@link #env()}, {@link
   * #historyArgs()} and so out of history and the cache key, unless declared with ARG.
   */
  public Environment runEnv() {
    Environment out = env;
    for (Map.Entry<String, String> proxy : global.buildArgs().proxies().entrySet()) {
      for (String key : List.of(proxy.getKey(), proxy.getKey().toLowerCase(Locale.ROOT))) {
        if (!out.contains(key)) {
          out = out.with(key, proxy.getValue());
        }
      }
    }
    return out;
  }

  /** The ARGs declared so far in this stage and its parent stages, in order. */
  public List<DeclaredArg> declaredArgs() {
    return args;
  }

  /** Whether an ARG of that name was declared, with or without a value. */
  public boolean isDeclaredArg(String name) {
    for (DeclaredArg a : args) {
      if (a.name().equals(name)) {
        return true;
      }
    }
    return false;
  }

  /**
   * The {@code K=V} pairs BuildKit prefixes to a RUN's history entry ({@code RUN |2 A=1 B=2
   * cmd}): each declared ARG once, at its first position, with its current value in the build
   * env (an ENV of the same name wins), or its own value, or empty.
   */
  public List<String> historyArgs() {
    Map<String, String> out = new LinkedHashMap<>();
    for (DeclaredArg a : args) {
      String v = env.lookup(a.name()).orElse(a.value().orElse(""));
      out.put(a.name(), v);
    }
    List<String> pairs = new ArrayList<>(out.size());
    out.forEach((k, v) -> pairs.add(k + "=" + v));
    return List.copyOf(pairs);
  }

  public GlobalArgs global() {
    return global;
  }

  public ShellLexer lexer() {
    return global.lexer();
  }
}
