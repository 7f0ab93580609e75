package dev.jbuild.build;

import static org.assertj.core.api.Assertions.assertThat;

import dev.jbuild.cache.BlobStore;
import dev.jbuild.cache.JbuildRoot;
import dev.jbuild.oci.Digest;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * jbuild killed in the middle of a RUN build: the CLI runs as a child process ({@code java -cp
 * … dev.jbuild.build.cli.Main}) and gets SIGKILL or SIGINT while a step's command runs ({@code
 * sleep}) or while a large step's changes are being snapshotted. Afterwards no process of the
 * build is left (the command, the sandbox worker, its namespaces), no mount refers to the
 * jbuild root, the same build then succeeds, and again from the cache with every blob intact;
 * with {@code jbuild prune} in between, nothing is left in the root's {@code tmp/}.
 */
@Tag("sandbox")
class RunKillIT {

  /** How long a process of the killed build may take to go away. */
  static final Duration GONE = Duration.ofSeconds(20);

  @TempDir Path tmp;

  /**
   * The three points: a step's command running, a 150 MB step's layer being written, and the
   * next step's command running while that layer is still being written (pipelined snapshots).
   * {@code WAIT} keeps the command alive at the first and the last; the build after the kill
   * sets it to 0.
   */
  enum Point {
    RUN("FROM busybox\nARG WAIT=1000\nRUN echo one > /one\n"
        + "RUN echo kill-point-reached && sleep $WAIT && echo slept > /slept\n"),
    SNAPSHOT("FROM busybox\nARG WAIT=0\nRUN echo one > /one\n"
        + "RUN dd if=/dev/urandom of=/big bs=1M count=150 2>/dev/null && mkdir /many"
        + " && for i in $(seq 1 2000); do echo $i > /many/$i; done && echo kill-point-reached\n"),
    PENDING("FROM busybox\nARG WAIT=1000\n"
        + "RUN dd if=/dev/urandom of=/big bs=1M count=150 2>/dev/null && mkdir /many"
        + " && for i in $(seq 1 2000); do echo $i > /many/$i; done\n"
        + "RUN echo kill-point-reached && sleep $WAIT && echo slept > /slept\n");

    final String dockerfile;

    Point(String dockerfile) {
      this.dockerfile = dockerfile;
    }
  }

  @ParameterizedTest(name = "{0} during {1}")
  @CsvSource({"KILL, RUN", "INT, RUN"})
  @Timeout(value = 5, unit = TimeUnit.MINUTES)
  void killedBuildLeavesNothingRunning(String signal, Point point) throws Exception {
    try {
      killAndCheck(signal, point, false);
    } finally {
      RunCorpus.deleteRoot(tmp.resolve("root"));
    }
  }

  /**
   * The whole contract, kills during a snapshot too, with {@code jbuild prune} in between: prune
   * removes the killed build's {@code tmp/.blob.tmp-*} (its writer's pid is gone), and the
   * worker stops writing the layer as soon as the build is gone, well within {@link #GONE}.
   */
  @ParameterizedTest(name = "{0} during {1}, then prune")
  @CsvSource({"KILL, RUN", "INT, RUN", "KILL, SNAPSHOT", "INT, SNAPSHOT", "KILL, PENDING",
      "INT, PENDING"})
  @Timeout(value = 5, unit = TimeUnit.MINUTES)
  void killedBuildLeavesNothingBehindAfterPrune(String signal, Point point) throws Exception {
    try {
      killAndCheck(signal, point, true);
    } finally {
      RunCorpus.deleteRoot(tmp.resolve("root"));
    }
  }

  private void killAndCheck(String signal, Point point, boolean prune) throws Exception {
    Path ctx = tmp.resolve("ctx");
    Files.createDirectories(ctx);
    Files.writeString(ctx.resolve("Dockerfile"), point.dockerfile);
    Path rootDir = tmp.resolve("root");
    JbuildRoot root = new JbuildRoot(rootDir);
    RunCorpus.storeBase(root);

    Process build = cli("build", "--root", rootDir.toString(), "--pull=never", "--progress=plain",
        "-o", "type=oci,dest=" + tmp.resolve("killed-oci"), ctx.toString());
    StringBuilder output = new StringBuilder();
    CountDownLatch reached = new CountDownLatch(1);
    CompletableFuture<Void> reader = CompletableFuture.runAsync(() -> read(build, output, reached));
    try {
      killAt(signal, point, build, output, reached, reader, rootDir);
    } finally {
      build.destroyForcibly();
    }
    after(point, rootDir, root, ctx, prune);
  }

  private void killAt(String signal, Point point, Process build, StringBuilder output,
      CountDownLatch reached, CompletableFuture<Void> reader, Path rootDir) throws Exception {
    assertThat(reached.await(3, TimeUnit.MINUTES))
        .as("the build reached the kill point; it said:\n%s", output).isTrue();
    Instant markerSeen = Instant.now();
    if (point == Point.SNAPSHOT) {
      // the command has finished; wait until the layer is being written
      waitForNewFile(rootDir, markerSeen, Duration.ofSeconds(10));
    } else {
      Thread.sleep(300);
    }
    assertThat(build.isAlive()).as("jbuild still running at the kill point:\n%s", output).isTrue();
    List<ProcessId> tree = descendants(build.pid());
    tree.add(ProcessId.of(build.pid()));
    signal(build.pid(), signal);
    assertThat(build.waitFor(60, TimeUnit.SECONDS)).as("jbuild exits after SIG%s", signal).isTrue();
    reader.get(30, TimeUnit.SECONDS);
    if (signal.equals("INT")) {
      assertThat(build.exitValue()).as("exit code after SIGINT:\n%s", output).isNotZero();
    }

    List<ProcessId> alive = waitGone(tree, GONE);
    assertThat(alive).as("processes of the killed build still running").isEmpty();
    assertThat(processesMentioning(rootDir)).as("processes whose command line names the root").isEmpty();
    assertThat(mountsMentioning(rootDir)).as("mounts under the jbuild root").isEmpty();
  }

  private void after(Point point, Path rootDir, JbuildRoot root, Path ctx, boolean prune)
      throws Exception {
    assertThat(tmp.resolve("killed-oci")).as("no half-written output of the killed build").doesNotExist();
    if (prune) {
      Result pruned = run(cli("prune", "--root", rootDir.toString()));
      assertThat(pruned.code).as("jbuild prune: %s", pruned.output).isZero();
      assertThat(RunCorpusIT.leftovers(root.tmp())).as("left in tmp/ after jbuild prune").isEmpty();
    }

    Path oci = tmp.resolve("oci");
    Result again = run(cli("build", "--root", rootDir.toString(), "--pull=never",
        "--progress=plain", "--build-arg", "WAIT=0", "-o", "type=oci,dest=" + oci, ctx.toString()));
    assertThat(again.code).as("the build after the kill: %s", again.output).isZero();
    assertThat(ImageDump.read(oci).files())
        .containsKeys(point == Point.RUN ? new String[] {"one", "slept"}
            : point == Point.SNAPSHOT ? new String[] {"one", "big", "many/2000"}
            : new String[] {"big", "many/2000", "slept"});
    Path cachedOci = tmp.resolve("oci-cached");
    Result cached = run(cli("build", "--root", rootDir.toString(), "--pull=never",
        "--progress=plain", "--build-arg", "WAIT=0", "-o", "type=oci,dest=" + cachedOci, ctx.toString()));
    assertThat(cached.code).as("the cached rebuild: %s", cached.output).isZero();
    assertThat(java.util.regex.Pattern.compile("(?m)^#\\d+ CACHED$").matcher(cached.output).results().count())
        .as("both RUN steps cached: %s", cached.output).isEqualTo(2);
    assertThat(RunCorpus.layerDigests(cachedOci)).isEqualTo(RunCorpus.layerDigests(oci));
    BlobStore blobs = BlobStore.open(root);
    for (Digest d : blobs.list()) {
      blobs.verify(d);
    }
    if (prune) {
      assertThat(RunCorpusIT.leftovers(root.tmp())).as("left in tmp/ after the next build").isEmpty();
    }
  }

  // ---- the child process ----

  static Process cli(String... args) throws IOException {
    List<String> cmd = new ArrayList<>(List.of(
        Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-cp", System.getProperty("java.class.path"), "dev.jbuild.build.cli.Main"));
    cmd.addAll(List.of(args));
    return new ProcessBuilder(cmd).redirectErrorStream(true).start();
  }

  record Result(int code, String output) {}

  static Result run(Process p) throws Exception {
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (!p.waitFor(3, TimeUnit.MINUTES)) {
      p.destroyForcibly();
      return new Result(-1, out);
    }
    return new Result(p.exitValue(), out);
  }

  private static void read(Process p, StringBuilder output, CountDownLatch reached) {
    try (BufferedReader r = new BufferedReader(
        new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
      String line;
      while ((line = r.readLine()) != null) {
        synchronized (output) {
          output.append(line).append('\n');
        }
        // the command's own output line, not the step's title that quotes the command
        if (line.contains("kill-point-reached") && !line.contains("echo kill-point-reached")) {
          reached.countDown();
        }
      }
    } catch (IOException e) {
      // the process is gone
    }
  }

  private static void signal(long pid, String signal) throws Exception {
    Process kill = new ProcessBuilder("kill", "-" + signal, Long.toString(pid)).inheritIO().start();
    assertThat(kill.waitFor()).isZero();
  }

  /** Waits until a file under the root (not extracted layers) was written after {@code since}. */
  private static void waitForNewFile(Path root, Instant since, Duration max) throws Exception {
    long end = System.nanoTime() + max.toNanos();
    while (System.nanoTime() < end) {
      try (Stream<Path> s = Files.walk(root)) {
        boolean found = s.filter(p -> !p.startsWith(root.resolve("layers")))
            .anyMatch(p -> {
              try {
                BasicFileAttributes a = Files.readAttributes(p, BasicFileAttributes.class);
                return a.isRegularFile() && a.size() > 0 && a.lastModifiedTime().toInstant().isAfter(since);
              } catch (IOException e) {
                return false;
              }
            });
        if (found) {
          return;
        }
      } catch (IOException | java.io.UncheckedIOException e) {
        // a file went away while walking: look again
      }
      Thread.sleep(20);
    }
  }

  // ---- processes and mounts ----

  /** A process by pid and start time (pids are reused), with its command line for messages. */
  record ProcessId(long pid, String start, String cmdline) {
    static ProcessId of(long pid) {
      return new ProcessId(pid, startTime(pid), commandLine(pid));
    }

    boolean alive() {
      String s = startTime(pid);
      return s != null && s.equals(start);
    }
  }

  static String commandLine(long pid) {
    try {
      String c = Files.readString(Path.of("/proc", Long.toString(pid), "cmdline"), StandardCharsets.UTF_8)
          .replace('\0', ' ').trim();
      return c.length() > 300 ? c.substring(0, 300) + "…" : c;
    } catch (IOException e) {
      return "?";
    }
  }

  /** Field 22 of /proc/PID/stat (after the parenthesised command name), or null. */
  static String startTime(long pid) {
    String[] f = statFields(pid);
    return f == null ? null : f[19];
  }

  /** The fields of /proc/PID/stat after the command name: state is [0], ppid [1]. */
  private static String[] statFields(long pid) {
    try {
      String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
      return stat.substring(stat.lastIndexOf(')') + 2).split(" ");
    } catch (IOException e) {
      return null;
    }
  }

  static List<ProcessId> descendants(long root) throws IOException {
    Map<Long, List<Long>> children = new HashMap<>();
    for (long pid : pids()) {
      String[] f = statFields(pid);
      if (f != null) {
        children.computeIfAbsent(Long.parseLong(f[1]), k -> new ArrayList<>()).add(pid);
      }
    }
    List<ProcessId> out = new ArrayList<>();
    List<Long> todo = new ArrayList<>(children.getOrDefault(root, List.of()));
    while (!todo.isEmpty()) {
      long pid = todo.remove(todo.size() - 1);
      String start = startTime(pid);
      if (start != null) {
        out.add(new ProcessId(pid, start, commandLine(pid)));
      }
      todo.addAll(children.getOrDefault(pid, List.of()));
    }
    return out;
  }

  private static List<Long> pids() throws IOException {
    try (Stream<Path> s = Files.list(Path.of("/proc"))) {
      return s.map(p -> p.getFileName().toString()).filter(n -> n.chars().allMatch(Character::isDigit))
          .map(Long::parseLong).toList();
    }
  }

  private static List<ProcessId> waitGone(List<ProcessId> tree, Duration max) throws InterruptedException {
    long end = System.nanoTime() + max.toNanos();
    List<ProcessId> alive = tree;
    while (true) {
      alive = alive.stream().filter(ProcessId::alive).filter(p -> !zombieOfOurs(p)).toList();
      if (alive.isEmpty() || System.nanoTime() > end) {
        return alive;
      }
      Thread.sleep(50);
    }
  }

  /** A zombie waiting for this JVM to reap it is gone for every purpose but its pid. */
  private static boolean zombieOfOurs(ProcessId p) {
    String[] f = statFields(p.pid());
    return f != null && f[0].equals("Z");
  }

  /** Live processes whose command line holds {@code path}, as "pid: cmdline". */
  static List<String> processesMentioning(Path path) throws IOException {
    List<String> out = new ArrayList<>();
    String needle = path.toString();
    for (long pid : pids()) {
      try {
        String cmd = Files.readString(Path.of("/proc", Long.toString(pid), "cmdline"), StandardCharsets.UTF_8)
            .replace('\0', ' ');
        String[] f = statFields(pid);
        if (cmd.contains(needle) && f != null && !f[0].equals("Z")) {
          out.add(pid + ": " + cmd);
        }
      } catch (IOException e) {
        // gone, or not ours to read
      }
    }
    return out;
  }

  /** Mount table lines of any process we can read that mention {@code path}. */
  static List<String> mountsMentioning(Path path) throws IOException {
    List<String> out = new ArrayList<>();
    String needle = path.toString();
    for (long pid : pids()) {
      try {
        for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid), "mountinfo"))) {
          if (line.contains(needle)) {
            out.add(pid + ": " + line);
          }
        }
      } catch (IOException e) {
        // gone, or not ours to read
      }
    }
    return out;
  }
}
