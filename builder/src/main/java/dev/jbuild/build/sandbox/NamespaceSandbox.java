package dev.jbuild.build.sandbox;

import dev.jbuild.build.BuildStepException;
import dev.jbuild.build.JbuildException;
import dev.jbuild.build.event.BuildEvent;
import dev.jbuild.build.event.BuildListener;
import dev.jbuild.cache.JbuildRoot;
import dev.jbuild.dockerfile.ir.NetworkMode;
import dev.jbuild.dockerfile.ir.RunMount;
import dev.jbuild.dockerfile.ir.SecurityMode;
import dev.jbuild.layer.LayerBlob;
import dev.jbuild.oci.Digest;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The sandbox that runs RUN steps in Linux namespaces, rootless or as root. A JVM cannot
 * unshare itself, and a cached rebuild must not pay for namespaces, so the steps go to a
 * {@link SandboxWorker}: a second JVM of the same jar, started at the first step that
 * actually runs, under {@code unshare} (see {@link WorkerLaunch}), talking over its stdin and
 * stdout. Several steps (parallel stages) share one worker. The worker dies with its stdin:
 * {@link #close()} ends it, and so does a kill of this process, which leaves no process and no
 * mount behind (the mounts live in the worker's mount namespace; every step's processes have
 * a parent-death signal).
 *
 * <p>Thread-safe. Usable for many builds; close it when done.
 */
public final class NamespaceSandbox implements Sandbox {
  private static final Duration START_TIMEOUT = Duration.ofSeconds(60);
  /** How long {@link Started#cancel} waits for the worker to give a step up. */
  private static final Duration CANCEL_TIMEOUT = Duration.ofSeconds(30);
  private static final int STDERR_LINES = 40;

  private final JbuildRoot root;
  private final BuildListener listener;
  private final String snapshotter;
  private final AtomicLong ids = new AtomicLong();
  private Worker worker;
  private boolean closed;
  /** Whether a warm-up started a worker (or is starting one) since the last {@link #close()}. */
  private boolean warming;
  /** How often {@link #close()} ran: a warm-up scheduled before a close starts nothing. */
  private long closes;

  /**
   * @param root the jbuild root (extracted layers and run directories live below it)
   * @param listener receives warnings (for example a one-id user namespace)
   * @param snapshotter {@code auto} (overlayfs where the kernel allows it, else a copy),
   *     {@code overlay} or {@code copy}
   */
  public NamespaceSandbox(JbuildRoot root, BuildListener listener, String snapshotter) {
    this.root = Objects.requireNonNull(root, "root");
    this.listener = Objects.requireNonNull(listener, "listener");
    this.snapshotter = Objects.requireNonNull(snapshotter, "snapshotter");
    if (!List.of("auto", "overlay", "copy").contains(snapshotter)) {
      throw new IllegalArgumentException(
          "--snapshotter must be auto, overlay or copy, not \"" + snapshotter + "\"");
    }
  }

  /** With the automatic snapshotter. */
  public NamespaceSandbox(JbuildRoot root, BuildListener listener) {
    this(root, listener, "auto");
  }

  @Override
  public LayerBlob run(RunStep step, OutputStream layerOut) {
    return run(step, layerOut, index -> {});
  }

  @Override
  public LayerBlob run(
      RunStep step, OutputStream layerOut, java.util.function.Consumer<byte[]> headerIndex) {
    return begin(step, layerOut, headerIndex, false).layer();
  }

  /**
   * Starts the step with the worker's answer {@link WorkerProtocol.Ran} asked for, and waits for
   * it: the worker sends it after the process, before the layer, when its snapshotter can freeze
   * the step's changes.
   */
  @Override
  public Started start(
      RunStep step, OutputStream layerOut, java.util.function.Consumer<byte[]> headerIndex) {
    InFlight f = begin(step, layerOut, headerIndex, true);
    f.awaitProcess();
    return f;
  }

  private InFlight begin(RunStep step, OutputStream layerOut,
      java.util.function.Consumer<byte[]> headerIndex, boolean early) {
    if (step.security() == SecurityMode.INSECURE) {
      throw new BuildStepException(step.span(),
          "RUN --security=insecure is not supported: jbuild runs every step unprivileged in"
              + " its namespaces; remove the flag (or build this Dockerfile with BuildKit and"
              + " the security.insecure entitlement)");
    }
    RunPreparation preparation = RunPreparation.find();
    Map<String, byte[]> extra = Map.of();
    if (!step.mounts().isEmpty()) {
      if (preparation == null) {
        throw new BuildStepException(step.span(),
            "RUN --mount is not available yet in this version of jbuild: remove the --mount"
                + " flag (copy what the step needs with COPY first)");
      }
      preparation.check(step);
      extra = preparation.parentData(step);
    }
    Worker w = worker(step);
    long id = ids.incrementAndGet();
    Pending pending = new Pending(step, layerOut);
    w.pending.put(id, pending);
    try {
      w.send(new WorkerProtocol.RunRequest(id, spec(step, extra), early));
    } catch (IOException e) {
      w.pending.remove(id);
      throw new BuildStepException(step.span(), "the sandbox worker is gone: " + w.diagnostics());
    }
    return new InFlight(w, id, pending, headerIndex);
  }

  /** A step sent to the worker, until its answer. */
  private static final class InFlight implements Started {
    private final Worker w;
    private final long id;
    private final Pending pending;
    private final java.util.function.Consumer<byte[]> headerIndex;
    private boolean ran;
    private LayerBlob blob;

    InFlight(Worker w, long id, Pending pending,
        java.util.function.Consumer<byte[]> headerIndex) {
      this.w = w;
      this.id = id;
      this.pending = pending;
      this.headerIndex = headerIndex;
    }

    /** Waits until the process ended: {@link WorkerProtocol.Ran}, or the whole answer. */
    void awaitProcess() {
      ran = await(pending.ran) != null;
      if (!ran) {
        layer(); // throws a failure now
      }
    }

    /**
     * The worker's answer {@code f}: an interrupt cancels the step, a worker gone fails it;
     * either way the step is no longer pending.
     */
    private <T> T await(CompletableFuture<T> f) {
      try {
        return f.get();
      } catch (InterruptedException e) {
        throw interrupted();
      } catch (ExecutionException e) {
        w.pending.remove(id);
        throw new BuildStepException(pending.step.span(), e.getCause().getMessage(),
            e.getCause());
      }
    }

    private BuildStepException interrupted() {
      try {
        w.send(new WorkerProtocol.Cancel(id));
      } catch (IOException ignored) {
        // the worker is gone, and so is the step
      }
      w.pending.remove(id);
      Thread.currentThread().interrupt();
      return new BuildStepException(pending.step.span(), "interrupted");
    }

    @Override
    public RunStep.Layer early() {
      return ran ? new RunStep.Layer(null, null, id) : null;
    }

    @Override
    public LayerBlob layer() {
      if (blob != null) {
        return blob;
      }
      RunStep step = pending.step;
      WorkerProtocol.Message answer = await(pending.result);
      w.pending.remove(id);
      if (pending.writeFailure != null) {
        throw new BuildStepException(step.span(),
            "cannot write the layer: " + pending.writeFailure.getMessage(), pending.writeFailure);
      }
      if (answer instanceof WorkerProtocol.Failed) {
        throw failure(step, (WorkerProtocol.Failed) answer);
      }
      WorkerProtocol.Done done = (WorkerProtocol.Done) answer;
      if (done.headerIndex() != null) {
        headerIndex.accept(done.headerIndex());
      }
      blob = new LayerBlob(Digest.parse(done.diffId()), Digest.parse(done.digest()), done.size(),
          done.mediaType());
      return blob;
    }

    @Override
    public void cancel() {
      if (!pending.result.isDone()) {
        try {
          w.send(new WorkerProtocol.Cancel(id));
        } catch (IOException ignored) {
          // the worker is gone, and so is the step
        }
        try {
          pending.result.get(CANCEL_TIMEOUT.toSeconds(), TimeUnit.SECONDS);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        } catch (ExecutionException | TimeoutException e) {
          // gone with the worker, or stuck: closing the sandbox ends the worker
        }
      }
      w.pending.remove(id);
    }
  }

  private static BuildStepException failure(RunStep step, WorkerProtocol.Failed f) {
    StringBuilder sb = new StringBuilder();
    if (f.exitCode() > 0) {
      sb.append("process \"").append(String.join(" ", step.args()))
          .append("\" did not complete successfully: exit code: ").append(f.exitCode());
    } else {
      sb.append(f.message());
    }
    if (!f.tail().isEmpty()) {
      sb.append("\nlast output:");
      for (String line : f.tail()) {
        sb.append("\n  ").append(line);
      }
    }
    return new BuildStepException(step.span(), sb.toString());
  }

  /** How the worker finds layer {@code l}: its blob and diffID, or the step that announced it. */
  private static WorkerProtocol.LayerRef ref(RunStep.Layer l) {
    return l.early() ? WorkerProtocol.LayerRef.early(l.earlyStep())
        : new WorkerProtocol.LayerRef(l.blob().toAbsolutePath().toString(), l.diffId().toString());
  }

  private static WorkerProtocol.StepSpec spec(RunStep step, Map<String, byte[]> extra) {
    List<WorkerProtocol.LayerRef> layers = new ArrayList<>();
    for (RunStep.Layer l : step.layers()) {
      layers.add(ref(l));
    }
    List<String> mounts = new ArrayList<>();
    for (RunMount m : step.mounts()) {
      mounts.add(m.toSpec());
    }
    List<WorkerProtocol.Pipe> pipes = new ArrayList<>();
    for (RunStep.InlineFile f : step.pipes()) {
      pipes.add(new WorkerProtocol.Pipe(f.name(), f.content(), f.mode()));
    }
    String network = step.network() == NetworkMode.NONE ? "none"
        : step.network().name().toLowerCase(Locale.ROOT);
    dev.jbuild.layer.LayerWriter.Options o = step.layerOptions();
    java.io.ByteArrayOutputStream resolved = new java.io.ByteArrayOutputStream();
    try (DataOutputStream d = new DataOutputStream(resolved)) {
      ResolvedMount.writeAll(step.resolvedMounts(), d);
    } catch (IOException e) {
      throw new IllegalStateException(e); // in memory
    }
    return new WorkerProtocol.StepSpec(step.args(), step.env(), step.user(), step.workdir(),
        layers, mounts, network, pipes, o.compression().name(), o.level(),
        o.sourceDateEpoch() == null ? Long.MIN_VALUE : o.sourceDateEpoch().getEpochSecond(),
        resolved.toByteArray(), extra);
  }

  /**
   * Deletes what killed builds left: run directories of workers that are gone, and extracted
   * layers not in {@code keepDiffIds} and unused for {@code grace}; with {@code cacheMounts}
   * also the {@code RUN --mount=type=cache} directories that no build holds. Starts a worker
   * (the files are owned by ids of its user namespace) only when there is something to look at.
   *
   * @return a one-line summary
   */
  public String prune(Collection<Digest> keepDiffIds, Duration grace, boolean cacheMounts) {
    java.nio.file.Path layers = root.layers();
    java.nio.file.Path tmp = root.tmp();
    if (!hasEntries(layers) && !hasRunDirs(tmp)
        && !(cacheMounts && hasEntries(root.dir().resolve(CacheMounts.DIR)))) {
      return "no sandbox leftovers";
    }
    Worker w;
    synchronized (this) {
      w = startedWorker(null);
    }
    List<String> keep = keepDiffIds.stream().map(Digest::toString).toList();
    WorkerProtocol.Pruned p = (WorkerProtocol.Pruned) ask(w,
        id -> new WorkerProtocol.PruneRequest(id, keep, grace.toMillis(), cacheMounts), "pruning");
    return "removed " + p.runDirs() + " stale run directories, " + p.layers()
        + " unused extracted layers" + (cacheMounts ? " and " + p.cacheMounts() + " cache mounts" : "")
        + " (" + p.bytes() + " bytes)";
  }

  /**
   * Sends the request {@code request} makes of a new id and waits for its answer.
   *
   * @throws JbuildException when the worker answers {@link WorkerProtocol.Failed} or dies
   */
  private WorkerProtocol.Message ask(Worker w,
      java.util.function.LongFunction<WorkerProtocol.Message> request, String doing) {
    long id = ids.incrementAndGet();
    Pending pending = new Pending(null, OutputStream.nullOutputStream());
    w.pending.put(id, pending);
    try {
      w.send(request.apply(id));
      WorkerProtocol.Message m = pending.result.get();
      if (m instanceof WorkerProtocol.Failed) {
        throw new JbuildException(((WorkerProtocol.Failed) m).message());
      }
      return m;
    } catch (IOException | ExecutionException e) {
      throw new JbuildException("the sandbox worker failed while " + doing + ": " + w.diagnostics());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new JbuildException("interrupted");
    } finally {
      w.pending.remove(id);
    }
  }

  /**
   * Extracts {@code layers} (bottom first) for RUN steps now and waits until they are: {@code
   * jbuild pull} leaves an image ready to build on, as {@code docker pull} and {@code buildah
   * pull} do, so that a build's first RUN on it does not extract it. Starts a worker only when a
   * layer has no extracted directory on this root yet.
   *
   * @return how many layers were extracted now (0: all of them were there)
   * @throws JbuildException when the sandbox cannot start here or a layer cannot be extracted
   */
  public int unpack(List<RunStep.Layer> layers) {
    if (allExtracted(layers)) {
      return 0;
    }
    Worker w;
    synchronized (this) {
      w = startedWorker(null);
    }
    List<WorkerProtocol.LayerRef> refs = layers.stream().map(NamespaceSandbox::ref).toList();
    return ((WorkerProtocol.Unpacked) ask(w, id -> new WorkerProtocol.Unpack(id, refs),
        "extracting")).extracted();
  }

  private static boolean hasEntries(java.nio.file.Path dir) {
    try (java.util.stream.Stream<java.nio.file.Path> s = java.nio.file.Files.list(dir)) {
      return s.findAny().isPresent();
    } catch (IOException e) {
      return false;
    }
  }

  private static boolean hasRunDirs(java.nio.file.Path dir) {
    try (java.util.stream.Stream<java.nio.file.Path> s = java.nio.file.Files.list(dir)) {
      return s.anyMatch(p -> {
        String n = p.getFileName().toString();
        return n.startsWith("run-") || n.startsWith("probe-");
      });
    } catch (IOException e) {
      return false;
    }
  }

  /** Starts the worker on a thread of its own, unless one runs or is starting. */
  @Override
  public void warmUp() {
    ahead(List.of());
  }

  /** Has the worker (started first if needed) extract {@code layers}, on a thread of its own. */
  @Override
  public void extractAhead(List<RunStep.Layer> layers) {
    if (!layers.isEmpty()) {
      ahead(layers);
    }
  }

  /**
   * Starts the worker and has it extract {@code layers} when one of them has no extracted
   * directory on this root yet. A cached rebuild finds them all there (the build that filled
   * the cache extracted them) and starts nothing; a cold one starts the worker at its FROM,
   * beside the steps before its first RUN, instead of at that RUN (issues 5 and 7), and so
   * does a base just pulled. A wrong guess (layers pruned while the cache kept their steps)
   * costs a background extraction, which the worker drops when the build ends before it.
   */
  @Override
  public void prefetchIfNew(List<RunStep.Layer> layers) {
    if (!allExtracted(layers)) {
      ahead(layers);
    }
  }

  /** Whether every one of {@code layers} has its extracted directory on this root. */
  private boolean allExtracted(List<RunStep.Layer> layers) {
    for (RunStep.Layer l : layers) {
      if (!java.nio.file.Files.isDirectory(root.layers().resolve(l.diffId().hex()))) {
        return false;
      }
    }
    return true;
  }

  private void ahead(List<RunStep.Layer> layers) {
    long generation;
    synchronized (this) {
      if (closed || (layers.isEmpty() && (worker != null || warming))) {
        return;
      }
      warming = true;
      generation = closes;
    }
    List<WorkerProtocol.LayerRef> refs = new ArrayList<>();
    for (RunStep.Layer l : layers) {
      if (!l.early()) {
        refs.add(ref(l));
      }
    }
    Thread t = new Thread(() -> {
      Worker w;
      try {
        synchronized (this) {
          // the build may be over already (it failed): then there is nothing to warm up
          if (closed || closes != generation) {
            return;
          }
          w = startedWorker(null);
        }
        if (!refs.isEmpty()) {
          w.send(new WorkerProtocol.Extract(refs));
        }
      } catch (IOException | RuntimeException e) {
        // the first step starts the worker again and reports what is wrong
      }
    }, "jbuild-sandbox-warm-up");
    t.setDaemon(true);
    t.start();
  }

  private synchronized Worker worker(RunStep step) {
    return startedWorker(step);
  }

  /** The running worker, started (and checked) first if needed; callers hold the lock. */
  private Worker startedWorker(RunStep step) {
    if (closed) {
      throw new IllegalStateException("sandbox closed");
    }
    if (worker != null && worker.alive()) {
      return worker;
    }
    if (worker != null) {
      String why = worker.diagnostics();
      worker = null;
      throw step == null ? new JbuildException("the sandbox worker died: " + why)
          : new BuildStepException(step.span(), "the sandbox worker died: " + why);
    }
    try {
      WorkerLaunch launch =
          // JNA's library is kept beside the overlay marker, not in tmp/ (which empties)
          WorkerLaunch.decide(m -> listener.onEvent(new BuildEvent.Warning(m)),
              root.dir().resolve("sandbox-jna"));
      worker = Worker.start(launch, root, snapshotter);
    } catch (JbuildException e) {
      if (step != null && !(e instanceof BuildStepException)) {
        throw new BuildStepException(step.span(), e.getMessage(), e);
      }
      throw e;
    }
    WorkerProtocol.Ready ready = worker.ready;
    if (!ready.overlay() && !snapshotter.equals("copy") && !Snapshotter.exists("copy")) {
      String why = ready.overlayProblem();
      close();
      String message = "RUN needs overlayfs, which this kernel does not allow here (" + why
          + "): use a kernel of version 5.11 or later (or Ubuntu's), or run jbuild as root;"
          + " the copying snapshotter is not available yet";
      throw step == null ? new JbuildException(message)
          : new BuildStepException(step.span(), message);
    }
    if (!ready.overlay() && snapshotter.equals("auto")) {
      listener.onEvent(new BuildEvent.Warning("overlayfs cannot be mounted here ("
          + ready.overlayProblem() + "): RUN steps run on a copy of the root filesystem, which"
          + " is slower (--snapshotter=copy)"));
    }
    if (ready.overlay() || !snapshotter.equals("overlay")) {
      return worker;
    }
    String why = ready.overlayProblem();
    close();
    String message = "--snapshotter=overlay, but overlayfs cannot be mounted here (" + why
        + "); use --snapshotter=copy";
    throw step == null ? new JbuildException(message) : new BuildStepException(step.span(), message);
  }

  /** Ends the worker (its steps are killed, its mounts and run directories removed). */
  @Override
  public void close() {
    Worker w;
    synchronized (this) {
      w = worker;
      worker = null;
      warming = false;
      closes++;
    }
    if (w != null) {
      w.stop();
    }
  }

  /** A step waiting for the worker's answer. */
  private static final class Pending {
    final RunStep step;
    final OutputStream layerOut;
    final CompletableFuture<WorkerProtocol.Message> result = new CompletableFuture<>();
    /** {@link WorkerProtocol.Ran}, or null when the whole answer came without it. */
    final CompletableFuture<WorkerProtocol.Ran> ran = new CompletableFuture<>();
    IOException writeFailure;

    Pending(RunStep step, OutputStream layerOut) {
      this.step = step;
      this.layerOut = layerOut;
    }
  }

  /** One worker process and the thread that reads its answers. */
  private static final class Worker {
    final Process process;
    final DataOutputStream out;
    final Map<Long, Pending> pending = new ConcurrentHashMap<>();
    final Deque<String> stderr = new ArrayDeque<>();
    volatile WorkerProtocol.Ready ready;
    volatile boolean ended;

    private Worker(Process process) {
      this.process = process;
      this.out = WorkerProtocol.output(process.getOutputStream());
    }

    static Worker start(WorkerLaunch launch, JbuildRoot root, String snapshotter) {
      List<String> cmd = new ArrayList<>(launch.command());
      cmd.add(root.dir().toAbsolutePath().toString());
      cmd.add(snapshotter);
      Process p;
      long begin = System.nanoTime();
      try {
        p = new ProcessBuilder(cmd).start();
      } catch (IOException e) {
        throw new JbuildException("cannot start the sandbox worker (" + cmd.get(0) + "): "
            + e.getMessage());
      }
      Worker w = new Worker(p);
      CompletableFuture<WorkerProtocol.Ready> ready = new CompletableFuture<>();
      daemon("jbuild-sandbox-stderr", () -> w.pumpStderr(p.getErrorStream()));
      daemon("jbuild-sandbox-reader", () -> w.read(ready));
      if (launch.mapsIds()) {
        w.mapIds(launch);
      }
      try {
        w.ready = ready.get(START_TIMEOUT.toSeconds(), TimeUnit.SECONDS);
        if (System.getenv("JBUILD_DEBUG") != null) {
          System.err.println("[sandbox worker] ready " + (System.nanoTime() - begin) / 1_000_000
              + " ms after its start");
        }
      } catch (InterruptedException e) {
        w.stop();
        Thread.currentThread().interrupt();
        throw new JbuildException("interrupted while starting the sandbox worker");
      } catch (ExecutionException | TimeoutException e) {
        w.stop();
        throw new JbuildException(
            "the sandbox worker did not start (" + String.join(" ", launch.command().subList(0,
                Math.min(8, launch.command().size()))) + " …): " + w.diagnostics()
                + (launch.rootless()
                    ? "\nIf user namespaces are restricted on this machine, run jbuild as root"
                        + " or allow them (see the messages above)"
                    : ""));
      }
      return w;
    }

    /**
     * Writes the worker's id maps with newuidmap/newgidmap (setsid and unshare exec, so the
     * worker's pid is the started process's), then lets it go on.
     */
    private void mapIds(WorkerLaunch launch) {
      awaitOwnUserNamespace();
      for (List<String> map : launch.idMaps()) {
        List<String> cmd = new ArrayList<>();
        cmd.add(map.get(0));
        cmd.add(Long.toString(process.pid()));
        cmd.addAll(map.subList(1, map.size()));
        try {
          Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
          String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
          if (p.waitFor() != 0) {
            stop();
            throw new JbuildException(String.join(" ", cmd) + " failed: " + out.strip()
                + "\n(check the user's ranges in /etc/subuid and /etc/subgid)");
          }
        } catch (IOException e) {
          stop();
          throw new JbuildException("cannot run " + cmd.get(0) + ": " + e.getMessage());
        } catch (InterruptedException e) {
          stop();
          Thread.currentThread().interrupt();
          throw new JbuildException("interrupted while mapping the sandbox's user ids");
        }
      }
      try {
        synchronized (out) {
          out.write('\n'); // the waiting shell's go-ahead: it execs the worker now
          out.flush();
        }
      } catch (IOException e) {
        // the worker is gone: the wait for Ready reports it
      }
    }

    /** Waits until the started unshare has made its user namespace (the maps go there). */
    private void awaitOwnUserNamespace() {
      java.nio.file.Path mine = java.nio.file.Path.of("/proc/self/ns/user");
      java.nio.file.Path its = java.nio.file.Path.of("/proc/" + process.pid() + "/ns/user");
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
      try {
        String own = java.nio.file.Files.readSymbolicLink(mine).toString();
        while (process.isAlive() && System.nanoTime() < deadline) {
          try {
            if (!java.nio.file.Files.readSymbolicLink(its).toString().equals(own)) {
              return;
            }
          } catch (IOException e) {
            // not readable for a moment while it execs
          }
          Thread.sleep(2);
        }
      } catch (IOException e) {
        return; // no /proc: newuidmap reports the problem
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }

    private static void daemon(String name, Runnable r) {
      Thread t = new Thread(r, name);
      t.setDaemon(true);
      t.start();
    }

    boolean alive() {
      return !ended && process.isAlive();
    }

    void send(WorkerProtocol.Message m) throws IOException {
      synchronized (out) {
        WorkerProtocol.write(out, m);
      }
    }

    private void read(CompletableFuture<WorkerProtocol.Ready> ready) {
      DataInputStream in = WorkerProtocol.input(process.getInputStream());
      try {
        while (true) {
          WorkerProtocol.Message m = WorkerProtocol.read(in);
          if (m == null) {
            break;
          }
          dispatch(m, ready);
        }
      } catch (IOException | RuntimeException e) {
        synchronized (stderr) {
          stderr.addLast("protocol error: " + e);
        }
      } finally {
        ended = true;
        try {
          process.waitFor(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
        IOException gone = new IOException("the sandbox worker ended: " + diagnostics());
        ready.completeExceptionally(gone);
        for (Pending p : pending.values()) {
          p.result.completeExceptionally(gone);
          p.ran.completeExceptionally(gone);
        }
      }
    }

    private void dispatch(WorkerProtocol.Message m, CompletableFuture<WorkerProtocol.Ready> ready) {
      if (m instanceof WorkerProtocol.Ready) {
        ready.complete((WorkerProtocol.Ready) m);
      } else if (m instanceof WorkerProtocol.Output) {
        WorkerProtocol.Output o = (WorkerProtocol.Output) m;
        Pending p = pending.get(o.id());
        if (p != null && p.step != null) {
          p.step.output().accept(o.line());
        }
      } else if (m instanceof WorkerProtocol.Data) {
        WorkerProtocol.Data d = (WorkerProtocol.Data) m;
        Pending p = pending.get(d.id());
        if (p != null && p.writeFailure == null) {
          try {
            p.layerOut.write(d.bytes());
          } catch (IOException e) {
            p.writeFailure = e;
          }
        }
      } else if (m instanceof WorkerProtocol.Ran) {
        Pending p = pending.get(((WorkerProtocol.Ran) m).id());
        if (p != null) {
          p.ran.complete((WorkerProtocol.Ran) m);
        }
      } else if (m instanceof WorkerProtocol.Done) {
        complete(((WorkerProtocol.Done) m).id(), m);
      } else if (m instanceof WorkerProtocol.Failed) {
        complete(((WorkerProtocol.Failed) m).id(), m);
      } else if (m instanceof WorkerProtocol.Pruned) {
        complete(((WorkerProtocol.Pruned) m).id(), m);
      } else if (m instanceof WorkerProtocol.Unpacked) {
        complete(((WorkerProtocol.Unpacked) m).id(), m);
      }
    }

    private void complete(long id, WorkerProtocol.Message m) {
      Pending p = pending.get(id);
      if (p != null) {
        p.result.complete(m);
        p.ran.complete(null);
      }
    }

    private void pumpStderr(InputStream in) {
      boolean debug = System.getenv("JBUILD_DEBUG") != null;
      try (java.io.BufferedReader r = new java.io.BufferedReader(
          new java.io.InputStreamReader(in, StandardCharsets.UTF_8))) {
        String line;
        while ((line = r.readLine()) != null) {
          if (debug) {
            System.err.println("[sandbox worker] " + line);
          }
          synchronized (stderr) {
            if (stderr.size() == STDERR_LINES) {
              stderr.removeFirst();
            }
            stderr.addLast(line);
          }
        }
      } catch (IOException ignored) {
        // the worker is gone
      }
    }

    /** What the worker said on stderr and how it ended, for error messages. */
    String diagnostics() {
      StringBuilder sb = new StringBuilder();
      if (!process.isAlive()) {
        sb.append("exit code ").append(process.exitValue());
      } else {
        sb.append("still running");
      }
      List<String> lines;
      synchronized (stderr) {
        lines = new ArrayList<>(stderr);
      }
      for (String l : lines) {
        sb.append("\n  ").append(l);
      }
      return sb.toString();
    }

    /** Closes the worker's stdin and waits for it to clean up; kills it if it hangs. */
    void stop() {
      try {
        out.close();
      } catch (IOException ignored) {
        // already gone
      }
      try {
        if (!process.waitFor(30, TimeUnit.SECONDS)) {
          process.destroyForcibly();
        }
      } catch (InterruptedException e) {
        process.destroyForcibly();
        Thread.currentThread().interrupt();
      }
    }
  }
}
