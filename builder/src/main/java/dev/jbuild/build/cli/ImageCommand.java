package dev.jbuild.build.cli;

import dev.jbuild.build.JbuildException;
import dev.jbuild.cache.CacheException;
import dev.jbuild.build.event.BuildListener;
import dev.jbuild.build.registry.ImageReference;
import dev.jbuild.build.registry.InvalidReferenceException;
import dev.jbuild.build.registry.Registries;
import dev.jbuild.cache.ImageStore;
import dev.jbuild.cache.JbuildRoot;
import java.io.PrintWriter;
import java.util.concurrent.Callable;
import picocli.CommandLine;

/**
 * The shared frame of the image commands ({@code pull}, {@code push}, {@code images} …): the
 * global options, the store, the registries, and one place that turns errors into a message and
 * an exit code — 1 for a failure, 2 for a bad reference — never a stack trace.
 */
@CommandLine.Command
abstract class ImageCommand implements Callable<Integer> {

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @CommandLine.ParentCommand Main main;

  @CommandLine.Mixin GlobalOptions globals = new GlobalOptions();

  /** Does the work; returns the exit code. */
  abstract int execute() throws Exception;

  @Override
  public final Integer call() {
    try {
      return execute();
    } catch (InvalidReferenceException e) {
      err().println("error: " + e.getMessage());
      return Main.USAGE;
    } catch (JbuildException | CacheException e) {
      err().println("error: " + e.getMessage());
      return Main.FAILED;
    } catch (CommandLine.ParameterException e) {
      throw e;
    } catch (Exception e) {
      // a bug, not user input: say so briefly instead of dumping a trace
      err().println("error: " + e.getClass().getSimpleName() + ": " + e.getMessage()
          + " (this is a bug in jbuild; please report it)");
      return Main.FAILED;
    }
  }

  GlobalOptions globals() {
    return globals;
  }

  CommandLine cli() {
    return spec.commandLine();
  }

  PrintWriter out() {
    return cli().getOut();
  }

  PrintWriter err() {
    return cli().getErr();
  }

  JbuildRoot root() {
    return globals().root();
  }

  ImageStore store() {
    return ImageStore.open(root());
  }

  Registries registries(BuildListener listener) {
    return new Registries(globals().registryOptions(cli()), listener);
  }

  /** A progress renderer on standard error: live on a terminal, plain lines otherwise. */
  ProgressRenderer progress() {
    return new ProgressRenderer(
        err(), main.interactive() ? ProgressRenderer.Mode.TTY : ProgressRenderer.Mode.PLAIN);
  }

  static ImageReference reference(String text) {
    return ImageReference.parse(text);
  }
}
