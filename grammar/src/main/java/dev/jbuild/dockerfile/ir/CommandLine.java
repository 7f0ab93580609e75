package dev.jbuild.dockerfile.ir;

import java.util.List;
import java.util.Objects;

/**
 * The command of RUN, CMD, ENTRYPOINT or HEALTHCHECK CMD: shell form (one string, run through
 * the current SHELL) or exec (JSON) form (the argument vector as given).
 */
public sealed interface CommandLine permits CommandLine.ShellForm, CommandLine.ExecForm {

  /** True for shell form: the builder prepends the current SHELL. */
  boolean prependShell();

  /** The words as BuildKit's {@code CmdLine}: one string in shell form, the vector otherwise. */
  List<String> words();

  /**
   * Shell form, e.g. {@code RUN echo $HOME}: the text after the flags, not expanded. An empty
   * script ({@code CMD} alone) has no words, as in BuildKit.
   */
  record ShellForm(String script) implements CommandLine {
    public ShellForm {
      Objects.requireNonNull(script, "script");
    }

    @Override
    public boolean prependShell() {
      return true;
    }

    @Override
    public List<String> words() {
      return script.isEmpty() ? List.of() : List.of(script);
    }
  }

  /** Exec form, e.g. {@code CMD ["java", "-jar", "app.jar"]}; may be empty ({@code CMD []}). */
  record ExecForm(List<String> args) implements CommandLine {
    public ExecForm {
      args = List.copyOf(args);
    }

    @Override
    public boolean prependShell() {
      return false;
    }

    @Override
    public List<String> words() {
      return args;
    }
  }
}
