package dev.jbuild.build;

import dev.jbuild.build.context.BuildContext;
import dev.jbuild.build.event.BuildEvent;
import dev.jbuild.build.event.BuildListener;
import dev.jbuild.build.registry.Registries;
import dev.jbuild.build.sandbox.CacheMounts;
import dev.jbuild.build.sandbox.RunStep;
import dev.jbuild.build.sandbox.Sandbox;
import dev.jbuild.cache.BlobWriter;
import dev.jbuild.cache.BuildCache;
import dev.jbuild.cache.CacheException;
import dev.jbuild.cache.CacheKey;
import dev.jbuild.cache.ImageStore;
import dev.jbuild.cache.StoredBlob;
import dev.jbuild.dockerfile.SourceSpan;
import dev.jbuild.layer.LayerBlob;
import dev.jbuild.layer.LayerEntry;
import dev.jbuild.layer.LayerHeaders;
import dev.jbuild.layer.LayerStack;
import dev.jbuild.layer.LayerWriter;
import dev.jbuild.oci.Descriptor;
import dev.jbuild.oci.Digest;
import dev.jbuild.oci.Platform;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;

/**
 * One build in progress: the plan, the stores, the stage futures (independent stages run in
 * parallel on a pool bounded by the cores), base image resolution shared by the stages, and
 * the counters the result reports.
 */
final class BuildRun {

  private final BuildRequest request;
  private final BuildPlan plan;
  private final ImageStore store;
  private final BuildCache cache;
  private final BuildContext context;
  private final BaseImages baseImages;
  private final Sandbox sandbox;
  private final BuildListener listener;
  private final ExecutorService pool;
  private final Platform targetPlatform;
  private final Instant created;
  private final Optional<Instant> epoch;
  private final LayerWriter layerWriter;
  private final CopySteps copySteps;
  private final RunMounts runMounts;
  private final Map<Integer, CompletableFuture<StageResult>> stages = new ConcurrentHashMap<>();
  private final Map<List<Digest>, LayerStack> stacks = new ConcurrentHashMap<>();
  private final AtomicInteger steps = new AtomicInteger();
  private final AtomicInteger cachedSteps = new AtomicInteger();
  private volatile boolean failed;
  /** The first failure of a stage: what the build reports, whichever stage finishes last. */
  private final AtomicReference<RuntimeException> firstFailure = new AtomicReference<>();
  /** The pool threads running a stage now; interrupted when another stage fails. */
  private final Set<Thread> running = new HashSet<>();
  /** Build-cache entries being written (see {@link #recordInCache}). */
  private final CacheWrites cacheWrites = new CacheWrites();

  BuildRun(
      BuildRequest request,
      BuildPlan plan,
      ImageStore store,
      BuildCache cache,
      BuildContext context,
      Supplier<Registries> registries,
      Sandbox sandbox,
      BuildListener listener,
      ExecutorService pool,
      Platform targetPlatform,
      Instant now) {
    this.request = request;
    this.plan = plan;
    this.store = store;
    this.cache = cache;
    this.context = context;
    this.sandbox = sandbox;
    this.listener = listener;
    this.pool = pool;
    this.targetPlatform = targetPlatform;
    this.epoch = request.sourceDateEpoch();
    this.created = epoch.orElse(now);
    this.baseImages = new BaseImages(store, registries, request.pull(), listener);
    LayerWriter.Options options = LayerWriter.Options.of(request.compression());
    if (epoch.isPresent()) {
      options = options.withSourceDateEpoch(epoch.get());
    }
    this.layerWriter = new LayerWriter(options);
    this.copySteps = new CopySteps(this);
    this.runMounts = new RunMounts(this, store.blobs().root().dir().resolve(CacheMounts.DIR));
  }

  /** Runs the target stage and every stage it needs; returns the target's result. */
  StageResult execute() {
    runMounts.check(plan);
    Runnable stopPrefetch = copySteps.prefetchContextHashes(plan);
    // start every needed stage now, so that independent ones overlap
    for (BuildPlan.PlannedStage s : plan.neededStages()) {
      stage(s.index());
    }
    try {
      return stage(plan.target()).join();
    } catch (CompletionException e) {
      RuntimeException first = firstFailure.get();
      if (first instanceof StageError) {
        throw (Error) first.getCause();
      }
      throw first != null ? first : unwrap(e);
    } finally {
      stopPrefetch.run();
    }
  }

  static RuntimeException unwrap(Throwable e) {
    while (e instanceof CompletionException && e.getCause() != null) {
      e = e.getCause();
    }
    if (e instanceof RuntimeException) {
      return (RuntimeException) e;
    }
    if (e instanceof Error) {
      throw (Error) e;
    }
    return new JbuildException(e.toString(), e);
  }

  /** The future of a stage's result, started once (after its base and the stages it reads). */
  CompletableFuture<StageResult> stage(int index) {
    CompletableFuture<StageResult> f = stages.get(index);
    if (f != null) {
      return f;
    }
    synchronized (stages) {
      f = stages.get(index);
      if (f != null) {
        return f;
      }
      BuildPlan.PlannedStage planned = plan.stage(index);
      List<CompletableFuture<StageResult>> waits = new ArrayList<>();
      CompletableFuture<StageResult> base = null;
      if (planned.base() instanceof BuildPlan.StageBase) {
        base = stage(((BuildPlan.StageBase) planned.base()).index());
        waits.add(base);
      }
      for (int dep : planned.deps().keySet()) {
        waits.add(stage(dep));
      }
      CompletableFuture<StageResult> baseFuture = base;
      f =
          CompletableFuture.allOf(waits.toArray(new CompletableFuture<?>[0]))
              .thenApplyAsync(
                  ignored -> {
                    enter();
                    try {
                      StageResult parent = baseFuture == null ? null : baseFuture.join();
                      Platform p =
                          planned.platform().orElse(parent != null ? parent.platform() : targetPlatform);
                      return new StageExecutor(this, planned, p).execute(parent);
                    } catch (RuntimeException e) {
                      throw failedWith(e);
                    } catch (Error e) {
                      failedWith(new StageError(e));
                      throw e;
                    } finally {
                      leave();
                    }
                  },
                  pool);
      stages.put(index, f);
      return f;
    }
  }

  /**
   * The result of a stage that a step reads ({@code COPY --from}, a mount). Stages the plan
   * knows are awaited; one that only an ONBUILD trigger names is not scheduled, so it runs
   * here, in the caller's thread (a pool thread waiting for a queued task could deadlock).
   */
  StageResult stageResult(int index) {
    if (plan.isNeeded(index) || stages.containsKey(index)) {
      return await(stage(index));
    }
    CompletableFuture<StageResult> mine = new CompletableFuture<>();
    CompletableFuture<StageResult> existing;
    synchronized (stages) {
      existing = stages.putIfAbsent(index, mine);
    }
    if (existing != null) {
      return await(existing);
    }
    try {
      BuildPlan.PlannedStage planned = plan.stage(index);
      StageResult parent =
          planned.base() instanceof BuildPlan.StageBase
              ? stageResult(((BuildPlan.StageBase) planned.base()).index())
              : null;
      for (int dep : planned.deps().keySet()) {
        stageResult(dep);
      }
      Platform p = planned.platform().orElse(parent != null ? parent.platform() : targetPlatform);
      StageResult result = new StageExecutor(this, planned, p).execute(parent);
      mine.complete(result);
      return result;
    } catch (RuntimeException | Error e) {
      mine.completeExceptionally(e);
      throw e;
    }
  }

  /** The result of a stage another stage reads, failures rethrown as they were. */
  static StageResult await(CompletableFuture<StageResult> f) {
    try {
      return f.join();
    } catch (CompletionException e) {
      throw unwrap(e);
    }
  }

  /** The calling pool thread runs a stage: another stage's failure interrupts it. */
  private void enter() {
    synchronized (running) {
      running.add(Thread.currentThread());
    }
    checkNotFailed();
  }

  /** The calling thread's stage is over; an interrupt meant for it is not left to its next task. */
  private void leave() {
    synchronized (running) {
      running.remove(Thread.currentThread());
      Thread.interrupted();
    }
  }

  /**
   * A stage ended with {@code e}. The first failure is the build's: the other running stages
   * are interrupted at once (a RUN step's command is killed, a copy stops) rather than left to
   * finish their step. What a stage throws after that, its interruption included, is only
   * a cancellation.
   */
  private RuntimeException failedWith(RuntimeException e) {
    if (e instanceof CancelledException || !firstFailure.compareAndSet(null, e)) {
      return e instanceof CancelledException ? e : new CancelledException();
    }
    failed = true;
    synchronized (running) {
      for (Thread t : running) {
        if (t != Thread.currentThread()) {
          t.interrupt();
        }
      }
    }
    return e;
  }

  /** Stops other stages between steps once one has failed. */
  void checkNotFailed() {
    if (failed) {
      throw new CancelledException();
    }
  }

  /** Thrown in a stage that stops because another failed; never reaches the user. */
  static final class CancelledException extends JbuildException {
    CancelledException() {
      super("cancelled: another stage failed");
    }
  }

  /** An {@link Error} that ended a stage, held as the build's first failure. */
  private static final class StageError extends JbuildException {
    StageError(Error e) {
      super(e.toString(), e);
    }
  }

  /**
   * Records in the build cache that {@code key} gave {@code layer}, on a thread of its own: the
   * entry's write (temporary file, fsync, rename, fsync of the directory) took 2-20 ms of every
   * step that wrote a layer, its fsyncs waiting for the journal commits of the sandbox worker's
   * extractions. The step goes on at once; {@link #awaitCacheWrites} is called before the image
   * is named, so an entry is as durable as before by the time the build says it is done. Until
   * then another step of this build with the same key misses the cache, as when it runs beside.
   */
  void recordInCache(CacheKey key, BuildCache.CachedLayer layer) {
    cacheWrites.submit(() -> cache.putLayer(key, layer));
  }

  /** As {@link #recordInCache}, for the manifest built for an image key. */
  void recordImageInCache(CacheKey key, Descriptor manifest) {
    cacheWrites.submit(() -> cache.putImage(key, manifest));
  }

  /** Stores {@code blob} in the store on the thread of the cache entries ({@link #recordInCache}). */
  void storeInBackground(byte[] blob) {
    cacheWrites.submit(() -> store.blobs().put(blob));
  }

  /** Waits for the cache entries being written; the first that failed is thrown. */
  void awaitCacheWrites() {
    cacheWrites.await();
  }

  /**
   * Waits for the cache entries being written after the build failed (those of the steps that
   * succeeded are kept, as when they were written in step), their own failures ignored: the
   * build's is the one to report.
   */
  void awaitCacheWritesQuietly() {
    try {
      cacheWrites.await();
    } catch (RuntimeException e) {
      // the build's own failure is reported
    }
  }

  /** Cache entries (and blobs) written in order on one daemon thread, started with the first. */
  private static final class CacheWrites {
    private java.util.concurrent.ExecutorService writer;
    private final List<CompletableFuture<Void>> pending = new ArrayList<>();

    synchronized void submit(Runnable write) {
      if (writer == null) {
        writer =
            java.util.concurrent.Executors.newSingleThreadExecutor(
                r -> {
                  Thread t = new Thread(r, "jbuild-cache-write");
                  t.setDaemon(true);
                  return t;
                });
      }
      pending.add(CompletableFuture.runAsync(write, writer));
    }

    void await() {
      List<CompletableFuture<Void>> writes;
      synchronized (this) {
        writes = new ArrayList<>(pending);
        pending.clear();
      }
      RuntimeException first = null;
      for (CompletableFuture<Void> w : writes) {
        try {
          w.join();
        } catch (CompletionException e) {
          if (first == null) {
            first = unwrap(e);
          }
        }
      }
      synchronized (this) {
        if (pending.isEmpty() && writer != null) {
          writer.shutdown();
          writer = null;
        }
      }
      if (first != null) {
        throw first;
      }
    }
  }

  void countStep(boolean cached) {
    steps.incrementAndGet();
    if (cached) {
      cachedSteps.incrementAndGet();
    }
  }

  int steps() {
    return steps.get();
  }

  int cachedSteps() {
    return cachedSteps.get();
  }

  BuildRequest request() {
    return request;
  }

  BuildPlan plan() {
    return plan;
  }

  ImageStore store() {
    return store;
  }

  BuildCache cache() {
    return cache;
  }

  /** The build context COPY and ADD read. */
  BuildContext context() {
    return context;
  }

  Sandbox sandbox() {
    return sandbox;
  }

    BaseImages baseImages() {
    return baseImages;
  }

  BuildListener listener() {
    return listener;
  }

  CopySteps copySteps() {
    return copySteps;
  }

  /** RUN --mount resolution (sources, cache-mount directories, secrets, agents). */
  RunMounts runMounts() {
    return runMounts;
  }

  /** The time of new history entries and created directories: SOURCE_DATE_EPOCH or now. */
  Instant created() {
    return created;
  }

  Optional<Instant> epoch() {
    return epoch;
  }

  Platform targetPlatform() {
    return targetPlatform;
  }

  LayerWriter layerWriter() {
    return layerWriter;
  }

  /**
   * The merged filesystem of some layers as far as {@code paths} with their parents and {@code
   * subtrees} go (see {@link LayerStack#ofPaths}), for the caller to close; empty when the
   * whole stack is already indexed or a link in that part needs it.
   */
  Optional<LayerStack> partialLayerStack(
      List<Descriptor> layers, java.util.Collection<String> paths,
      java.util.Collection<String> subtrees, SourceSpan span) {
    if (stacks.containsKey(layers.stream().map(Descriptor::digest).toList())) {
      return Optional.empty();
    }
    try {
      return LayerStack.ofPaths(blobPaths(layers), headerIndexes(layers), paths, subtrees);
    } catch (IOException e) {
      throw new BuildStepException(
          span, "cannot read the layers of the stage: " + e.getMessage(), e);
    }
  }

  private List<Path> blobPaths(List<Descriptor> layers) {
    return layers.stream().map(d -> store.blobs().path(d.digest())).toList();
  }

  /** Where each layer blob's header index is (or will be written). */
  private List<Path> headerIndexes(List<Descriptor> layers) {
    return layers.stream().map(d -> store.blobs().headersPath(d.digest())).toList();
  }

  /** The merged filesystem of some layers, indexed once per build. */
  LayerStack layerStack(List<Descriptor> layers, BuildEvent.Step step, SourceSpan span) {
    List<Digest> key = layers.stream().map(Descriptor::digest).toList();
    LayerStack s = stacks.get(key);
    if (s != null) {
      return s;
    }
    try {
      s = LayerStack.of(blobPaths(layers), headerIndexes(layers));
    } catch (IOException e) {
      throw new BuildStepException(
          span, "cannot read the layers of the stage: " + e.getMessage(), e);
    }
    stacks.put(key, s);
    return s;
  }

  /**
   * Writes a layer of {@code entries} into the store and gives it to {@code stored} as soon as
   * its blob is there, before the rest of the step (its cache entry) is done.
   *
   * <p>The header index is written before the blob is committed, not after: a sandbox worker
   * told about the layer at once ({@link StageExecutor#storedBeforeRun}) finds the index there
   * and does not record one of its own while it extracts the layer. An index whose blob did
   * not make it into the store is still right: both are named by the blob's digest.
   */
  LayerBlob writeLayer(List<LayerEntry> entries, BuildEvent.Step step, SourceSpan span,
      java.util.function.Consumer<LayerBlob> stored) {
    LayerHeaders.Recorder headers = new LayerHeaders.Recorder();
    // the layer writer hashes the blob as it writes it: the store takes its digest
    try (BlobWriter out = store.blobs().writerNamedByCaller()) {
      LayerBlob blob = layerWriter.recordingHeaders(headers).write(entries, out);
      try {
        headers.writeIndex(store.blobs().headersPath(blob.digest()));
      } catch (IOException e) {
        // a read-only index directory: the layer stack reads the blob instead
      }
      StoredBlob committed = out.commitAs(blob.digest());
      if (committed.size() != blob.size()) {
        throw new IllegalStateException(
            "layer " + blob.digest() + " of " + blob.size() + " bytes but " + committed.size()
                + " stored");
      }
      stored.accept(blob);
      return blob;
    } catch (IOException e) {
      throw new BuildStepException(span, "cannot write the layer: " + e.getMessage(), e);
    } catch (CacheException e) {
      throw new BuildStepException(span, e.getMessage(), e);
    }
  }

  /**
   * Starts a RUN step in the sandbox ({@link Sandbox#start}); its layer goes into the store at
   * {@link StartedRun#layer}.
   */
  StartedRun startInSandbox(RunStep runStep) {
    BlobWriter out = store.blobs().writer(null);
    StartedRun started = new StartedRun(out);
    try {
      started.started = sandbox.start(runStep, out, index -> started.headers = index);
      return started;
    } catch (RuntimeException e) {
      out.close();
      throw e;
    }
  }

  /** A RUN step whose process succeeded and whose layer may still be on its way into the store. */
  final class StartedRun {
    private final BlobWriter out;
    private Sandbox.Started started;
    private byte[] headers;

    private StartedRun(BlobWriter out) {
      this.out = out;
    }

    /** {@link Sandbox.Started#early}. */
    RunStep.Layer early() {
      return started.early();
    }

    /** Waits for the layer and stores it. */
    LayerBlob layer() {
      try (out) {
        return stored(out, started.layer(), headers);
      }
    }

    /** Gives the step up: no layer is stored. */
    void cancel() {
      try (out) {
        started.cancel();
      }
    }
  }

  /** Runs a RUN step in the sandbox; its layer goes into the store. */
  LayerBlob runInSandbox(RunStep runStep, BuildEvent.Step step) {
    byte[][] headers = new byte[1][];
    try (BlobWriter out = store.blobs().writer(null)) {
      LayerBlob blob = sandbox.run(runStep, out, index -> headers[0] = index);
      return stored(out, blob, headers[0]);
    }
  }

  /** Commits a RUN step's layer {@code blob} written to {@code out}, with its header index. */
  private LayerBlob stored(BlobWriter out, LayerBlob blob, byte[] headers) {
    out.commit();
    try {
      LayerHeaders.install(store.blobs().headersPath(blob.digest()), headers);
    } catch (IOException e) {
      // a read-only index directory: the layer stack reads the blob instead
    }
    return blob;
  }
}
