package dev.jbuild.build.sandbox;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.jbuild.build.BuildRequest;
import dev.jbuild.build.BuildStepException;
import dev.jbuild.build.Builder;
import dev.jbuild.build.PullPolicy;
import dev.jbuild.build.event.BuildEvent;
import dev.jbuild.build.registry.RegistryOptions;
import dev.jbuild.cache.JbuildRoot;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Killing the worker, or the build's JVM, in the middle of a RUN leaves no process of the step
 * and no mount anywhere; a killed build's JVM also leaves no run directory (the worker cleans
 * up when its stdin ends).
 */
@Tag("sandbox")
class SandboxKillTest {

  @TempDir Path tmp;

  private Path context(String marker) throws IOException {
    Path ctx = tmp.resolve("ctx");
    Files.createDirectories(ctx);
    Files.writeString(ctx.resolve("Dockerfile"),
        "FROM busybox:test\nRUN echo started && sleep " + marker + " && echo never\n");
    return ctx;
  }

  @Test
  void killingTheWorkerKillsTheStepAndItsMounts() throws Exception {
    JbuildRoot root = new JbuildRoot(tmp.resolve("root"));
    SandboxTest.storeBusybox(root, "busybox:test");
    String marker = "6" + (System.nanoTime() % 100000 + 100000);
    CountDownLatch started = new CountDownLatch(1);
    try (NamespaceSandbox sandbox = new NamespaceSandbox(root, e -> {})) {
      BuildEventCatcher catcher = new BuildEventCatcher(started);
      Path ctx = context(marker);
      CompletableFuture<Void> build = CompletableFuture.runAsync(() ->
          new Builder(root, RegistryOptions.defaults(), sandbox, catcher)
              .build(BuildRequest.builder(ctx).pull(PullPolicy.NEVER).build()));
      assertThat(started.await(60, TimeUnit.SECONDS)).isTrue();
      awaitRunning(marker);
      ProcessHandle worker = ProcessHandle.current().children()
          .filter(p -> cmdline(p).contains(SandboxWorker.class.getName()))
          .findFirst().orElseThrow();
      worker.destroyForcibly();
      assertThatThrownBy(() -> build.get(60, TimeUnit.SECONDS))
          .hasCauseInstanceOf(BuildStepException.class)
          .hasMessageContaining("sandbox worker");
    }
    awaitGone(marker, root.dir());
    try (NamespaceSandbox cleaner = new NamespaceSandbox(root, e -> {})) {
      SandboxTest.removeLayers(root, cleaner);
    }
  }

  @Test
  void killingTheBuildLeavesNothingBehind() throws Exception {
    JbuildRoot root = new JbuildRoot(tmp.resolve("root"));
    SandboxTest.storeBusybox(root, "busybox:test");
    String marker = "7" + (System.nanoTime() % 100000 + 100000);
    Path ctx = context(marker);
    Process build = new ProcessBuilder(
            ProcessHandle.current().info().command().orElseThrow(), "-cp",
            System.getProperty("java.class.path"), KillTarget.class.getName(),
            root.dir().toString(), ctx.toString())
        .redirectErrorStream(true)
        .start();
    try (BufferedReader r = new BufferedReader(
        new InputStreamReader(build.getInputStream(), StandardCharsets.UTF_8))) {
      String line;
      List<String> seen = new ArrayList<>();
      while ((line = r.readLine()) != null && !line.equals("started")) {
        seen.add(line);
      }
      assertThat(line).as("output: %s", seen).isEqualTo("started");
      awaitRunning(marker);
      build.destroyForcibly(); // SIGKILL: no shutdown hook, no close()
      build.waitFor(10, TimeUnit.SECONDS);
    }
    awaitGone(marker, root.dir());
    awaitNoWorker(root.dir());
    try (Stream<Path> s = Files.list(root.dir().resolve("tmp"))) {
      assertThat(s.map(p -> p.getFileName().toString()).filter(n -> n.startsWith("run-")))
          .isEmpty();
    }
    try (NamespaceSandbox cleaner = new NamespaceSandbox(root, e -> {})) {
      SandboxTest.removeLayers(root, cleaner);
    }
  }

  /** Builds the Dockerfile in {@code args[1]} with jbuild root {@code args[0]}, printing the step output. */
  public static final class KillTarget {
    public static void main(String[] args) {
      JbuildRoot root = new JbuildRoot(Path.of(args[0]));
      NamespaceSandbox sandbox = new NamespaceSandbox(root, e -> {});
      new Builder(root, RegistryOptions.defaults(), sandbox, e -> {
        if (e instanceof BuildEvent.OutputLine) {
          System.out.println(((BuildEvent.OutputLine) e).line());
          System.out.flush();
        }
      }).build(BuildRequest.builder(Path.of(args[1])).pull(PullPolicy.NEVER).build());
    }
  }

  /** Counts down when the step says "started". */
  private static final class BuildEventCatcher implements dev.jbuild.build.event.BuildListener {
    private final CountDownLatch started;

    BuildEventCatcher(CountDownLatch started) {
      this.started = started;
    }

    @Override
    public void onEvent(BuildEvent e) {
      if (e instanceof BuildEvent.OutputLine && ((BuildEvent.OutputLine) e).line().equals("started")) {
        started.countDown();
      }
    }
  }

  private static List<Long> processesWith(String marker) {
    List<Long> out = new ArrayList<>();
    ProcessHandle.allProcesses().forEach(p -> {
      if (cmdline(p).startsWith("sleep " + marker)) {
        out.add(p.pid());
      }
    });
    return out;
  }

  /** The command line from /proc (ProcessHandle.Info leaves out long ones). */
  static String cmdline(ProcessHandle p) {
    try {
      return new String(Files.readAllBytes(Path.of("/proc/" + p.pid() + "/cmdline")),
          StandardCharsets.UTF_8).replace('\0', ' ');
    } catch (IOException | RuntimeException e) {
      return "";
    }
  }

  /** Mount lines of any process that mention {@code dir}. */
  private static List<String> mountsUnder(Path dir) {
    List<String> out = new ArrayList<>();
    String needle = dir.toString();
    try (Stream<Path> procs = Files.list(Path.of("/proc"))) {
      procs.filter(p -> p.getFileName().toString().chars().allMatch(Character::isDigit))
          .forEach(p -> {
            try {
              for (String l : Files.readAllLines(p.resolve("mountinfo"))) {
                if (l.contains(needle)) {
                  out.add(p.getFileName() + ": " + l);
                }
              }
            } catch (IOException | RuntimeException ignored) {
              // gone, or not readable
            }
          });
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
    return out;
  }

  /** Waits for the step's sleep (the shell printed "started" just before it forks it). */
  private static void awaitRunning(String marker) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (System.nanoTime() < deadline && processesWith(marker).isEmpty()) {
      Thread.sleep(20);
    }
    assertThat(processesWith(marker)).isNotEmpty();
  }

  private static void awaitGone(String marker, Path root) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (System.nanoTime() < deadline
        && (!processesWith(marker).isEmpty() || !mountsUnder(root).isEmpty())) {
      Thread.sleep(100);
    }
    assertThat(processesWith(marker)).isEmpty();
    assertThat(mountsUnder(root)).isEmpty();
  }

  private static void awaitNoWorker(Path root) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (System.nanoTime() < deadline && workers(root) > 0) {
      Thread.sleep(100);
    }
    assertThat(workers(root)).isZero();
  }

  private static long workers(Path root) {
    return ProcessHandle.allProcesses()
        .filter(p -> {
          String c = cmdline(p);
          return c.contains(SandboxWorker.class.getName()) && c.contains(root.toString());
        })
        .count();
  }
}
