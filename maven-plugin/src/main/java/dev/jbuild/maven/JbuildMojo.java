package dev.jbuild.maven;

import dev.jbuild.build.BuildRequest;
import dev.jbuild.build.Builder;
import dev.jbuild.build.JbuildException;
import dev.jbuild.build.PullPolicy;
import dev.jbuild.build.registry.Credentials;
import dev.jbuild.build.registry.RegistryOptions;
import dev.jbuild.build.sandbox.NamespaceSandbox;
import dev.jbuild.build.sandbox.Sandbox;
import dev.jbuild.cache.JbuildRoot;
import dev.jbuild.layer.Compression;
import dev.jbuild.oci.Platform;
import java.io.File;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;
import java.util.TreeMap;
import org.apache.maven.execution.MavenSession;
import org.apache.maven.plugin.AbstractMojo;
import org.apache.maven.plugin.MojoExecutionException;
import org.apache.maven.plugin.MojoFailureException;
import org.apache.maven.plugins.annotations.Component;
import org.apache.maven.plugins.annotations.Parameter;
import org.apache.maven.project.MavenProject;
import org.apache.maven.settings.crypto.SettingsDecrypter;

/**
 * What every goal shares: the Dockerfile, context and image configuration, the {@code jbuild.*}
 * properties, the skip flags, the state directory and the registry options. A subclass says what
 * its goal does in {@link #run()}. Goals keep no state between executions, so {@code mvn -T}
 * runs them side by side (the builder and its store are safe for concurrent builds).
 */
abstract class JbuildMojo extends AbstractMojo {

  /** Prefix of {@code -Djbuild.buildArg.NAME=value}. */
  static final String BUILD_ARG_PREFIX = "jbuild.buildArg.";

  /** Prefix of {@code -Djbuild.label.NAME=value}. */
  static final String LABEL_PREFIX = "jbuild.label.";

  /** Prefix of {@code -Djbuild.secret.ID=FILE}. */
  static final String SECRET_PREFIX = "jbuild.secret.";

  @Parameter(defaultValue = "${project}", readonly = true, required = true)
  MavenProject project;

  @Parameter(defaultValue = "${session}", readonly = true, required = true)
  MavenSession session;

  @Component SettingsDecrypter settingsDecrypter;

  /** The Dockerfile. */
  @Parameter(property = "jbuild.dockerfile", defaultValue = "${project.basedir}/Dockerfile")
  File dockerfile;

  /** The build context: the directory COPY and ADD read from. */
  @Parameter(property = "jbuild.contextDir", defaultValue = "${project.basedir}")
  File contextDir;

  /**
   * Where the image goes: {@code <image>}, {@code <tags>}, {@code <auth>}. The properties {@code
   * jbuild.to.image}, {@code jbuild.to.tags} (comma-separated) and {@code
   * jbuild.to.auth.username}/{@code password} override it.
   */
  @Parameter ToImage to;

  /** Build-time variables ({@code --build-arg}); {@code -Djbuild.buildArg.NAME=value} overrides one. */
  @Parameter Map<String, String> buildArgs;

  /** The stage to build ({@code --target}); default the last. */
  @Parameter(property = "jbuild.target")
  String target;

  /** Platforms, e.g. {@code linux/amd64}; several build one image each under an index. */
  @Parameter(property = "jbuild.platforms")
  List<String> platforms;

  /** When base images are pulled: {@code missing} (default), {@code always} or {@code never}. */
  @Parameter(property = "jbuild.pull", defaultValue = "missing")
  String pull;

  /** Do not use the build cache. */
  @Parameter(property = "jbuild.noCache", defaultValue = "false")
  boolean noCache;

  /** Labels set on the image; {@code -Djbuild.label.NAME=value} adds or overrides one. */
  @Parameter Map<String, String> labels;

  /**
   * Secrets that {@code RUN --mount=type=secret} reads, in docker buildx syntax: {@code
   * id=npmrc,src=${user.home}/.npmrc} or {@code id=token,env=TOKEN}; never stored in the image or
   * the cache. {@code -Djbuild.secret.ID=FILE} adds one.
   */
  @Parameter List<String> secrets;

  /** Registry mirrors, {@code REGISTRY=HOST[:PORT]}, tried first for pulls. */
  @Parameter(property = "jbuild.registryMirrors")
  List<String> registryMirrors;

  /** Allow plain HTTP and unverified TLS for every registry (as Jib's option of that name). */
  @Parameter(property = "jbuild.allowInsecureRegistries", defaultValue = "false")
  boolean allowInsecureRegistries;

  /**
   * Timestamps for the image config, history and layer files ({@code SOURCE_DATE_EPOCH}): Maven's
   * reproducible-build timestamp by default. A {@code SOURCE_DATE_EPOCH} build arg or environment
   * variable wins over it.
   */
  @Parameter(property = "jbuild.outputTimestamp", defaultValue = "${project.build.outputTimestamp}")
  String outputTimestamp;

  /** How new layers are compressed: {@code gzip} (default), {@code zstd} or {@code none}. */
  @Parameter(property = "jbuild.compression", defaultValue = "gzip")
  String compression;

  /**
   * How RUN steps snapshot the filesystem: {@code auto} (overlayfs where the kernel allows it,
   * else a copy), {@code overlay} or {@code copy}.
   */
  @Parameter(property = "jbuild.snapshotter", defaultValue = "auto")
  String snapshotter;

  /** jbuild's state directory (image store and cache); default {@code $JBUILD_ROOT} or {@code ~/.cache/jbuild}. */
  @Parameter(property = "jbuild.root")
  File root;

  /** Skip every jbuild goal. */
  @Parameter(property = "jbuild.skip", defaultValue = "false")
  boolean skip;

  /** Skip modules with packaging {@code pom} (set to false to build an image in one). */
  @Parameter(property = "jbuild.skipPom", defaultValue = "true")
  boolean skipPom;

  /** Builds the goal's request and does the work. */
  abstract void run() throws MojoExecutionException, MojoFailureException;

  /** This goal's own skip flag ({@code jbuild.skip.build}, {@code jbuild.skip.push}), if any. */
  boolean skipGoal() {
    return false;
  }

  /** The name of this goal's own skip property, for the log. */
  String skipGoalProperty() {
    return "jbuild.skip";
  }

  @Override
  public final void execute() throws MojoExecutionException, MojoFailureException {
    if (skip) {
      getLog().info("jbuild: skipped (jbuild.skip)");
      return;
    }
    if (skipGoal()) {
      getLog().info("jbuild: skipped (" + skipGoalProperty() + ")");
      return;
    }
    if (skipPom && "pom".equals(project.getPackaging())) {
      getLog().info("jbuild: skipped, packaging is pom (set jbuild.skipPom=false to build here)");
      return;
    }
    run();
  }

  /** A property from {@code -D}, the system, or the pom's properties, in that order. */
  String property(String name) {
    String v = session.getUserProperties().getProperty(name);
    if (v == null) {
      v = session.getSystemProperties().getProperty(name);
    }
    if (v == null) {
      v = project.getProperties().getProperty(name);
    }
    return v;
  }

  /** Every {@code PREFIXname=value} property, later sources losing to earlier ones. */
  private Map<String, String> prefixed(String prefix) {
    Map<String, String> out = new TreeMap<>();
    for (Properties p :
        List.of(project.getProperties(), session.getSystemProperties(), session.getUserProperties())) {
      for (String key : p.stringPropertyNames()) {
        if (key.startsWith(prefix) && key.length() > prefix.length()) {
          out.put(key.substring(prefix.length()), p.getProperty(key));
        }
      }
    }
    return out;
  }

  /** The image names from {@code to} and the properties. */
  ImageNames imageNames() throws MojoFailureException {
    String image = property("jbuild.to.image");
    if (image == null && to != null) {
      image = to.image;
    }
    List<String> tags = new ArrayList<>();
    String tagProperty = property("jbuild.to.tags");
    if (tagProperty != null) {
      for (String t : tagProperty.split(",")) {
        tags.add(t.trim());
      }
    } else if (to != null) {
      tags.addAll(to.tags);
    }
    return ImageNames.of(image, tags, project.getArtifactId(), project.getVersion());
  }

  Path dockerfilePath() {
    return dockerfile.toPath().toAbsolutePath().normalize();
  }

  Path contextPath() {
    return contextDir.toPath().toAbsolutePath().normalize();
  }

  /** The request for this module's image, without outputs. */
  BuildRequest.Builder request(ImageNames names) throws MojoFailureException {
    BuildRequest.Builder b = BuildRequest.builder(contextPath()).dockerfile(dockerfilePath());
    b.tags(names.texts());
    Map<String, String> args = new LinkedHashMap<>();
    if (buildArgs != null) {
      buildArgs.forEach((k, v) -> args.put(k, v == null ? "" : v));
    }
    args.putAll(prefixed(BUILD_ARG_PREFIX));
    b.buildArgs(args);
    if (target != null && !target.isBlank()) {
      b.target(target.trim());
    }
    for (String p : platforms == null ? List.<String>of() : platforms) {
      if (p != null && !p.isBlank()) {
        try {
          b.platform(Platform.parse(p.trim()));
        } catch (IllegalArgumentException e) {
          throw new MojoFailureException("invalid platform \"" + p.trim() + "\" in <platforms>: " + e.getMessage());
        }
      }
    }
    b.pull(pullPolicy());
    b.noCache(noCache);
    Map<String, String> allLabels = new LinkedHashMap<>();
    if (labels != null) {
      labels.forEach((k, v) -> allLabels.put(k, v == null ? "" : v));
    }
    allLabels.putAll(prefixed(LABEL_PREFIX));
    allLabels.forEach(b::label);
    b.compression(compressionValue());
    sourceDateEpoch(args).ifPresent(b::sourceDateEpoch);
    for (BuildRequest.Secret secret : secretList()) {
      b.secret(secret);
    }
    return b;
  }

  /** The secrets, relative files resolved against the module's directory. */
  private List<BuildRequest.Secret> secretList() throws MojoFailureException {
    List<BuildRequest.Secret> out = new ArrayList<>();
    for (String spec : secrets == null ? List.<String>of() : secrets) {
      if (spec == null || spec.isBlank()) {
        continue;
      }
      try {
        out.add(resolved(BuildRequest.Secret.parse(spec.trim(), System.getenv())));
      } catch (IllegalArgumentException e) {
        throw new MojoFailureException("invalid <secrets> entry: " + e.getMessage());
      }
    }
    for (Map.Entry<String, String> e : prefixed(SECRET_PREFIX).entrySet()) {
      out.add(resolved(BuildRequest.Secret.ofFile(e.getKey(), Path.of(e.getValue()))));
    }
    return out;
  }

  private BuildRequest.Secret resolved(BuildRequest.Secret s) {
    if (s.file().isPresent() && !s.file().get().isAbsolute()) {
      return BuildRequest.Secret.ofFile(s.id(), project.getBasedir().toPath().resolve(s.file().get()));
    }
    return s;
  }

  private PullPolicy pullPolicy() throws MojoFailureException {
    String p = pull == null ? "missing" : pull.trim().toLowerCase(Locale.ROOT);
    if (p.equals("true")) {
      return PullPolicy.ALWAYS;
    }
    if (p.equals("false")) {
      return PullPolicy.MISSING;
    }
    try {
      return PullPolicy.parse(p);
    } catch (IllegalArgumentException | JbuildException e) {
      throw new MojoFailureException(
          "invalid <pull> \"" + pull + "\" (jbuild.pull): use missing, always or never");
    }
  }

  private Compression compressionValue() throws MojoFailureException {
    switch (compression == null ? "gzip" : compression.trim().toLowerCase(Locale.ROOT)) {
      case "gzip":
        return Compression.GZIP;
      case "zstd":
        return Compression.ZSTD;
      case "none":
      case "uncompressed":
        return Compression.NONE;
      default:
        throw new MojoFailureException(
            "invalid <compression> \"" + compression + "\" (jbuild.compression): use gzip, zstd or none");
    }
  }

  /**
   * SOURCE_DATE_EPOCH: a build arg of that name (the builder reads it), else the environment
   * variable, else Maven's outputTimestamp.
   */
  private Optional<Instant> sourceDateEpoch(Map<String, String> args) throws MojoFailureException {
    String arg = args.get("SOURCE_DATE_EPOCH");
    if (arg != null && !arg.isEmpty()) {
      return Optional.empty();
    }
    String env = System.getenv("SOURCE_DATE_EPOCH");
    if (env != null && !env.isBlank()) {
      try {
        return Optional.of(Builder.parseEpoch(env));
      } catch (JbuildException e) {
        throw new MojoFailureException(e.getMessage());
      }
    }
    Optional<Instant> epoch = OutputTimestamp.parse(outputTimestamp);
    epoch.ifPresent(
        t -> getLog().debug("SOURCE_DATE_EPOCH=" + t.getEpochSecond() + " from outputTimestamp " + outputTimestamp));
    return epoch;
  }

  JbuildRoot jbuildRoot() {
    return JbuildRoot.resolve(
        root == null ? null : root.getAbsolutePath(), System.getenv(), System.getProperty("user.home"));
  }

  /** Mirrors, insecure registries and the credential sources in the documented order. */
  RegistryOptions registryOptions(ImageNames names) throws MojoFailureException {
    RegistryOptions o = RegistryOptions.defaults();
    if (registryMirrors != null && !registryMirrors.isEmpty()) {
      Map<String, List<String>> m = new LinkedHashMap<>();
      for (String text : registryMirrors) {
        if (text == null || text.isBlank()) {
          continue;
        }
        try {
          Map.Entry<String, String> e = RegistryOptions.parseMirror(text.trim());
          m.computeIfAbsent(e.getKey(), k -> new ArrayList<>()).add(e.getValue());
        } catch (IllegalArgumentException e) {
          throw new MojoFailureException("invalid <registryMirrors> entry: " + e.getMessage());
        }
      }
      o = o.withMirrors(m);
    }
    if (allowInsecureRegistries) {
      Set<String> all = new LinkedHashSet<>();
      all.add(RegistryOptions.ANY);
      o = o.withInsecure(all);
    }
    Credentials files = o.credentials();
    MavenCredentials maven =
        new MavenCredentials(
            names.primary(), explicitAuth(), session.getSettings(), settingsDecrypter, files, getLog());
    return o.withCredentials(files.withFirst(maven));
  }

  /** The property and pom credentials for the target registry, in that order. */
  private List<MavenCredentials.Pair> explicitAuth() throws MojoFailureException {
    List<MavenCredentials.Pair> out = new ArrayList<>();
    String user = property("jbuild.to.auth.username");
    String password = property("jbuild.to.auth.password");
    if (user != null || password != null) {
      if (user == null || password == null) {
        throw new MojoFailureException(
            "set both jbuild.to.auth.username and jbuild.to.auth.password, or neither");
      }
      out.add(new MavenCredentials.Pair(user, password, "jbuild.to.auth.username/password"));
    }
    if (to != null && to.auth != null && (to.auth.username != null || to.auth.password != null)) {
      if (to.auth.username == null || to.auth.password == null) {
        throw new MojoFailureException("<to><auth> needs both <username> and <password>");
      }
      out.add(new MavenCredentials.Pair(to.auth.username, to.auth.password, "<to><auth> in the pom"));
    }
    return out;
  }

  /**
   * The sandbox for RUN steps, the CLI's: a worker JVM under {@code unshare} (rootless in a user
   * namespace when Maven is not root) that this build starts on its first RUN and stops at its end.
   */
  Sandbox sandbox(JbuildRoot jbuildRoot, dev.jbuild.build.event.BuildListener listener)
      throws MojoFailureException {
    String s = snapshotter == null ? "auto" : snapshotter.trim().toLowerCase(Locale.ROOT);
    if (!List.of("auto", "overlay", "copy").contains(s)) {
      throw new MojoFailureException(
          "invalid <snapshotter> \"" + snapshotter + "\" (jbuild.snapshotter): use auto, overlay or copy");
    }
    return new NamespaceSandbox(jbuildRoot, listener, s);
  }
}
