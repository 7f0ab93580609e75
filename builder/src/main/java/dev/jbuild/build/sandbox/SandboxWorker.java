package dev.jbuild.build.sandbox;

import dev.jbuild.oci.Digest;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.FileDescriptor;
import java.io.FileInputStream;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The sandbox worker: a second JVM of the same jar, started by {@link NamespaceSandbox} under
 * {@code unshare} (a user and mount namespace rootless, a private mount namespace as root),
 * which runs RUN steps for the build over its stdin and stdout ({@link WorkerProtocol}). Every
 * mount it makes lives in its mount namespace and dies with it. When its stdin ends (the build
 * finished, or was killed) it kills the steps' processes, cleans up and exits.
 *
 * <p>Arguments: the jbuild root directory and the snapshotter ({@code auto}, {@code overlay},
 * {@code copy}).
 */
public final class SandboxWorker {
  /** The protocol pipe's size: four blob frames ({@code fs.pipe-max-size} is 1 MiB by default). */
  private static final int PIPE_SIZE = 1 << 20;
  private final Path root;
  private final Path tmp;
  private final DataOutputStream out;
  private final long mappedIds;
  private final LayerDirs layers;
  private final Snapshotter snapshotter;
  private final Map<Long, StepRun> runs = new ConcurrentHashMap<>();
  /**
   * The upper dirs that steps froze for the next step to stack (by step id), kept after their
   * layer is written for a request that names one only then: the worker's life long, a few
   * bytes each.
   */
  private final Map<Long, FrozenUpper> frozen = new ConcurrentHashMap<>();
  private final Set<Thread> threads = ConcurrentHashMap.newKeySet();
  /** Threads extracting layers ahead of the steps: stopped, not awaited, at shutdown. */
  private final Set<Thread> aheadThreads = ConcurrentHashMap.newKeySet();
  private final long pid = ProcessHandle.current().pid();
  private volatile boolean broken;
  private volatile boolean stopping;
  /** Set at the first request: the idle warm-up stops then (see {@link #warmUpWhileIdle}). */
  private volatile boolean requested;

  private SandboxWorker(Path root, DataOutputStream out, long mappedIds, Snapshotter snapshotter,
      LayerDirs layers) {
    this.root = root;
    this.tmp = root.resolve("tmp");
    this.out = out;
    this.mappedIds = mappedIds;
    this.snapshotter = snapshotter;
    this.layers = layers;
  }

  /** Entry point of the worker JVM. */
  public static void main(String[] args) throws IOException {
    // stdout carries the protocol only: anything printed goes to stderr (the build's log)
    DataOutputStream protocol = WorkerProtocol.output(new FileOutputStream(FileDescriptor.out));
    System.setOut(new PrintStream(new FileOutputStream(FileDescriptor.err), true,
        StandardCharsets.UTF_8));
    DataInputStream in = WorkerProtocol.input(new FileInputStream(FileDescriptor.in));
    // steps create files as in a container (runc's umask), whatever the user's umask is
    Kernel.umask(022);
    // the layer blob leaves through stdout in 256 KiB frames: with the default 64 KiB pipe each
    // frame took four turns of writer and reader, each a wait to be scheduled on a loaded
    // machine. Where the kernel refuses, the pipe works as before, only slower.
    try {
      Kernel.setPipeSize(1, PIPE_SIZE);
    } catch (Kernel.KernelException e) {
      System.err.println(
          "jbuild sandbox worker: the protocol pipe keeps its size: " + e.getMessage());
    }
    Path root = Path.of(args[0]).toAbsolutePath();
    String requested = args.length > 1 ? args[1] : "auto";
    Path tmp = Files.createDirectories(root.resolve("tmp"));
    Files.createDirectories(root.resolve("layers"));
    // overlay options name the lower dirs relative to this directory (short: see OverlaySnapshotter)
    Kernel.chdir(tmp);
    long pid = ProcessHandle.current().pid();
    FileChannel lockChannel =
        FileChannel.open(tmp.resolve("worker-" + pid + ".lock"), StandardOpenOption.CREATE,
            StandardOpenOption.WRITE);
    FileLock lock = lockChannel.lock(); // held until exit: prune leaves our run dirs alone
    long mapped = readMappedIds();
    long probeStart = System.nanoTime();
    String overlayProblem = probeOverlayOnce(root, tmp, pid, mapped);
    long probeMillis = (System.nanoTime() - probeStart) / 1_000_000;
    LayerDirs layers = new LayerDirs(root.resolve("layers"), mapped);
    String name = requested.equals("auto") ? (overlayProblem == null ? "overlay" : "copy")
        : requested;
    Snapshotter snapshotter = Snapshotter.exists(name) ? Snapshotter.named(name, layers) : null;
    SandboxWorker w = new SandboxWorker(root, protocol, mapped, snapshotter, layers);
    w.send(new WorkerProtocol.Ready(overlayProblem == null, overlayProblem, mapped));
    w.log("ready (overlay probe " + probeMillis + " ms)");
    Thread warmUp = new Thread(w::warmUpWhileIdle, "warm-up");
    warmUp.setDaemon(true);
    warmUp.start();
    try {
      w.serve(in);
    } finally {
      w.shutdown();
      lock.release();
      lockChannel.close();
      Files.deleteIfExists(tmp.resolve("worker-" + pid + ".lock"));
    }
    System.exit(0);
  }

  /** How many uids this process's user namespace maps; 0 outside a user namespace. */
  static long readMappedIds() {
    try {
      List<String> lines = Files.readAllLines(Path.of("/proc/self/uid_map"));
      long total = 0;
      for (String l : lines) {
        String[] f = l.trim().split("\\s+");
        if (f.length == 3) {
          if (f[0].equals("0") && f[1].equals("0") && f[2].equals("4294967295")) {
            return 0;
          }
          total += Long.parseLong(f[2]);
        }
      }
      return total;
    } catch (IOException | NumberFormatException e) {
      return 0;
    }
  }

  /**
   * {@link #probeOverlay}, skipped when a worker on this root already mounted an overlay under
   * the same kernel, on the same filesystem, in the same kind of namespace: the probe's mount
   * and unmount cost 20 ms on a quiet machine and up to 0.7 s on a loaded one, at every start.
   * Only success is remembered, in {@code <root>/sandbox-overlay-ok} (the key as its content: a
   * torn write only means probing again); a refusal is probed again.
   */
  private static String probeOverlayOnce(Path root, Path tmp, long pid, long mapped) {
    Path marker = root.resolve("sandbox-overlay-ok");
    String key;
    try {
      key = Files.readString(Path.of("/proc/sys/kernel/osrelease")).trim() + " dev "
          + Files.getAttribute(tmp, "unix:dev") + (mapped > 0 ? " userns" : " root") + "\n";
      if (Files.isRegularFile(marker) && Files.readString(marker).equals(key)) {
        return null;
      }
    } catch (IOException | RuntimeException e) {
      return probeOverlay(tmp, pid);
    }
    String problem = probeOverlay(tmp, pid);
    if (problem == null) {
      try {
        Files.writeString(marker, key);
      } catch (IOException e) {
        // probed again next time
      }
    }
    return problem;
  }

  /** Mounts a throw-away overlay; null when that works, else why not. */
  private static String probeOverlay(Path tmp, long pid) {
    Path dir = tmp.resolve("probe-" + pid);
    try {
      Trees.delete(dir);
      Files.createDirectories(dir.resolve("l"));
      Files.createDirectories(dir.resolve("u"));
      Files.createDirectories(dir.resolve("w"));
      Files.createDirectories(dir.resolve("m"));
      Kernel.mount("overlay", dir.resolve("m"), "overlay", 0,
          "lowerdir=" + dir.resolve("l") + ",upperdir=" + dir.resolve("u") + ",workdir="
              + dir.resolve("w") + ",userxattr");
      Kernel.umount(dir.resolve("m"), Kernel.MNT_DETACH);
      return null;
    } catch (IOException e) {
      return e.getMessage();
    } finally {
      Trees.deleteQuietly(dir);
    }
  }

  private void serve(DataInputStream in) {
    while (true) {
      WorkerProtocol.Message m;
      try {
        m = WorkerProtocol.read(in);
      } catch (IOException e) {
        log("cannot read the next request: " + e.getMessage());
        return;
      }
      if (m == null) {
        return; // the build closed our stdin (or died): stop
      }
      if (!(m instanceof WorkerProtocol.Extract) && !(m instanceof WorkerProtocol.Unpack)) {
        requested = true; // an extraction is no step waiting: the warm-up goes on
      }
      if (m instanceof WorkerProtocol.RunRequest) {
        WorkerProtocol.RunRequest r = (WorkerProtocol.RunRequest) m;
        if (snapshotter == null) {
          send(new WorkerProtocol.Failed(r.id(), -1, "no snapshotter is available here", List.of()));
          continue;
        }
        StepRun run = new StepRun(this, r.id(), r.step(), r.early());
        runs.put(r.id(), run);
        start("run-" + r.id(), () -> {
          try {
            run.run();
          } finally {
            runs.remove(r.id());
          }
        });
      } else if (m instanceof WorkerProtocol.Extract) {
        List<WorkerProtocol.LayerRef> refs = ((WorkerProtocol.Extract) m).layers();
        aheadThreads.add(start("extract", () -> extractAhead(refs)));
      } else if (m instanceof WorkerProtocol.Unpack) {
        WorkerProtocol.Unpack u = (WorkerProtocol.Unpack) m;
        // interrupted, like an extraction ahead, when the build goes away (jbuild pull killed)
        aheadThreads.add(start("unpack-" + u.id(), () -> send(unpack(u))));
      } else if (m instanceof WorkerProtocol.Cancel) {
        StepRun run = runs.get(((WorkerProtocol.Cancel) m).id());
        if (run != null) {
          run.cancel();
        }
      } else if (m instanceof WorkerProtocol.PruneRequest) {
        WorkerProtocol.PruneRequest p = (WorkerProtocol.PruneRequest) m;
        start("prune-" + p.id(), () -> send(prune(p)));
      }
    }
  }

  /**
   * Has the JIT compile SHA-256 down to its CPU intrinsic ({@link Digest#warmUpSha256}) while the
   * worker waits for its first request, which it does when the build starts it ahead (beside a
   * base pull, or at a cache miss before a RUN). Every layer extracted is hashed for its diffID
   * check and every snapshot for its diffID. It stops at the first request, so that it never
   * competes with a step for a core: a worker started for a step that waits costs nothing extra
   * (done on that step's critical path it cost 160-270 ms to save ~40 ms). Layers to extract
   * ahead are no such request: their extraction hashes them too, and a COPY layer handed over
   * as soon as it is stored (before the RUN after it) stopped the warm-up after 0 updates when
   * the worker was ready late, so that the extraction and then the RUN's snapshot hashed in C1
   * code (LogCompilation: no C2 update at all).
   */
  private void warmUpWhileIdle() {
    long begin = System.nanoTime();
    int updates = Digest.warmUpSha256(() -> requested);
    String what = updates == 64_000 ? "SHA-256 warmed up"
        : "SHA-256 warm-up stopped by the first request after " + updates + " updates";
    log(what + " in " + (System.nanoTime() - begin) / 1_000_000 + " ms");
  }

  /** Extracts layers ahead of the step that will stack them; failures are that step's to report. */
  private void extractAhead(List<WorkerProtocol.LayerRef> refs) {
    long begin = System.nanoTime();
    java.lang.management.ThreadMXBean cpu = java.lang.management.ManagementFactory.getThreadMXBean();
    long beginCpu = cpu.getCurrentThreadCpuTime();
    for (WorkerProtocol.LayerRef ref : refs) {
      if (stopping) {
        return;
      }
      try {
        layers.extracted(ref);
      } catch (IOException | RuntimeException e) {
        return;
      }
    }
    log("extracted " + refs.size() + " layers ahead in " + (System.nanoTime() - begin) / 1_000_000
        + " ms (" + (cpu.getCurrentThreadCpuTime() - beginCpu) / 1_000_000
        + " ms CPU on this thread; inflating is on another)");
  }

  /** Extracts an image's layers for {@code jbuild pull}; a failure is the answer. */
  private WorkerProtocol.Message unpack(WorkerProtocol.Unpack u) {
    long begin = System.nanoTime();
    int extracted = 0;
    for (WorkerProtocol.LayerRef ref : u.layers()) {
      boolean there = Files.isDirectory(layers.root().resolve(Digest.parse(ref.diffId()).hex()));
      try {
        layers.extracted(ref);
      } catch (IOException | RuntimeException e) {
        String why = String.valueOf(e.getMessage());
        return new WorkerProtocol.Failed(u.id(), -1, why.contains(ref.diffId()) ? why
            : "cannot extract layer " + ref.diffId() + ": " + why, List.of());
      }
      if (!there) {
        extracted++;
      }
    }
    log("unpacked " + u.layers().size() + " layers (" + extracted + " extracted) in "
        + (System.nanoTime() - begin) / 1_000_000 + " ms");
    return new WorkerProtocol.Unpacked(u.id(), extracted);
  }

  private Thread start(String name, Runnable body) {
    Thread t = new Thread(() -> {
      try {
        body.run();
      } finally {
        threads.remove(Thread.currentThread());
      }
    }, name);
    threads.add(t);
    t.start();
    return t;
  }

  /** Kills every step and waits (a while) for their cleanup. */
  private void shutdown() {
    stopping = true;
    for (StepRun r : runs.values()) {
      r.cancel();
    }
    // an extraction that no step waited for (the build ended first, or guessed wrong that its
    // RUN steps would run): the interrupt ends it and its temporary directory goes
    for (Thread t : aheadThreads) {
      t.interrupt();
    }
    long deadline = System.nanoTime() + 20_000_000_000L;
    for (Thread t : Set.copyOf(threads)) {
      long left = (deadline - System.nanoTime()) / 1_000_000;
      if (left <= 0) {
        break;
      }
      try {
        t.join(left);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
    }
  }

  /** Sends a message; after the build went away, messages are dropped. */
  void send(WorkerProtocol.Message m) {
    sendFrame(o -> WorkerProtocol.write(o, m));
  }

  /** Sends a chunk of step {@code id}'s layer blob; after the build went away, nothing. */
  void sendData(long id, byte[] b, int off, int len) {
    sendFrame(o -> WorkerProtocol.writeData(o, id, b, off, len));
  }

  /** Writes one frame to the build, unless its end of the pipe broke. */
  private void sendFrame(FrameWriter frame) {
    synchronized (out) {
      if (broken) {
        return;
      }
      try {
        frame.write(out);
      } catch (IOException e) {
        broken = true; // the build is gone; the stdin EOF will stop us
      }
    }
  }

  private interface FrameWriter {
    void write(DataOutputStream out) throws IOException;
  }

  /** Whether the build went away: its end of the protocol pipe broke, or it closed our stdin. */
  boolean buildGone() {
    return broken || stopping;
  }

  void log(String message) {
    System.err.println("jbuild sandbox worker: " + message);
  }

  Snapshotter snapshotter() {
    return snapshotter;
  }

  /** Where the build stores a blob (the blob store's layout: {@code blobs/<alg>/<hex>}). */
  Path blobPath(dev.jbuild.oci.Digest digest) {
    return root.resolve("blobs").resolve(digest.algorithm()).resolve(digest.hex());
  }

  /** Records the frozen upper dir of step {@code id}. */
  void frozen(long id, FrozenUpper upper) {
    frozen.put(id, upper);
  }

  /** The frozen upper dir of step {@code id}, or null. */
  FrozenUpper frozen(long id) {
    return frozen.get(id);
  }

  LayerDirs layers() {
    return layers;
  }

  long mappedIds() {
    return mappedIds;
  }

  /**
   * Whether this process may call setgroups: always outside a user namespace; inside one only
   * when newgidmap wrote its gid map ({@code /proc/self/setgroups} is {@code deny} after an
   * unprivileged {@code --map-root-user}).
   */
  boolean setgroupsAllowed() {
    try {
      return !Files.readString(Path.of("/proc/self/setgroups")).trim().equals("deny");
    } catch (IOException e) {
      return true; // kernels before 3.19 have no such file and no such restriction
    }
  }

  /** A new, empty run directory for a step. */
  Path newRunDir(long id) throws IOException {
    return Files.createDirectory(tmp.resolve("run-" + pid + "-" + id));
  }

  /**
   * The resolv.conf for steps: the host's, unless it points at a local stub resolver
   * (systemd-resolved's 127.0.0.53), which a step's network may not reach; then the upstream
   * list systemd-resolved keeps, as BuildKit does.
   */
  byte[] resolvConf() throws IOException {
    Path host = Path.of("/etc/resolv.conf");
    byte[] content = Files.exists(host) ? Files.readAllBytes(host) : new byte[0];
    String text = new String(content, StandardCharsets.UTF_8);
    if (text.contains("nameserver 127.0.0.53")) {
      Path upstream = Path.of("/run/systemd/resolve/resolv.conf");
      if (Files.isReadable(upstream)) {
        return Files.readAllBytes(upstream);
      }
    }
    return content;
  }

  /** Removes stale run directories and unused extracted layers. */
  private WorkerProtocol.Message prune(WorkerProtocol.PruneRequest p) {
    int runDirs = 0;
    int layerCount = 0;
    long bytes = 0;
    try (DirectoryStream<Path> ds = Files.newDirectoryStream(tmp)) {
      for (Path d : ds) {
        String name = d.getFileName().toString();
        String owner = null;
        if (name.startsWith("run-") && name.indexOf('-', 4) > 0) {
          owner = name.substring(4, name.indexOf('-', 4));
        } else if (name.startsWith("probe-")) {
          owner = name.substring(6);
        }
        if (owner == null || owner.equals(Long.toString(pid)) || workerAlive(owner)) {
          continue;
        }
        bytes += Trees.size(d);
        Trees.delete(d);
        runDirs++;
      }
    } catch (IOException e) {
      return new WorkerProtocol.Failed(p.id(), -1, "cannot prune " + tmp + ": " + e.getMessage(), List.of());
    }
    Set<String> keep = new HashSet<>();
    for (String d : p.keepDiffIds()) {
      keep.add(d.substring(d.indexOf(':') + 1));
    }
    long now = System.currentTimeMillis();
    try (DirectoryStream<Path> ds = Files.newDirectoryStream(layers.root())) {
      for (Path d : ds) {
        String name = d.getFileName().toString();
        try {
          if (name.startsWith(".tmp-")) {
            if (now - Files.getLastModifiedTime(d).toMillis() >= p.graceMillis()) {
              bytes += Trees.size(d);
              Trees.delete(d);
            }
            continue;
          }
          if (name.endsWith(".used") || keep.contains(name) || !Files.isDirectory(d)) {
            continue;
          }
          Path used = layers.root().resolve(name + ".used");
          long last = Files.exists(used) ? Files.getLastModifiedTime(used).toMillis() : 0;
          if (now - last < p.graceMillis()) {
            continue;
          }
          Path blob = Files.exists(used) ? LayerDirs.blobOf(used) : null;
          if (p.graceMillis() > 0 && blob != null && Files.isRegularFile(blob)) {
            continue; // an image or a cache entry still holds its blob
          }
          bytes += Trees.size(d);
          Trees.delete(d);
          Files.deleteIfExists(used);
          layerCount++;
        } catch (IOException e) {
          log("cannot prune " + d + ": " + e.getMessage());
        }
      }
    } catch (IOException e) {
      return new WorkerProtocol.Failed(p.id(), -1, "cannot prune " + layers.root() + ": " + e.getMessage(), List.of());
    }
    int caches = 0;
    if (p.cacheMounts()) {
      CacheMounts store = new CacheMounts(root.resolve(CacheMounts.DIR));
      try {
        long before = Files.isDirectory(store.dir()) ? Trees.size(store.dir()) : 0;
        caches = store.prune();
        bytes += before - (Files.isDirectory(store.dir()) ? Trees.size(store.dir()) : 0);
      } catch (IOException e) {
        return new WorkerProtocol.Failed(p.id(), -1, "cannot prune " + store.dir() + ": " + e.getMessage(), List.of());
      }
    }
    return new WorkerProtocol.Pruned(p.id(), runDirs, layerCount, caches, bytes);
  }

  /** Whether the worker of that pid still holds its lock. */
  private boolean workerAlive(String pidText) {
    Path lockFile = tmp.resolve("worker-" + pidText + ".lock");
    if (!Files.exists(lockFile)) {
      return false;
    }
    try (FileChannel ch = FileChannel.open(lockFile, StandardOpenOption.WRITE)) {
      FileLock l = ch.tryLock();
      if (l == null) {
        return true;
      }
      l.release();
      Files.deleteIfExists(lockFile);
      return false;
    } catch (OverlappingFileLockException e) {
      return true;
    } catch (IOException e) {
      return true;
    }
  }
}
