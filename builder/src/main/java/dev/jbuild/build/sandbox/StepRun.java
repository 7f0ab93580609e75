package dev.jbuild.build.sandbox;

import dev.jbuild.dockerfile.ir.RunMount;
import dev.jbuild.layer.Compression;
import dev.jbuild.layer.FileStat;
import dev.jbuild.layer.LayerBlob;
import dev.jbuild.layer.LayerHeaders;
import dev.jbuild.layer.LayerWriter;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One RUN step inside the worker, on its own thread: root filesystem (through the {@link
 * Snapshotter}), {@code /dev}, generated {@code /etc} files, the {@link RunPreparation} hook,
 * then the process through util-linux ({@code setpriv --pdeathsig KILL unshare --pid --fork
 * --kill-child --ipc --mount-proc --root --wd --setuid --setgid}), which needs nothing inside
 * the image. The thread itself first moves into new UTS (hostname) and, for {@code
 * --network=none}, network namespaces (loopback up), which the process inherits; it lives
 * until the process ends, so that the parent-death signal fires only when the worker dies.
 */
final class StepRun {
  static final String HOSTNAME = "buildkitsandbox";
  private static final String DEFAULT_PATH =
      "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
  private static final int TAIL = 10;
  /** The diffID of a tar without entries (two zero blocks). */
  private static final dev.jbuild.oci.Digest EMPTY_TAR = dev.jbuild.oci.Digest.of(new byte[1024]);
  private static final int MAX_LINE = 64 * 1024;
  /** A bigger header index stays home (one frame holds the Done); the build reads the blob. */
  private static final int MAX_SENT_INDEX = 32 << 20;
  private static final List<String> DEVICES = List.of("null", "zero", "full", "random",
      "urandom", "tty");

  private final SandboxWorker worker;
  private final long id;
  private final WorkerProtocol.StepSpec spec;
  /** Whether the build asked for {@link WorkerProtocol.Ran} (see {@link FrozenUpper}). */
  private final boolean early;
  private final Deque<String> tail = new ArrayDeque<>();
  /** The frozen upper dirs of earlier steps that this one stacks. */
  private final List<FrozenUpper> stacked = new ArrayList<>();
  /** This step's upper dir once frozen, or null. */
  private FrozenUpper frozen;
  private Path runDir;
  private Snapshotter.RootFs fs;
  /**
   * Set once the step's layer is written and its upper dir is to become the layer's lower dir
   * after the answer went out ({@link #adoptAfterAnswer}), or null.
   */
  private Runnable adoption;
  private RunContext context;
  private volatile Process process;
  private volatile boolean cancelled;

  StepRun(SandboxWorker worker, long id, WorkerProtocol.StepSpec spec, boolean early) {
    this.worker = worker;
    this.id = id;
    this.spec = spec;
    this.early = early;
  }

  /** Kills the step's processes (the whole PID namespace dies with its first process). */
  void cancel() {
    cancelled = true;
    Process p = process;
    if (p != null) {
      p.destroyForcibly();
    }
  }

  /** Runs the step and answers the build; never throws. */
  void run() {
    WorkerProtocol.Message answer;
    try {
      answer = execute();
    } catch (IOException | RuntimeException e) {
      answer = new WorkerProtocol.Failed(id, -1, message(e), List.copyOf(tail));
      if (frozen != null) {
        frozen.failed(e);
      }
    }
    if ((frozen != null || adoption != null) && answer instanceof WorkerProtocol.Done) {
      // the clean-up waits for the next step, which stacks the upper dir, to let go of it; the
      // build needs the layer before that step ends. An adoption goes on while the build
      // stores the layer and starts its next step
      worker.send(answer);
      if (adoption != null) {
        adoption.run();
      }
      cleanUp();
    } else {
      if (adoption != null) {
        adoption.run(); // ends the layer's reservation: nothing else would
      }
      cleanUp(); // a failed step's mounts and files are gone when the build hears of it
      worker.send(answer);
    }
  }

  /** Unmounts and deletes what the step made; a frozen upper dir once no step stacks it. */
  private void cleanUp() {
    if (context != null) {
      context.undoAll();
    }
    if (fs != null) {
      try {
        fs.close();
      } catch (IOException e) {
        worker.log("cannot unmount the root filesystem of step " + id + ": " + e.getMessage());
      }
    }
    for (FrozenUpper f : stacked) {
      f.release(this);
    }
    if (frozen != null) {
      frozen.awaitReleased();
    }
    if (runDir != null) {
      try {
        Trees.delete(runDir);
      } catch (IOException e) {
        worker.log("cannot delete " + runDir + ": " + e.getMessage());
      }
    }
  }

  /**
   * The step's layers as its snapshotter stacks them: frozen upper dirs of earlier steps
   * ({@link WorkerProtocol.LayerRef#early}) go into {@code early}, by step id; an empty one is
   * left out.
   */
  private List<WorkerProtocol.LayerRef> stackedLayers(Map<Long, Path> early) throws IOException {
    List<WorkerProtocol.LayerRef> refs = new ArrayList<>();
    for (WorkerProtocol.LayerRef r : spec.layers()) {
      if (r.step() == 0) {
        refs.add(r);
        continue;
      }
      FrozenUpper f = worker.frozen(r.step());
      if (f == null) {
        throw new IOException("the sandbox worker has no layer of step " + r.step());
      }
      stacked.add(f);
      Path dir = f.acquire(this);
      if (dir != null) {
        refs.add(r);
        early.put(r.step(), dir);
      }
    }
    return refs;
  }

  private static String message(Throwable e) {
    String m = e.getMessage();
    return m == null || m.isBlank() ? e.toString() : m;
  }

  private WorkerProtocol.Message execute() throws IOException {
    List<RunMount> mounts = new ArrayList<>();
    for (String m : spec.mounts()) {
      mounts.add(RunMount.parse(m));
    }
    RunPreparation preparation = RunPreparation.find();
    if (!mounts.isEmpty() && preparation == null) {
      throw new IOException("RUN --mount is not available yet in this version of jbuild");
    }
    long begin = System.nanoTime();
    runDir = worker.newRunDir(id);
    Map<Long, Path> earlyDirs = new java.util.HashMap<>();
    List<WorkerProtocol.LayerRef> refs = stackedLayers(earlyDirs);
    fs = worker.snapshotter().prepare(refs, earlyDirs, runDir);
    long prepared = System.nanoTime();
    Path root = fs.root();
    ExecUser user = ExecUser.resolve(spec.user(), root);
    if (worker.mappedIds() == 1 && (user.uid() != 0 || user.gid() != 0)) {
      throw new IOException(
          "USER " + spec.user() + " needs uid " + user.uid() + " and gid " + user.gid()
              + ", but only root is mapped in this user namespace: add a range for your user"
              + " to /etc/subuid and /etc/subgid (e.g. 'sudo usermod --add-subuids"
              + " 100000-165535 --add-subgids 100000-165535 "
              + System.getProperty("user.name") + "')");
    }
    Path scratch = Files.createDirectory(runDir.resolve("s"));
    List<ResolvedMount> resolved;
    try (java.io.DataInputStream d = new java.io.DataInputStream(
        new java.io.ByteArrayInputStream(spec.resolvedMounts()))) {
      resolved = ResolvedMount.readAll(d);
    }
    context = new RunContext(root, scratch, spec, mounts, resolved, user, worker.layers());
    setUpDev(context, runDir);
    setUpSys(context);
    setUpEtc(context, runDir);
    workdir(root, user);
    if (!mounts.isEmpty()) {
      preparation.prepare(context);
    }
    long started = System.nanoTime();
    int exit = runProcess(root, user);
    long ended = System.nanoTime();
    IOException undo = context.undoAll();
    context.removeStubs();
    if (exit != 0) {
      if (cancelled) {
        return new WorkerProtocol.Failed(id, -1, "cancelled", List.copyOf(tail));
      }
      return new WorkerProtocol.Failed(id, exit, "", List.copyOf(tail));
    }
    if (undo != null) {
      throw undo;
    }
    long frozenAt = System.nanoTime();
    Path upper = early ? fs.freeze(spec.epochSeconds()) : null;
    if (upper != null) {
      frozen = FrozenUpper.of(upper);
      worker.frozen(id, frozen);
      worker.send(new WorkerProtocol.Ran(id));
    }
    long frozenMillis = (System.nanoTime() - frozenAt) / 1_000_000;
    // one layer after the other: this one is stored after the one below it anyway, and the
    // two walks would compete for the cores with the step running on top of both
    long waitAt = System.nanoTime();
    for (FrozenUpper f : stacked) {
      f.awaitWritten();
    }
    long waitMillis = (System.nanoTime() - waitAt) / 1_000_000;
    java.lang.management.ThreadMXBean cpu = java.lang.management.ManagementFactory.getThreadMXBean();
    long start = System.nanoTime();
    long startCpu = cpu.getCurrentThreadCpuTime();
    long startUser = cpu.getCurrentThreadUserTime();
    LayerHeaders.Recorder headers = new LayerHeaders.Recorder();
    LayerBlob blob = writeLayer(fs, headers);
    long millis = (System.nanoTime() - start) / 1_000_000;
    long cpuMillis = (cpu.getCurrentThreadCpuTime() - startCpu) / 1_000_000;
    long kernelMillis = cpuMillis - (cpu.getCurrentThreadUserTime() - startUser) / 1_000_000;
    long adoptStart = System.nanoTime();
    String adopted = frozen == null ? adoptAfterAnswer(fs, blob) : null;
    if (adopted == null) {
      adopted = adopt(fs, blob, upper != null, null);
    }
    if (frozen != null) {
      Path kept = worker.layers().root().resolve(blob.diffId().hex());
      if (blob.diffId().equals(EMPTY_TAR)) {
        frozen.written(null, null);
      } else if (Files.isDirectory(kept)) {
        frozen.written(kept, null);
      } else {
        frozen.written(null, "its upper dir was " + adopted);
      }
    }
    worker.log("step " + id + ": root filesystem " + (prepared - begin) / 1_000_000
        + " ms, mounts " + (started - prepared) / 1_000_000 + " ms, process "
        + (ended - started) / 1_000_000 + " ms"
        + (upper != null ? ", frozen in " + frozenMillis + " ms" : "")
        + (stacked.isEmpty() ? "" : ", waited " + waitMillis + " ms for the layers below")
        + ", snapshot " + millis + " ms (" + cpuMillis + " ms CPU, "
        + kernelMillis + " ms of it in the kernel), layer "
        + blob.size() + " bytes, upper dir " + adopted + " in "
        + (System.nanoTime() - adoptStart) / 1_000_000 + " ms");
    byte[] index = headers.toBytes();
    return new WorkerProtocol.Done(id, blob.diffId().toString(), blob.digest().toString(),
        blob.size(), blob.mediaType(), millis,
        index != null && index.length <= MAX_SENT_INDEX ? index : null);
  }

  /**
   * Keeps the step's upper dir as the extracted dir of its layer, so that the next step stacks
   * it without extracting the blob again (issue 5). Before the answer goes out (the next step
   * asks for the layer only then), or after it under a reservation ({@link #adoptAfterAnswer},
   * {@code reserved}). Any failure leaves the layer to extraction. {@code converted}: {@link
   * Snapshotter.RootFs#freeze} made it lower-dir form already.
   */
  private String adopt(Snapshotter.RootFs fs, LayerBlob blob, boolean converted,
      java.util.concurrent.CompletableFuture<Path> reserved) {
    Path upper = fs.writtenUpper();
    if (upper == null) {
      return "not reusable";
    }
    if (blob.diffId().equals(EMPTY_TAR)) {
      return "empty"; // the build adds no layer for it
    }
    try {
      return worker.layers().adopt(upper, blob.diffId(), worker.blobPath(blob.digest()),
          spec.epochSeconds(), converted, reserved) ? "adopted" : "already extracted";
    } catch (IOException | RuntimeException e) {
      worker.log("step " + id + ": the upper dir stays unused (the layer will be extracted): "
          + message(e));
      return "not adopted";
    }
  }

  /**
   * Has {@link #adopt} run after the answer went out, when the step froze nothing (its upper
   * dir is still in upper-dir form, and {@link UpperAsLower} makes it lower-dir form there):
   * the conversion walks every entry of the layer (25-45 ms for a {@code chown -R} of 1,200
   * files), which now overlaps the build storing the blob and starting its next step. The
   * layer's directory is {@link LayerDirs#reserve reserved} first, so that a step that stacks
   * it meanwhile waits for the adoption rather than extracting the blob. Null, and nothing
   * done, when there is nothing to adopt or the layer is extracted here already (then {@link
   * #adopt} runs now, as before).
   */
  private String adoptAfterAnswer(Snapshotter.RootFs fs, LayerBlob blob) {
    if (fs.writtenUpper() == null || blob.diffId().equals(EMPTY_TAR)) {
      return null;
    }
    java.util.concurrent.CompletableFuture<Path> reserved =
        worker.layers().reserve(blob.diffId());
    if (reserved == null) {
      return null;
    }
    adoption = () -> {
      long start = System.nanoTime();
      String adopted = adopt(fs, blob, false, reserved);
      worker.log("step " + id + ": upper dir " + adopted + " in "
          + (System.nanoTime() - start) / 1_000_000 + " ms, after the answer");
    };
    return "to be adopted after the answer";
  }

  /**
   * The layer of the step's changes, sent to the build as it is written: the snapshotter
   * writes it through the layer writer (recording its header index into {@code headers} on the
   * way) as a COPY layer is written, the tar and its diffID on this thread, gzip's framing on
   * a second and the blob's digest and sending on a third, beside the deflating threads. (A
   * plain tar compressed afterwards on this thread had it read, hash, frame, hash again and
   * send every byte: 605 ms for run-heavy's 200 MiB step, which the next step waited for.)
   */
  private LayerBlob writeLayer(Snapshotter.RootFs fs, LayerHeaders.Recorder headers)
      throws IOException {
    Compression compression = Compression.valueOf(spec.compression());
    LayerWriter writer =
        new LayerWriter(
            new LayerWriter.Options(
                compression, spec.level(),
                spec.epochSeconds() == Long.MIN_VALUE
                    ? null
                    : Instant.ofEpochSecond(spec.epochSeconds())))
            .recordingHeaders(headers);
    try (ChunkStream out = new ChunkStream()) {
      return fs.writeLayer(writer, out);
    }
  }

  /**
   * {@code /dev}: a tmpfs with the usual device nodes bind-mounted from the host, the standard
   * symlinks, a private {@code /dev/pts}, {@code /dev/shm} and the here-documents in {@code
   * /dev/pipes}.
   */
  private void setUpDev(RunContext context, Path runDir) throws IOException {
    Path dev = context.mountPoint("/dev", true);
    Kernel.mount("tmpfs", dev, "tmpfs", Kernel.MS_NOSUID, "mode=755,size=65536k");
    context.onUndo(() -> Kernel.umount(dev, Kernel.MNT_DETACH));
    for (String name : DEVICES) {
      Path node = Files.createFile(dev.resolve(name));
      Kernel.bind(Path.of("/dev", name), node, false);
    }
    Files.createSymbolicLink(dev.resolve("fd"), Path.of("/proc/self/fd"));
    Files.createSymbolicLink(dev.resolve("stdin"), Path.of("/proc/self/fd/0"));
    Files.createSymbolicLink(dev.resolve("stdout"), Path.of("/proc/self/fd/1"));
    Files.createSymbolicLink(dev.resolve("stderr"), Path.of("/proc/self/fd/2"));
    Files.createSymbolicLink(dev.resolve("ptmx"), Path.of("pts/ptmx"));
    Path pts = Files.createDirectory(dev.resolve("pts"));
    try {
      Kernel.mount("devpts", pts, "devpts", Kernel.MS_NOSUID | Kernel.MS_NOEXEC,
          "newinstance,ptmxmode=0666,mode=0620,gid=5");
    } catch (Kernel.KernelException e) {
      try { // gid 5 (tty) is not mapped in a one-id user namespace
        Kernel.mount("devpts", pts, "devpts", Kernel.MS_NOSUID | Kernel.MS_NOEXEC,
            "newinstance,ptmxmode=0666,mode=0620");
      } catch (Kernel.KernelException again) {
        worker.log("no /dev/pts for step " + id + ": " + again.getMessage());
      }
    }
    Path shm = Files.createDirectory(dev.resolve("shm"));
    Kernel.mount("shm", shm, "tmpfs", Kernel.MS_NOSUID | Kernel.MS_NODEV | Kernel.MS_NOEXEC,
        "mode=1777,size=65536k");
    if (!spec.pipes().isEmpty()) {
      Path pipes = Files.createDirectory(dev.resolve("pipes"));
      for (WorkerProtocol.Pipe p : spec.pipes()) {
        Path f = pipes.resolve(p.name());
        if (!f.getParent().equals(pipes)) {
          throw new IOException("bad here-document name \"" + p.name() + "\"");
        }
        Files.write(f, p.content());
        Files.setPosixFilePermissions(f, FileStat.permissions(p.mode()));
      }
      Kernel.bind(pipes, pipes, true);
    }
    context.mountPoint("/proc", true);
  }

  /**
   * {@code /sys}: the host's sysfs, read-only, nosuid, nodev, noexec, as the OCI default spec
   * gives a BuildKit step. Bound rather than mounted anew: a user namespace may mount sysfs only
   * in a network namespace of its own. Where the kernel refuses, the step runs without it.
   */
  private void setUpSys(RunContext context) throws IOException {
    Path sys = context.mountPoint("/sys", true);
    try {
      Kernel.mount("/sys", sys, null, Kernel.MS_BIND | Kernel.MS_REC, null);
    } catch (Kernel.KernelException e) {
      worker.log("no /sys for step " + id + ": " + e.getMessage());
      return;
    }
    try {
      Kernel.mount(null, sys, null, Kernel.MS_BIND | Kernel.MS_REMOUNT | Kernel.MS_RDONLY
          | Kernel.MS_NOSUID | Kernel.MS_NODEV | Kernel.MS_NOEXEC, null);
    } catch (Kernel.KernelException e) {
      Kernel.umount(sys, Kernel.MNT_DETACH); // never a writable /sys
      worker.log("no /sys for step " + id + ": " + e.getMessage());
      return;
    }
    context.onUndo(() -> Kernel.umount(sys, Kernel.MNT_DETACH));
  }

  /** {@code /etc/hosts}, {@code /etc/resolv.conf} and {@code /etc/hostname}, read-only. */
  private void setUpEtc(RunContext context, Path runDir) throws IOException {
    Path etc = Files.createDirectory(runDir.resolve("etc"));
    Map<String, byte[]> files = new LinkedHashMap<>();
    files.put("hosts", ("127.0.0.1\tlocalhost " + HOSTNAME + "\n"
        + "::1\tlocalhost ip6-localhost ip6-loopback\n").getBytes(StandardCharsets.UTF_8));
    files.put("resolv.conf", worker.resolvConf());
    files.put("hostname", (HOSTNAME + "\n").getBytes(StandardCharsets.UTF_8));
    for (Map.Entry<String, byte[]> f : files.entrySet()) {
      Path source = etc.resolve(f.getKey());
      Files.write(source, f.getValue());
      Files.setPosixFilePermissions(source, PosixFilePermissions.fromString("rw-r--r--"));
      Path target = context.mountPoint("/etc/" + f.getKey(), false);
      if (!Files.isRegularFile(target)) {
        continue; // the image has a directory or a dangling link there: leave it as it is
      }
      context.bind(source, target, true);
    }
  }

  /** Creates the WORKDIR when missing (owned by the user, as BuildKit does); part of the layer. */
  private void workdir(Path root, ExecUser user) throws IOException {
    Path wd = InRoot.resolve(root, spec.workdir(), true);
    if (Files.isDirectory(wd)) {
      return;
    }
    List<Path> missing = new ArrayList<>();
    for (Path p = wd; !p.equals(root) && !Files.exists(p, LinkOption.NOFOLLOW_LINKS);
        p = p.getParent()) {
      missing.add(0, p);
    }
    for (Path p : missing) {
      Files.createDirectory(p);
      Files.setPosixFilePermissions(p, PosixFilePermissions.fromString("rwxr-xr-x"));
      Files.setAttribute(p, "unix:uid", (int) user.uid(), LinkOption.NOFOLLOW_LINKS);
      Files.setAttribute(p, "unix:gid", (int) user.gid(), LinkOption.NOFOLLOW_LINKS);
    }
  }

  /** Starts the process, streams its output, and returns its exit code. */
  private int runProcess(Path root, ExecUser user) throws IOException {
    Kernel.unshareThread(
        Kernel.CLONE_NEWUTS | ("none".equals(spec.network()) ? Kernel.CLONE_NEWNET : 0));
    Kernel.sethostname(HOSTNAME);
    if ("none".equals(spec.network())) {
      Kernel.loopbackUp();
    }
    List<String> cmd = new ArrayList<>(List.of("setpriv", "--pdeathsig", "KILL"));
    boolean groups = worker.setgroupsAllowed();
    if (groups) {
      // the groups as runc sets them. setpriv sets the real and effective gid and the groups
      // while still root (unshare --setgid would clear the groups again); exec-ing unshare makes
      // the gid the saved one too, and unshare --setuid then drops root
      List<String> ids = new ArrayList<>();
      for (long g : user.groups()) {
        // rootless, a group id outside the user namespace's range cannot be set (setgroups
        // fails with EINVAL): the step runs without that group, and the build log says so
        if (worker.mappedIds() > 0 && g >= worker.mappedIds()) {
          worker.log("step " + id + ": supplementary group " + g + " of USER " + spec.user()
              + " is not mapped in the user namespace (" + worker.mappedIds()
              + " ids): the step runs without it");
          continue;
        }
        ids.add(Long.toString(g));
      }
      cmd.addAll(List.of("--regid", Long.toString(user.gid())));
      cmd.addAll(ids.isEmpty() ? List.of("--clear-groups") : List.of("--groups", String.join(",", ids)));
    }
    cmd.addAll(List.of("--", "unshare", "--pid", "--fork", "--kill-child", "--ipc", "--mount-proc",
        "--root=" + root, "--wd=" + spec.workdir()));
    if (!groups && (user.uid() != 0 || user.gid() != 0)) {
      // setgroups is denied (a one-id user namespace): no supplementary groups can be set
      cmd.addAll(List.of("--setgid", Long.toString(user.gid())));
    }
    if (user.uid() != 0) {
      cmd.addAll(List.of("--setuid", Long.toString(user.uid())));
    } else if (!groups && user.gid() != 0) {
      cmd.addAll(List.of("--setuid", "0"));
    }
    cmd.add("--");
    cmd.addAll(spec.args());
    ProcessBuilder pb = new ProcessBuilder(cmd);
    pb.redirectErrorStream(true);
    pb.redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
    Map<String, String> env = pb.environment();
    env.clear();
    boolean path = false;
    boolean home = false;
    for (String kv : spec.env()) {
      int eq = kv.indexOf('=');
      if (eq <= 0) {
        continue;
      }
      env.put(kv.substring(0, eq), kv.substring(eq + 1));
      path |= kv.startsWith("PATH=");
      home |= kv.startsWith("HOME=");
    }
    if (!path) {
      env.put("PATH", DEFAULT_PATH.substring(5));
    }
    if (!home) {
      env.put("HOME", user.home()); // what runc does when the image sets none
    }
    if (cancelled) {
      return -1;
    }
    Process p = pb.start();
    process = p;
    if (cancelled) {
      p.destroyForcibly();
    }
    try (InputStream in = p.getInputStream()) {
      pump(in);
    }
    try {
      return p.waitFor();
    } catch (InterruptedException e) {
      p.destroyForcibly();
      Thread.currentThread().interrupt();
      throw new IOException("interrupted");
    }
  }

  /** Reads the output, line by line, to the build and into the tail. */
  private void pump(InputStream in) throws IOException {
    byte[] buf = new byte[8192];
    java.io.ByteArrayOutputStream line = new java.io.ByteArrayOutputStream();
    int n;
    while ((n = in.read(buf)) > 0) {
      for (int i = 0; i < n; i++) {
        byte b = buf[i];
        if (b == '\n' || line.size() >= MAX_LINE) {
          emit(line);
          if (b == '\n') {
            continue;
          }
        }
        line.write(b);
      }
    }
    if (line.size() > 0) {
      emit(line);
    }
  }

  private void emit(java.io.ByteArrayOutputStream line) {
    String s = line.toString(StandardCharsets.UTF_8);
    line.reset();
    if (s.endsWith("\r")) {
      s = s.substring(0, s.length() - 1);
    }
    synchronized (tail) {
      if (tail.size() == TAIL) {
        tail.removeFirst();
      }
      tail.addLast(s);
    }
    worker.send(new WorkerProtocol.Output(id, s));
  }

  /**
   * Fails the snapshot once the step is cancelled or the build is gone (its pipe broke): a
   * killed build's worker must not spend seconds writing a layer nobody reads (RunKillIT).
   */
  private void checkAlive() throws IOException {
    if (cancelled || worker.buildGone()) {
      throw new IOException("cancelled");
    }
  }

  /** The layer blob as {@link WorkerProtocol.Data} frames of up to 256 KiB. */
  private final class ChunkStream extends OutputStream {
    private final byte[] buf = new byte[256 * 1024];
    private int n;

    @Override
    public void write(int b) throws IOException {
      if (n == buf.length) {
        flush();
      }
      buf[n++] = (byte) b;
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
      checkAlive();
      while (len > 0) {
        if (n == buf.length) {
          flush();
        }
        int k = Math.min(len, buf.length - n);
        System.arraycopy(b, off, buf, n, k);
        n += k;
        off += k;
        len -= k;
      }
    }

    @Override
    public void flush() throws IOException {
      checkAlive();
      if (n > 0) {
        worker.sendData(id, buf, 0, n);
        n = 0;
      }
    }

    @Override
    public void close() throws IOException {
      flush();
    }
  }
}
