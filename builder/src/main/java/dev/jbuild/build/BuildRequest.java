package dev.jbuild.build;

import dev.jbuild.layer.Compression;
import dev.jbuild.oci.Platform;
import java.io.InputStream;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * Everything one build needs to know, as {@code docker build}'s flags say it. Made with {@link
 * #builder(Path)} (a context directory) or {@link #builder(InputStream)} (a context tar, {@code
 * jbuild build -}); immutable.
 *
 * @param context where the build context comes from
 * @param dockerfile the Dockerfile: a path on disk for a directory context (default {@code
 *     CONTEXT/Dockerfile}), a path inside the archive for a tar context (default {@code
 *     Dockerfile})
 * @param tags the {@code -t} names, as given
 * @param buildArgs the {@code --build-arg} values, in order
 * @param target the {@code --target} stage
 * @param platforms the {@code --platform} values; empty means the machine's platform, several
 *     build one image each under an OCI index
 * @param pull when base images are pulled
 * @param noCache {@code --no-cache}: no cache lookups (results are still recorded)
 * @param labels {@code --label} values, merged into the image's labels at the end
 * @param outputs where the image goes; empty means the local store
 * @param push {@code --push}: push every tag to its registry too
 * @param sourceDateEpoch {@code SOURCE_DATE_EPOCH}: history and config times, layer mtimes
 *     clamped
 * @param iidFile {@code --iidfile}: where to write the image ID
 * @param metadataFile {@code --metadata-file}: where to write the build's JSON metadata
 * @param compression how new layers are compressed (gzip by default, as BuildKit; zstd is
 *     several times faster to write and read by containerd 1.5+, Docker 23+ and podman)
 * @param secrets the {@code --secret} sources, by id (the last one given for an id wins); their
 *     values are read only when a RUN mounts them, and never stored
 * @param ssh the {@code --ssh} agent sockets, by id
 */
public record BuildRequest(
    ContextSource context,
    Optional<Path> dockerfile,
    List<String> tags,
    Map<String, String> buildArgs,
    Optional<String> target,
    List<Platform> platforms,
    PullPolicy pull,
    boolean noCache,
    Map<String, String> labels,
    List<OutputSpec> outputs,
    boolean push,
    Optional<Instant> sourceDateEpoch,
    Optional<Path> iidFile,
    Optional<Path> metadataFile,
    Compression compression,
    List<Secret> secrets,
    List<Ssh> ssh) {

  /** Where the build context comes from. */
  public sealed interface ContextSource {
    /** A directory on disk. */
    record Directory(Path dir) implements ContextSource {
      public Directory {
        Objects.requireNonNull(dir, "dir");
      }
    }

    /** A tar stream (plain, gzip or bzip2), read once. */
    record Tar(InputStream stream) implements ContextSource {
      public Tar {
        Objects.requireNonNull(stream, "stream");
      }
    }
  }

  public BuildRequest {
    Objects.requireNonNull(context, "context");
    Objects.requireNonNull(dockerfile, "dockerfile");
    tags = List.copyOf(tags);
    buildArgs = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(buildArgs));
    Objects.requireNonNull(target, "target");
    platforms = List.copyOf(platforms);
    Objects.requireNonNull(pull, "pull");
    labels = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(labels));
    outputs = List.copyOf(outputs);
    Objects.requireNonNull(sourceDateEpoch, "sourceDateEpoch");
    Objects.requireNonNull(iidFile, "iidFile");
    Objects.requireNonNull(metadataFile, "metadataFile");
    Objects.requireNonNull(compression, "compression");
    secrets = List.copyOf(secrets);
    ssh = List.copyOf(ssh);
  }

  /** The same request with another {@code SOURCE_DATE_EPOCH}. */
  public BuildRequest withSourceDateEpoch(Instant epoch) {
    return new BuildRequest(
        context, dockerfile, tags, buildArgs, target, platforms, pull, noCache, labels, outputs,
        push, Optional.of(epoch), iidFile, metadataFile, compression, secrets, ssh);
  }

  /** The secret source for {@code id}, if the build was given one (the last one wins). */
  public Optional<Secret> secret(String id) {
    for (int i = secrets.size() - 1; i >= 0; i--) {
      if (secrets.get(i).id().equals(id)) {
        return Optional.of(secrets.get(i));
      }
    }
    return Optional.empty();
  }

  /** The agent forwarded for {@code id}, if the build was given one (the last one wins). */
  public Optional<Ssh> ssh(String id) {
    for (int i = ssh.size() - 1; i >= 0; i--) {
      if (ssh.get(i).id().equals(id)) {
        return Optional.of(ssh.get(i));
      }
    }
    return Optional.empty();
  }

  /**
   * Where a build secret comes from ({@code --secret}, docker buildx syntax): a file or an
   * environment variable of the jbuild process. Holds no value: the value is read when a RUN
   * step mounts the secret, kept in memory and handed to the sandbox, never written to disk.
   *
   * @param id the id RUN {@code --mount=type=secret,id=…} names
   * @param file the file holding the value
   * @param env the environment variable holding the value
   */
  public record Secret(String id, Optional<Path> file, Optional<String> env) {
    public Secret {
      Objects.requireNonNull(id, "id");
      Objects.requireNonNull(file, "file");
      Objects.requireNonNull(env, "env");
      if (id.isEmpty()) {
        throw new IllegalArgumentException("secret missing ID");
      }
      if (file.isPresent() == env.isPresent()) {
        throw new IllegalArgumentException("secret " + id + ": give exactly one of a file or an env");
      }
    }

    /** A secret read from {@code file}. */
    public static Secret ofFile(String id, Path file) {
      return new Secret(id, Optional.of(file), Optional.empty());
    }

    /** A secret read from the environment variable {@code name}. */
    public static Secret ofEnv(String id, String name) {
      return new Secret(id, Optional.empty(), Optional.of(name));
    }

    /**
     * Parses a {@code --secret} value as docker buildx does: CSV of {@code id=}, {@code src=} or
     * {@code source=}, {@code env=} and {@code type=file|env}. With neither a source nor an env,
     * the environment variable named like the id is used when it is set, else the file named
     * like the id (BuildKit's secrets provider).
     *
     * @param environment the environment the env sources are looked up in
     * @throws IllegalArgumentException with the reason, for the command line to report
     */
    public static Secret parse(String spec, Map<String, String> environment) {
      String id = null;
      String src = null;
      String env = null;
      String type = null;
      for (String field : csv(spec, "--secret")) {
        int eq = field.indexOf('=');
        if (eq < 0) {
          throw new IllegalArgumentException(
              "invalid --secret \"" + spec + "\": field '" + field + "' must be a key=value pair");
        }
        String key = field.substring(0, eq).toLowerCase(java.util.Locale.ROOT);
        String value = field.substring(eq + 1);
        switch (key) {
          case "type":
            if (!value.equals("file") && !value.equals("env")) {
              throw new IllegalArgumentException(
                  "invalid --secret \"" + spec + "\": unsupported secret type \"" + value
                      + "\" (use file or env)");
            }
            type = value;
            break;
          case "id":
            id = value;
            break;
          case "src":
          case "source":
            src = value;
            break;
          case "env":
            env = value;
            break;
          default:
            throw new IllegalArgumentException(
                "invalid --secret \"" + spec + "\": unexpected key '" + key + "' in '" + field
                    + "' (use id, src, env, type)");
        }
      }
      if ("env".equals(type) && env == null) {
        env = src;
        src = null;
      }
      if (id == null || id.isEmpty()) {
        throw new IllegalArgumentException(
            "invalid --secret \"" + spec + "\": the id is missing (id=NAME,src=FILE or id=NAME,env=VAR)");
      }
      if (src != null && env != null) {
        throw new IllegalArgumentException(
            "invalid --secret \"" + spec + "\": give either src or env, not both");
      }
      if (src == null && env == null) {
        if (environment.containsKey(id)) {
          env = id;
        } else {
          src = id;
        }
      }
      if (env != null) {
        if (env.isEmpty()) {
          throw new IllegalArgumentException("invalid --secret \"" + spec + "\": env is empty");
        }
        return ofEnv(id, env);
      }
      if (src.isEmpty()) {
        throw new IllegalArgumentException("invalid --secret \"" + spec + "\": src is empty");
      }
      try {
        return ofFile(id, Path.of(src));
      } catch (java.nio.file.InvalidPathException e) {
        throw new IllegalArgumentException("invalid --secret \"" + spec + "\": " + e.getMessage());
      }
    }
  }

  /**
   * An SSH agent forwarded to RUN {@code --mount=type=ssh} ({@code --ssh}, docker buildx
   * syntax).
   *
   * @param id the id the mount names ({@code default} unless given)
   * @param socket the agent's socket on this machine
   */
  public record Ssh(String id, Path socket) {
    public Ssh {
      Objects.requireNonNull(id, "id");
      Objects.requireNonNull(socket, "socket");
      if (id.isEmpty()) {
        throw new IllegalArgumentException("ssh id is empty");
      }
    }

    /**
     * Parses a {@code --ssh} value: {@code ID[=SOCKET]}, where a missing socket is {@code
     * $SSH_AUTH_SOCK}. buildx also accepts private key files (it runs an agent for them);
     * jbuild forwards agent sockets only and says so.
     *
     * @throws IllegalArgumentException with the reason, for the command line to report
     */
    public static Ssh parse(String spec, Map<String, String> environment) {
      int eq = spec.indexOf('=');
      String id = eq < 0 ? spec : spec.substring(0, eq);
      if (id.isEmpty()) {
        throw new IllegalArgumentException(
            "invalid --ssh \"" + spec + "\": the id is empty (use default or default=SOCKET)");
      }
      String path;
      if (eq < 0) {
        path = environment.get("SSH_AUTH_SOCK");
        if (path == null || path.isEmpty()) {
          throw new IllegalArgumentException(
              "--ssh " + spec + ": invalid empty ssh agent socket: make sure SSH_AUTH_SOCK is set"
                  + " (start an agent with eval $(ssh-agent) and ssh-add), or give one: --ssh "
                  + id + "=/path/to/agent.sock");
        }
      } else {
        path = spec.substring(eq + 1);
        if (path.contains(",")) {
          throw new IllegalArgumentException(
              "--ssh " + spec + ": only one agent socket per id can be forwarded");
        }
        if (path.isEmpty()) {
          throw new IllegalArgumentException("--ssh " + spec + ": the socket path is empty");
        }
      }
      Path socket;
      try {
        socket = Path.of(path);
      } catch (java.nio.file.InvalidPathException e) {
        throw new IllegalArgumentException("--ssh " + spec + ": " + e.getMessage());
      }
      return new Ssh(id, socket);
    }
  }

  /** Splits a comma-separated value as Go's CSV reader does (quotes allowed). */
  private static List<String> csv(String spec, String flag) {
    List<String> out = new ArrayList<>();
    StringBuilder cur = new StringBuilder();
    boolean quoted = false;
    boolean fieldStart = true;
    for (int i = 0; i < spec.length(); i++) {
      char c = spec.charAt(i);
      if (quoted) {
        if (c == '"') {
          if (i + 1 < spec.length() && spec.charAt(i + 1) == '"') {
            cur.append('"');
            i++;
          } else {
            quoted = false;
          }
        } else {
          cur.append(c);
        }
      } else if (c == '"' && fieldStart) {
        quoted = true;
        fieldStart = false;
      } else if (c == ',') {
        out.add(cur.toString());
        cur.setLength(0);
        fieldStart = true;
      } else {
        cur.append(c);
        fieldStart = false;
      }
    }
    if (quoted) {
      throw new IllegalArgumentException("invalid " + flag + " \"" + spec + "\": unterminated quote");
    }
    out.add(cur.toString());
    return out;
  }

  /** A request for the context directory {@code dir}. */
  public static Builder builder(Path dir) {
    return new Builder(new ContextSource.Directory(dir));
  }

  /** A request whose context is a tar stream. */
  public static Builder builder(InputStream contextTar) {
    return new Builder(new ContextSource.Tar(contextTar));
  }

  /** The outputs in effect: the local store when none were asked for, plus a push. */
  public List<OutputSpec> effectiveOutputs() {
    List<OutputSpec> out = new ArrayList<>(outputs);
    if (out.isEmpty()) {
      out.add(OutputSpec.localStore());
    }
    if (push && out.stream().noneMatch(o -> o.type() == OutputSpec.Type.REGISTRY)) {
      out.add(OutputSpec.registry());
    }
    return out;
  }

  /** Collects the fields of a request. */
  public static final class Builder {
    private final ContextSource context;
    private Path dockerfile;
    private final List<String> tags = new ArrayList<>();
    private final Map<String, String> buildArgs = new LinkedHashMap<>();
    private String target;
    private final List<Platform> platforms = new ArrayList<>();
    private PullPolicy pull = PullPolicy.MISSING;
    private boolean noCache;
    private final Map<String, String> labels = new LinkedHashMap<>();
    private final List<OutputSpec> outputs = new ArrayList<>();
    private boolean push;
    private Instant sourceDateEpoch;
    private Path iidFile;
    private Path metadataFile;
    private Compression compression = Compression.GZIP;
    private final List<Secret> secrets = new ArrayList<>();
    private final List<Ssh> ssh = new ArrayList<>();

    private Builder(ContextSource context) {
      this.context = context;
    }

    public Builder dockerfile(Path v) {
      dockerfile = v;
      return this;
    }

    public Builder tag(String v) {
      tags.add(v);
      return this;
    }

    public Builder tags(List<String> v) {
      tags.addAll(v);
      return this;
    }

    public Builder buildArg(String name, String value) {
      buildArgs.put(name, value);
      return this;
    }

    public Builder buildArgs(Map<String, String> v) {
      buildArgs.putAll(v);
      return this;
    }

    public Builder target(String v) {
      target = v;
      return this;
    }

    public Builder platform(Platform v) {
      platforms.add(v);
      return this;
    }

    public Builder pull(PullPolicy v) {
      pull = v;
      return this;
    }

    public Builder noCache(boolean v) {
      noCache = v;
      return this;
    }

    public Builder label(String name, String value) {
      labels.put(name, value);
      return this;
    }

    public Builder output(OutputSpec v) {
      outputs.add(v);
      return this;
    }

    public Builder push(boolean v) {
      push = v;
      return this;
    }

    public Builder sourceDateEpoch(Instant v) {
      sourceDateEpoch = v;
      return this;
    }

    public Builder iidFile(Path v) {
      iidFile = v;
      return this;
    }

    public Builder metadataFile(Path v) {
      metadataFile = v;
      return this;
    }

    public Builder compression(Compression v) {
      compression = v;
      return this;
    }

    public Builder secret(Secret v) {
      secrets.add(v);
      return this;
    }

    public Builder ssh(Ssh v) {
      ssh.add(v);
      return this;
    }

    public BuildRequest build() {
      return new BuildRequest(
          context,
          Optional.ofNullable(dockerfile),
          tags,
          buildArgs,
          Optional.ofNullable(target),
          platforms,
          pull,
          noCache,
          labels,
          outputs,
          push,
          Optional.ofNullable(sourceDateEpoch),
          Optional.ofNullable(iidFile),
          Optional.ofNullable(metadataFile),
          compression,
          secrets,
          ssh);
    }
  }
}
