package dev.jbuild.build;

import dev.jbuild.build.context.BuildContext;
import dev.jbuild.build.context.ContextEntry;
import dev.jbuild.build.context.ContextException;
import dev.jbuild.build.context.SourceMatch;
import dev.jbuild.build.registry.ImageReference;
import dev.jbuild.build.registry.InvalidReferenceException;
import dev.jbuild.build.sandbox.CacheMounts;
import dev.jbuild.build.sandbox.ResolvedMount;
import dev.jbuild.build.sandbox.RunStep;
import dev.jbuild.cache.CacheKey;
import dev.jbuild.dockerfile.DockerfileException;
import dev.jbuild.dockerfile.SourceSpan;
import dev.jbuild.dockerfile.ir.CacheSharing;
import dev.jbuild.dockerfile.ir.Instruction;
import dev.jbuild.dockerfile.ir.MountType;
import dev.jbuild.dockerfile.ir.Run;
import dev.jbuild.dockerfile.ir.RunMount;
import dev.jbuild.oci.Descriptor;
import dev.jbuild.oci.Digest;
import dev.jbuild.oci.ImageConfig;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * {@code RUN --mount} on the engine side (spec §2.3; BuildKit's {@code dispatchRunMounts},
 * {@code dispatchSecret}, {@code dispatchSSH} and its mount manager): targets joined to WORKDIR,
 * ids defaulted, {@code from} resolved to a stage's or image's layers, the build context
 * selected through {@code .dockerignore}, secrets and SSH agents looked up in the request.
 *
 * <p>What a mount adds to the step's cache key besides its spec: the content of what it binds
 * or seeds from (context files by content, a stage by its filesystem key, an image by its
 * manifest). A cache mount's content, a secret's value and an agent never enter it.
 *
 * <p>Work that a cache hit must not pay for is done in {@link Prepared#acquire()}: the context
 * copy, the cache-mount lock, reading secret values.
 */
final class RunMounts {

  /** The build argument that namespaces cache mount ids (BuildKit). */
  static final String CACHE_NAMESPACE_ARG = "BUILDKIT_CACHE_MOUNT_NS";

  /** BuildKit's limit on a secret's size. */
  static final long MAX_SECRET_SIZE = 500 * 1024;

  private final BuildRun run;
  private final CacheMounts caches;

  RunMounts(BuildRun run, Path cacheMountsDir) {
    this.run = run;
    this.caches = new CacheMounts(cacheMountsDir);
  }

  /**
   * Checks, before any step runs, what can be known from the Dockerfile and the request: every
   * {@code --secret} file exists (as buildx checks them when it starts), and every required
   * secret or SSH mount whose id is literal was given.
   */
  void check(BuildPlan plan) {
    for (BuildRequest.Secret s : run.request().secrets()) {
      if (s.file().isPresent() && !Files.isRegularFile(s.file().get())) {
        throw new JbuildException(
            "--secret id=" + s.id() + ": failed to stat " + s.file().get()
                + ": no such file (give an existing file, or env=VAR for an environment variable)");
      }
    }
    for (BuildPlan.PlannedStage stage : plan.neededStages()) {
      for (Instruction i : stage.stage().instructions()) {
        if (!(i instanceof Run)) {
          continue;
        }
        for (RunMount m : ((Run) i).mounts()) {
          if (!m.required() || !m.unexpanded().isEmpty()) {
            continue;
          }
          if (m.type() == MountType.SECRET) {
            Optional<String> id = literal(secretId(m));
            if (id.isPresent() && run.request().secret(id.get()).isEmpty()) {
              throw missingSecret(id.get(), i.span());
            }
          } else if (m.type() == MountType.SSH) {
            Optional<String> id = literal(Optional.of(m.id().orElse("default")));
            if (id.isPresent() && run.request().ssh(id.get()).isEmpty()) {
              throw missingSsh(id.get(), i.span());
            }
          }
        }
      }
    }
  }

  private static Optional<String> literal(Optional<String> v) {
    return v.filter(s -> !s.isEmpty() && s.indexOf('$') < 0);
  }

  /** A secret's id: {@code id}, else {@code source}, else the target's base name. */
  private static Optional<String> secretId(RunMount m) {
    if (m.id().isPresent() && !m.id().get().isEmpty()) {
      return m.id();
    }
    if (m.source().isPresent() && !m.source().get().isEmpty()) {
      return m.source();
    }
    if (m.target().isPresent() && !m.target().get().isEmpty()) {
      return Optional.of(baseName(m.target().get()));
    }
    return Optional.empty();
  }

  private static String baseName(String p) {
    String c = SlashPaths.clean(p);
    if (c.equals("/")) {
      return "/";
    }
    int slash = c.lastIndexOf('/');
    return slash < 0 ? c : c.substring(slash + 1);
  }

  private static DockerfileException missingSecret(String id, SourceSpan span) {
    return new DockerfileException(
        "secret \"" + id + "\" is required but was not given: pass it with --secret id=" + id
            + ",src=FILE (or id=" + id + ",env=VAR)",
        span);
  }

  private static DockerfileException missingSsh(String id, SourceSpan span) {
    return new DockerfileException(
        "no SSH agent \"" + id + "\" forwarded: pass --ssh " + id
            + " (forwards $SSH_AUTH_SOCK) or --ssh " + id + "=/path/to/agent.sock",
        span);
  }

  /**
   * Resolves the expanded mounts of one RUN step.
   *
   * @param mounts the step's mounts, expanded
   * @param workdir the step's working directory
   * @throws DockerfileException for a mount that cannot work (bad target, missing required
   *     secret or agent, unknown {@code from})
   */
  Prepared prepare(StageExecutor stage, Run r, List<RunMount> mounts, String workdir) {
    SourceSpan span = stage.spanOf(r);
    List<String> keyFields = new ArrayList<>();
    List<Planned> planned = new ArrayList<>();
    String sshSocket = null;
    int sshIndex = 0;
    for (RunMount m : mounts) {
      switch (m.type()) {
        case BIND:
          planned.add(bind(stage, r, m, target(m, workdir, span), keyFields));
          break;
        case CACHE:
          planned.add(cache(stage, r, m, target(m, workdir, span), keyFields));
          break;
        case TMPFS:
          {
            ResolvedMount.Tmpfs t =
                new ResolvedMount.Tmpfs(target(m, workdir, span), m.size(), m.readOnly());
            planned.add(cleanups -> t);
            break;
          }
        case SECRET:
          {
            Planned p = secret(m, workdir, span);
            if (p != null) {
              planned.add(p);
            }
            break;
          }
        case SSH:
          {
            // BuildKit: /run/buildkit/ssh_agent.N by position among the step's ssh mounts, and
            // SSH_AUTH_SOCK for the first one (set even when an optional agent is absent)
            String target =
                m.target().isPresent() && !m.target().get().isEmpty()
                    ? target(m, workdir, span)
                    : "/run/buildkit/ssh_agent." + sshIndex;
            sshIndex++;
            if (sshSocket == null) {
              sshSocket = target;
            }
            Planned p = ssh(m, target, span);
            if (p != null) {
              planned.add(p);
            }
            break;
          }
        default:
          throw new IllegalStateException("mount type " + m.type());
      }
    }
    return new Prepared(span, keyFields, planned, sshSocket);
  }

  /**
   * The absolute, clean target: a relative one (or none) joins the working directory, as
   * BuildKit's {@code dispatchRunMounts} does; {@code /} is refused.
   */
  private static String target(RunMount m, String workdir, SourceSpan span) {
    String t = m.target().orElse("");
    String abs = t.startsWith("/") ? SlashPaths.clean(t) : SlashPaths.join("/", workdir, t);
    if (abs.equals("/")) {
      throw new DockerfileException("invalid mount target \"" + abs + "\"", span);
    }
    return abs;
  }

  /** A source path inside a context, stage or image, relative ({@code ""} for the root). */
  private static String sourcePath(RunMount m) {
    return SlashPaths.clean("/" + m.source().orElse("")).substring(1);
  }

  // ---- bind ----

  private Planned bind(
      StageExecutor stage, Run r, RunMount m, String target, List<String> keyFields) {
    String path = sourcePath(m);
    if (m.from().isPresent() && !m.from().get().isEmpty()) {
      From from = from(stage, r, m.from().get());
      keyFields.add("bind " + target + " from " + from.key());
      ResolvedMount.Bind b =
          new ResolvedMount.Bind(target, new ResolvedMount.Source.Layers(from.layers()), path, m.readOnly());
      return cleanups -> b;
    }
    BuildContext context = run.context();
    SourceSpan span = stage.spanOf(r);
    List<ContextEntry> entries;
    SourceMatch match;
    try {
      List<SourceMatch> matches = context.resolve(path.isEmpty() ? "/" : path);
      if (matches.size() != 1) {
        throw new DockerfileException(
            "mount source \"" + m.source().orElse("") + "\" must name one path of the build context,"
                + " it matched " + matches.size(),
            span);
      }
      match = matches.get(0);
      entries = context.walk(match, null, null);
    } catch (ContextException e) {
      throw new BuildStepException(
          span, "failed to compute cache key: mount source " + e.getMessage(), e);
    }
    Digest digest;
    try {
      digest = context.hasher().selectionDigest(entries);
    } catch (ContextException e) {
      throw new BuildStepException(span, e.getMessage(), e);
    }
    keyFields.add("bind " + target + " context " + match.type() + " " + digest);
    boolean readOnly = m.readOnly();
    return cleanups -> {
      Path copy = materialize(entries, match, span);
      cleanups.add(() -> TempTrees.deleteQuietly(copy));
      String inCopy = match.isDirectory() ? "" : match.name();
      return new ResolvedMount.Bind(target, new ResolvedMount.Source.Directory(copy), inCopy, readOnly);
    };
  }

  /**
   * A private copy of the selected context files under the jbuild root's {@code tmp/}: hard
   * links where the file system allows (the files are bound read-only, or under an overlay
   * when {@code rw}), else copies. Only what {@code .dockerignore} lets through is there.
   */
  private Path materialize(List<ContextEntry> entries, SourceMatch match, SourceSpan span) {
    Path tmp = run.store().blobs().root().tmp();
    Path base = null;
    try {
      Files.createDirectories(tmp);
      base = Files.createTempDirectory(tmp, "mount-");
      List<ContextEntry> dirs = new ArrayList<>();
      for (ContextEntry e : entries) {
        Path dest;
        if (match.isDirectory()) {
          dest = e.path().isEmpty() ? base : base.resolve(e.path());
        } else {
          dest = base.resolve(match.name());
        }
        switch (e.type()) {
          case DIRECTORY:
            Files.createDirectories(dest);
            dirs.add(e);
            break;
          case FILE:
            try {
              Files.createLink(dest, e.file());
            } catch (IOException | UnsupportedOperationException notHere) {
              Files.copy(e.file(), dest, StandardCopyOption.COPY_ATTRIBUTES);
            }
            break;
          case SYMLINK:
            Files.createSymbolicLink(dest, Path.of(e.linkTarget()));
            break;
          default:
            break;
        }
      }
      // modes and times last, deepest first, so that a read-only directory is filled first
      for (int i = dirs.size() - 1; i >= 0; i--) {
        ContextEntry e = dirs.get(i);
        Path dest = e.path().isEmpty() ? base : base.resolve(e.path());
        // all twelve bits, as in the context (TempTrees makes them writable again)
        Files.setAttribute(dest, "unix:mode", e.mode() & 07777);
        Files.setLastModifiedTime(dest, FileTime.from(e.mtime()));
      }
      return base;
    } catch (IOException | UncheckedIOException e) {
      if (base != null) {
        TempTrees.deleteQuietly(base);
      }
      throw new BuildStepException(
          span, "cannot prepare the build context for the bind mount: " + e.getMessage(), e);
    }
  }

  // ---- cache ----

  private Planned cache(
      StageExecutor stage, Run r, RunMount m, String target, List<String> keyFields) {
    // BuildKit: the id defaults to the target as written, cleaned; namespaced by
    // BUILDKIT_CACHE_MOUNT_NS; a seed (from/source, or uid/gid/mode on an empty directory)
    // is part of the cache's identity, so another seed is another cache
    String id =
        m.id().filter(v -> !v.isEmpty()).orElseGet(() -> SlashPaths.clean(m.target().orElse("")));
    String ns = run.request().buildArgs().getOrDefault(CACHE_NAMESPACE_ARG, "");
    StringBuilder key = new StringBuilder(ns).append('/').append(id);
    String path = sourcePath(m);
    boolean fileInfo = m.uid().isPresent() || m.gid().isPresent() || m.mode().isPresent();
    long uid = m.uid().orElse(0);
    long gid = m.gid().orElse(0);
    int mode = (int) m.mode().orElse(0755);
    Optional<ResolvedMount.Source> seed = Optional.empty();
    boolean fromGiven = m.from().isPresent() && !m.from().get().isEmpty();
    if (fromGiven && (!path.isEmpty() || !fileInfo)) {
      From from = from(stage, r, m.from().get());
      seed = Optional.of(new ResolvedMount.Source.Layers(from.layers()));
      key.append(":from:").append(from.key()).append(':').append(path);
      keyFields.add("cache " + target + " from " + from.key());
    } else if (fileInfo) {
      key.append(":dir:").append(uid).append(':').append(gid).append(':').append(Integer.toOctalString(mode));
      path = "";
    } else {
      path = "";
    }
    String cacheKey = key.toString();
    CacheSharing sharing = m.sharing().orElse(CacheSharing.SHARED);
    Optional<ResolvedMount.Source> seedSource = seed;
    String seedPath = path;
    boolean readOnly = m.readOnly();
    SourceSpan span = stage.spanOf(r);
    return cleanups -> {
      CacheMounts.Lease lease;
      try {
        lease = caches.acquire(cacheKey, sharing);
      } catch (UncheckedIOException e) {
        throw new BuildStepException(span, e.getMessage(), e);
      }
      cleanups.add(lease);
      return new ResolvedMount.Cache(
          target, lease.dir(), seedSource, seedPath, uid, gid, mode, readOnly);
    };
  }

  // ---- from ----

  /** What {@code from=} names: layers to stack and the identity that goes into the key. */
  private record From(List<RunStep.Layer> layers, String key) {}

  /** Resolves {@code from}: a stage of the Dockerfile (name or index), else an image. */
  private From from(StageExecutor stage, Run r, String from) {
    SourceSpan span = stage.spanOf(r);
    Optional<Integer> index = run.plan().stageIndex(from);
    if (index.isPresent()) {
      StageResult s = run.stageResult(index.get());
      return new From(layers(s.layers(), s.config()), "stage " + s.fsKey());
    }
    ImageReference ref;
    try {
      ref = ImageReference.parse(from);
    } catch (InvalidReferenceException e) {
      throw new DockerfileException(
          "--mount from=" + from + ": there is no stage of that name, and it is not an image"
              + " reference either (" + e.getMessage() + ")",
          span);
    }
    BaseImages.Resolved image;
    try {
      image = run.baseImages().resolve(ref, stage.platform(), span);
    } catch (BuildStepException e) {
      throw new BuildStepException(
          e.span(),
          "--mount from=" + from + ": no stage of the Dockerfile has that name, so it was taken"
              + " as an image, and " + e.getMessage(),
          e);
    }
    return new From(
        layers(image.manifest().layers(), image.config()),
        "image " + image.manifestDescriptor().digest());
  }

  private List<RunStep.Layer> layers(List<Descriptor> descriptors, ImageConfig config) {
    List<Digest> diffIds = config.rootfs().diffIds();
    List<RunStep.Layer> out = new ArrayList<>();
    for (int k = 0; k < descriptors.size(); k++) {
      out.add(new RunStep.Layer(run.store().blobs().path(descriptors.get(k).digest()), diffIds.get(k)));
    }
    return out;
  }

  // ---- secret ----

  private Planned secret(RunMount m, String workdir, SourceSpan span) {
    Optional<String> maybeId = secretId(m);
    if (maybeId.isEmpty()) {
      throw new DockerfileException("invalid secret mount: one of source, target required", span);
    }
    String id = maybeId.get();
    Optional<String> env = m.env();
    if (env.isPresent() && env.get().isEmpty()) {
      throw new DockerfileException(
          "secret mount env= needs a variable name (env=NAME), or leave it out for a file", span);
    }
    String target = "";
    if (m.target().isPresent() && !m.target().get().isEmpty()) {
      target = target(m, workdir, span);
    } else if (env.isEmpty()) {
      target = "/run/secrets/" + baseName(id);
    }
    Optional<BuildRequest.Secret> source = run.request().secret(id);
    if (source.isEmpty()) {
      if (m.required()) {
        throw missingSecret(id, span);
      }
      return null;
    }
    String file = target;
    long uid = m.uid().orElse(0);
    long gid = m.gid().orElse(0);
    int mode = (int) m.mode().orElse(0400);
    return cleanups -> new ResolvedMount.Secret(file, id, env, read(source.get(), span), uid, gid, mode);
  }

  /** A secret's value, read now into memory (never copied to disk). */
  private static byte[] read(BuildRequest.Secret s, SourceSpan span) {
    if (s.env().isPresent()) {
      // BuildKit's secrets provider: an unset variable is an empty secret
      String v = System.getenv(s.env().get());
      return v == null ? new byte[0] : v.getBytes(java.nio.charset.StandardCharsets.UTF_8);
    }
    Path file = s.file().get();
    try (InputStream in = Files.newInputStream(file)) {
      byte[] value = in.readNBytes((int) MAX_SECRET_SIZE + 1);
      if (value.length > MAX_SECRET_SIZE) {
        throw new BuildStepException(span, "secret " + s.id() + " too big. max size 500KB");
      }
      return value;
    } catch (NoSuchFileException e) {
      throw new BuildStepException(span, "secret " + s.id() + ": " + file + " does not exist", e);
    } catch (AccessDeniedException e) {
      throw new BuildStepException(span, "secret " + s.id() + ": cannot read " + file + " (permission denied)", e);
    } catch (IOException e) {
      throw new BuildStepException(span, "secret " + s.id() + ": cannot read " + file + ": " + e.getMessage(), e);
    }
  }

  // ---- ssh ----

  private Planned ssh(RunMount m, String target, SourceSpan span) {
    if (m.source().isPresent() && !m.source().get().isEmpty()) {
      throw new DockerfileException("ssh does not support source", span);
    }
    String id = m.id().filter(v -> !v.isEmpty()).orElse("default");
    Optional<BuildRequest.Ssh> agent = run.request().ssh(id);
    if (agent.isEmpty()) {
      if (m.required()) {
        throw missingSsh(id, span);
      }
      return null;
    }
    Path socket = agent.get().socket();
    long uid = m.uid().orElse(0);
    long gid = m.gid().orElse(0);
    int mode = (int) m.mode().orElse(0600);
    return cleanups -> {
      checkSocket(id, socket, span);
      return new ResolvedMount.Ssh(target, id, socket, uid, gid, mode);
    };
  }

  private static void checkSocket(String id, Path socket, SourceSpan span) {
    BasicFileAttributes a;
    try {
      a = Files.readAttributes(socket, BasicFileAttributes.class);
    } catch (IOException e) {
      throw new BuildStepException(
          span, "--ssh " + id + "=" + socket + ": the agent socket does not exist (is ssh-agent"
              + " running? eval $(ssh-agent) and ssh-add start one)", e);
    }
    if (a.isRegularFile()) {
      throw new BuildStepException(
          span, "--ssh " + id + "=" + socket + " is a file: jbuild forwards agent sockets only;"
              + " load the key with ssh-add and forward the agent (--ssh " + id + ")");
    }
    if (!a.isOther()) {
      throw new BuildStepException(span, "--ssh " + id + "=" + socket + " is not a socket");
    }
  }

  // ---- what a step gets ----

  /** How one mount becomes a {@link ResolvedMount} when the step really runs. */
  private interface Planned {
    ResolvedMount acquire(List<AutoCloseable> cleanups);
  }

  /** One step's mounts, resolved; nothing held until {@link #acquire()}. */
  static final class Prepared {
    private final SourceSpan span;
    private final List<String> keyFields;
    private final List<Planned> planned;
    private final String sshSocket;

    private Prepared(SourceSpan span, List<String> keyFields, List<Planned> planned, String sshSocket) {
      this.span = span;
      this.keyFields = List.copyOf(keyFields);
      this.planned = List.copyOf(planned);
      this.sshSocket = sshSocket;
    }

    /** Adds what the mounts read (beyond their specs) to the step's key. */
    void addKeyFields(CacheKey.Builder key) {
      for (String f : keyFields) {
        key.field("mount-input", f);
      }
    }

    /** The process environment: {@code SSH_AUTH_SOCK} is added for an ssh mount, as BuildKit. */
    List<String> env(List<String> env) {
      if (sshSocket == null) {
        return env;
      }
      for (String e : env) {
        if (e.startsWith("SSH_AUTH_SOCK=")) {
          return env;
        }
      }
      List<String> out = new ArrayList<>(env);
      out.add("SSH_AUTH_SOCK=" + sshSocket);
      return out;
    }

    /**
     * Takes what the step holds while it runs: cache-mount leases (waiting for {@code locked}),
     * the context copies, the secret values. Closing releases them.
     */
    Acquired acquire() {
      List<AutoCloseable> cleanups = new ArrayList<>();
      List<ResolvedMount> mounts = new ArrayList<>();
      try {
        for (Planned p : planned) {
          mounts.add(p.acquire(cleanups));
        }
      } catch (RuntimeException | Error e) {
        new Acquired(List.of(), cleanups).close();
        throw e;
      }
      return new Acquired(mounts, cleanups);
    }

    SourceSpan span() {
      return span;
    }
  }

  /** The mounts a running step holds. */
  static final class Acquired implements AutoCloseable {
    private final List<ResolvedMount> mounts;
    private final List<AutoCloseable> cleanups;

    private Acquired(List<ResolvedMount> mounts, List<AutoCloseable> cleanups) {
      this.mounts = List.copyOf(mounts);
      this.cleanups = cleanups;
    }

    List<ResolvedMount> mounts() {
      return mounts;
    }

    /**
     * {@code step} with these mounts; a secret exposed as a variable ({@code env=}) joins the
     * environment of this copy of the step only, which goes to the sandbox and nowhere else
     * (the cache key and the history are made from the stage's variables).
     */
    RunStep apply(RunStep step) {
      List<String> env = new ArrayList<>(step.env());
      for (ResolvedMount m : mounts) {
        if (m instanceof ResolvedMount.Secret && ((ResolvedMount.Secret) m).env().isPresent()) {
          ResolvedMount.Secret s = (ResolvedMount.Secret) m;
          String prefix = s.env().get() + "=";
          env.removeIf(e -> e.startsWith(prefix));
          env.add(prefix + new String(s.value(), java.nio.charset.StandardCharsets.UTF_8));
        }
      }
      return step.withResolvedMounts(mounts, env);
    }

    @Override
    public void close() {
      for (int i = cleanups.size() - 1; i >= 0; i--) {
        try {
          cleanups.get(i).close();
        } catch (Exception ignored) {
          // releasing the rest matters more; a leftover copy is removed by prune
        }
      }
      cleanups.clear();
    }
  }
}
