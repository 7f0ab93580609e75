package dev.jbuild.build.cli;

import dev.jbuild.build.BuildRequest;
import dev.jbuild.build.BuildResult;
import dev.jbuild.build.BuildStepException;
import dev.jbuild.build.Builder;
import dev.jbuild.build.JbuildException;
import dev.jbuild.build.OutputSpec;
import dev.jbuild.build.PullPolicy;
import dev.jbuild.build.event.BuildListener;
import dev.jbuild.build.event.ProgressText;
import dev.jbuild.build.registry.RegistryOptions;
import dev.jbuild.build.sandbox.NamespaceSandbox;
import dev.jbuild.build.sandbox.Sandbox;
import dev.jbuild.cache.CacheException;
import dev.jbuild.cache.JbuildRoot;
import dev.jbuild.dockerfile.Diagnostic;
import dev.jbuild.dockerfile.DiagnosticRenderer;
import dev.jbuild.dockerfile.DockerfileException;
import dev.jbuild.oci.Platform;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code jbuild [build] [OPTIONS] CONTEXT}: docker build's flags, a daemonless build. */
@Command(
    name = "build",
    mixinStandardHelpOptions = true,
    versionProvider = VersionProvider.class,
    description = {
      "Builds an image from a Dockerfile and a build context, without a daemon or root.",
      "The word 'build' may be left out: jbuild -t app:1 ."
    })
public final class BuildCommand implements Callable<Integer> {

  static {
    // picocli loads this class while it builds the command tree: start the warm-up then
    Warmup.start();
  }

  /** Where {@code -} reads the context tar from; tests replace it. */
  static InputStream stdin = System.in;

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @CommandLine.ParentCommand Main main;

  /** The streams when no picocli command line runs this ({@link PlainBuildLine}), else null. */
  PrintWriter out;
  PrintWriter err;

  @Parameters(
      index = "0",
      paramLabel = "CONTEXT",
      description = "the build context: a directory, or - for a tar on standard input")
  String context;

  @Option(names = {"-t", "--tag"}, paramLabel = "NAME[:TAG]", description = "name the image (repeatable)")
  List<String> tags = new ArrayList<>();

  @Option(names = {"-f", "--file"}, paramLabel = "FILE", description = "the Dockerfile (default: CONTEXT/Dockerfile)")
  Path file;

  @Option(names = "--build-arg", paramLabel = "NAME[=VALUE]", description = "set a build-time variable; NAME alone takes the value from the environment")
  List<String> buildArgs = new ArrayList<>();

  @Option(names = "--target", paramLabel = "STAGE", description = "build this stage")
  String target;

  @Option(names = "--platform", paramLabel = "OS/ARCH[/VARIANT]", split = ",", description = "the platform to build for (default: linux on this machine's architecture); several, comma-separated, give one image per platform under an index")
  List<String> platforms = new ArrayList<>();

  @Option(
      names = "--pull",
      paramLabel = "POLICY",
      arity = "0..1",
      fallbackValue = "always",
      description = "when to pull base images: missing (default), always (--pull alone), never")
  String pull;

  @Option(names = "--no-cache", description = "do not use the build cache")
  boolean noCache;

  @Option(names = "--label", paramLabel = "KEY=VALUE", description = "set an image label (repeatable)")
  List<String> labels = new ArrayList<>();

  @Option(names = "--secret", paramLabel = "id=ID[,src=FILE|,env=VAR]", description = "a secret RUN --mount=type=secret can read, from a file or an environment variable (docker buildx syntax; repeatable); it never lands in the image or the cache")
  List<String> secrets = new ArrayList<>();

  @Option(names = "--ssh", paramLabel = "default|ID[=SOCKET]", description = "forward an SSH agent socket (default: $SSH_AUTH_SOCK) to RUN --mount=type=ssh (repeatable)")
  List<String> ssh = new ArrayList<>();

  @Option(names = "--push", description = "push every -t name to its registry")
  boolean push;

  @Option(names = {"-o", "--output"}, paramLabel = "type=TYPE[,dest=PATH]", description = "local-store (default), registry, oci, oci-archive or docker-archive (repeatable)")
  List<String> outputs = new ArrayList<>();

  @Option(names = "--iidfile", paramLabel = "FILE", description = "write the image ID to FILE")
  Path iidFile;

  @Option(names = "--metadata-file", paramLabel = "FILE", description = "write the build result as JSON to FILE")
  Path metadataFile;

  @Option(names = "--progress", paramLabel = "MODE", description = "auto (default), tty or plain")
  String progress = "auto";

  @Option(names = {"-q", "--quiet"}, description = "print only the image ID")
  boolean quiet;

  @Option(names = "--registry-mirror", paramLabel = "REGISTRY=HOST[:PORT]", description = "try this mirror first for pulls from REGISTRY (repeatable)")
  List<String> mirrors = new ArrayList<>();

  @Option(names = "--insecure-registry", paramLabel = "HOST[:PORT]", description = "allow plain HTTP and unverified TLS for this registry (repeatable)")
  List<String> insecure = new ArrayList<>();

  @Option(names = "--compression", paramLabel = "gzip|zstd|none", description = "how new layers are compressed (default gzip; zstd is several times faster)")
  String compression = "gzip";

  @Option(names = "--snapshotter", paramLabel = "auto|overlay|copy", description = "how RUN steps snapshot the filesystem: overlayfs, or a copy diffed by walking (default auto: overlayfs where the kernel allows it)")
  String snapshotter = "auto";

  @Option(names = "--root", paramLabel = "DIR", description = "jbuild's state directory (default: $JBUILD_ROOT, else ~/.cache/jbuild)")
  Path root;

  @Override
  public Integer call() {
    PrintWriter out = this.out != null ? this.out : spec.commandLine().getOut();
    PrintWriter err = this.err != null ? this.err : spec.commandLine().getErr();
    BuildRequest request;
    RegistryOptions registryOptions;
    ProgressRenderer.Mode mode;
    try {
      request = request();
      registryOptions = registryOptions();
      mode = progressMode();
      if (!List.of("auto", "overlay", "copy").contains(snapshotter)) {
        throw new IllegalArgumentException(
            "--snapshotter must be auto, overlay or copy, not \"" + snapshotter + "\"");
      }
    } catch (IllegalArgumentException e) {
      err.println("jbuild build: " + e.getMessage());
      err.println("Run 'jbuild build --help' for the options.");
      return Main.USAGE;
    }
    ProgressRenderer renderer = quiet ? null : new ProgressRenderer(err, mode);
    BuildListener listener = renderer == null ? BuildListener.NONE : renderer;
    JbuildRoot jbuildRoot = JbuildRoot.resolve(root == null ? null : root.toString(), System.getenv(), System.getProperty("user.home"));
    long start = System.nanoTime();
    try (Sandbox sandbox = new NamespaceSandbox(jbuildRoot, listener, snapshotter)) {
      BuildResult result =
          new Builder(jbuildRoot, registryOptions, sandbox, listener).build(request);
      if (renderer != null) {
        renderer.finish();
        for (String t : result.tags()) {
          err.println("naming to " + t + " done");
        }
        for (String p : result.pushed()) {
          err.println("pushed " + p);
        }
        err.println(
            "built " + result.imageId() + " in "
                + ProgressText.seconds((System.nanoTime() - start) / 1_000_000) + " ("
                + result.steps() + " steps, " + result.cachedSteps() + " cached)");
        err.flush();
      } else {
        out.println(result.imageId());
        out.flush();
      }
      return Main.OK;
    } catch (DockerfileException e) {
      finish(renderer);
      List<String> lines = sourceLines();
      for (Diagnostic d : e.diagnostics()) {
        err.print(DiagnosticRenderer.render(d, lines));
      }
    } catch (BuildStepException e) {
      finish(renderer);
      err.print(DiagnosticRenderer.render(Diagnostic.error(e.getMessage(), e.span()), sourceLines()));
    } catch (JbuildException | CacheException e) {
      finish(renderer);
      err.println("error: " + e.getMessage());
    } catch (RuntimeException e) {
      finish(renderer);
      err.println("error: internal error in jbuild: " + e);
      if (System.getenv("JBUILD_DEBUG") != null) {
        e.printStackTrace(err);
      } else {
        err.println("(set JBUILD_DEBUG=1 for the stack trace, and please report it)");
      }
    }
    err.flush();
    return Main.FAILED;
  }

  private static void finish(ProgressRenderer r) {
    if (r != null) {
      r.finish();
    }
  }

  /** The Dockerfile's lines for the caret under an error; none when it cannot be read. */
  private List<String> sourceLines() {
    Path f = file;
    if (f == null && !"-".equals(context)) {
      f = Path.of(context).resolve("Dockerfile");
      if (!Files.exists(f)) {
        f = Path.of(context).resolve("dockerfile");
      }
    }
    if (f == null) {
      return List.of();
    }
    try {
      String text = new String(Files.readAllBytes(f), StandardCharsets.UTF_8);
      if (text.startsWith("\uFEFF")) {
        text = text.substring(1);
      }
      return List.of(text.split("\r?\n", -1));
    } catch (IOException | RuntimeException e) {
      return List.of();
    }
  }

  BuildRequest request() {
    BuildRequest.Builder b =
        "-".equals(context) ? BuildRequest.builder(stdin) : BuildRequest.builder(Path.of(context));
    if (file != null) {
      if (file.toString().equals("-")) {
        throw new IllegalArgumentException("-f - (a Dockerfile on standard input) is not supported: name a file");
      }
      b.dockerfile(file);
    }
    b.tags(tags);
    for (String a : buildArgs) {
      int eq = a.indexOf('=');
      if (eq == 0) {
        throw new IllegalArgumentException("--build-arg \"" + a + "\": the name is empty");
      }
      if (eq < 0) {
        String v = System.getenv(a);
        if (v != null) {
          b.buildArg(a, v);
        }
      } else {
        b.buildArg(a.substring(0, eq), a.substring(eq + 1));
      }
    }
    if (target != null) {
      b.target(target);
    }
    for (String p : platforms) {
      if (!p.isBlank()) {
        b.platform(Platform.parse(p.trim()));
      }
    }
    if (pull != null) {
      b.pull(PullPolicy.parse(pull));
    }
    b.noCache(noCache);
    for (String l : labels) {
      int eq = l.indexOf('=');
      if (eq == 0) {
        throw new IllegalArgumentException("--label \"" + l + "\": the key is empty");
      }
      b.label(eq < 0 ? l : l.substring(0, eq), eq < 0 ? "" : l.substring(eq + 1));
    }
    b.push(push);
    for (String spec : secrets) {
      b.secret(BuildRequest.Secret.parse(spec, System.getenv()));
    }
    for (String spec : ssh) {
      b.ssh(BuildRequest.Ssh.parse(spec, System.getenv()));
    }
    switch (compression.toLowerCase(java.util.Locale.ROOT)) {
      case "gzip":
        b.compression(dev.jbuild.layer.Compression.GZIP);
        break;
      case "zstd":
        b.compression(dev.jbuild.layer.Compression.ZSTD);
        break;
      case "none":
      case "uncompressed":
        b.compression(dev.jbuild.layer.Compression.NONE);
        break;
      default:
        throw new IllegalArgumentException(
            "invalid --compression \"" + compression + "\": use gzip, zstd or none");
    }
    for (String o : outputs) {
      b.output(OutputSpec.parse(o));
    }
    if (iidFile != null) {
      b.iidFile(iidFile);
    }
    if (metadataFile != null) {
      b.metadataFile(metadataFile);
    }
    String epoch = System.getenv("SOURCE_DATE_EPOCH");
    if (epoch != null && !epoch.isBlank()) {
      try {
        b.sourceDateEpoch(Builder.parseEpoch(epoch));
      } catch (JbuildException e) {
        throw new IllegalArgumentException(e.getMessage());
      }
    }
    return b.build();
  }

  private RegistryOptions registryOptions() {
    RegistryOptions o = RegistryOptions.defaults();
    if (!mirrors.isEmpty()) {
      Map<String, List<String>> m = new LinkedHashMap<>();
      for (String text : mirrors) {
        Map.Entry<String, String> e = RegistryOptions.parseMirror(text);
        m.computeIfAbsent(e.getKey(), k -> new ArrayList<>()).add(e.getValue());
      }
      o = o.withMirrors(m);
    }
    if (!insecure.isEmpty()) {
      Set<String> s = new LinkedHashSet<>();
      for (String i : insecure) {
        s.add(i.trim().toLowerCase(java.util.Locale.ROOT));
      }
      o = o.withInsecure(s);
    }
    return o;
  }

  private ProgressRenderer.Mode progressMode() {
    switch (progress) {
      case "plain":
        return ProgressRenderer.Mode.PLAIN;
      case "tty":
        return ProgressRenderer.Mode.TTY;
      case "auto":
        String term = System.getenv("TERM");
        return main != null && main.interactive() && term != null && !term.equals("dumb")
            ? ProgressRenderer.Mode.TTY
            : ProgressRenderer.Mode.PLAIN;
      default:
        throw new IllegalArgumentException(
            "invalid --progress \"" + progress + "\": use auto, tty or plain");
    }
  }
}
