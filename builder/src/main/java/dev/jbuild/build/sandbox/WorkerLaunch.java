package dev.jbuild.build.sandbox;

import dev.jbuild.build.JbuildException;
import java.io.File;
import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.CodeSource;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.function.Consumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * How to start the sandbox worker on this machine, decided before it starts: as root, {@code
 * unshare --mount --propagation private}; otherwise {@code unshare --user --map-root-user
 * --map-auto --mount}, after checking what a rootless sandbox needs (user namespaces enabled
 * and not restricted by AppArmor, util-linux and newuidmap installed, a subordinate id range)
 * and explaining in one message what is missing and how to fix it. The worker runs the
 * {@code java} of this process with the class path this class was loaded from, so that the
 * CLI and the Maven plugin start it the same way.
 *
 * <p>util-linux older than 2.38 (Ubuntu 22.04) has no {@code --map-auto}: there {@code unshare
 * --user --mount} starts a shell that waits for a line on its stdin, while this process writes
 * the namespace's id maps with {@code newuidmap} and {@code newgidmap} (root to the user, 1… to
 * the subordinate range), as podman and buildah do ({@link #idMaps}); then the line lets the
 * shell exec the worker, which so starts as root of its namespace.
 *
 * @param command the worker's command line, without its arguments
 * @param rootless whether the worker runs in a user namespace of its own
 * @param idMaps the newuidmap and newgidmap arguments after the pid, when this process must
 *     write the maps (empty otherwise)
 */
record WorkerLaunch(List<String> command, boolean rootless, List<List<String>> idMaps) {

  /**
   * A file the worker JVM lists the classes it loads in ({@code -XX:DumpLoadedClassList}):
   * builder/cds/record-worker-classes.sh records the launcher's CDS list of worker classes so.
   */
  static final String CLASS_LIST_PROPERTY = "jbuild.sandbox.classList";

  /**
   * The class-data sharing archive this JVM mapped, which the launcher names (the worker maps it
   * too); unset: the worker maps the JDK's default archive.
   */
  static final String SHARED_ARCHIVE_PROPERTY = "jbuild.sandbox.sharedArchive";

  /**
   * The name of the user who runs the build, for the worker's messages: inside its user
   * namespace the worker is root, and its own {@code user.name} says so.
   */
  static final String HOST_USER_PROPERTY = "jbuild.sandbox.hostUser";

  /** The user who runs the build, as the worker's messages name them. */
  static String hostUser() {
    return System.getProperty(HOST_USER_PROPERTY, System.getProperty("user.name"));
  }

  /** JNA's library search path, which it computes with ldconfig when the property is unset. */
  static final String JNA_PLATFORM_PATH = "jna.platform.library.path";

  /** Set to {@code false} to map ids with newuidmap even where {@code --map-auto} exists. */
  static final String MAP_AUTO_PROPERTY = "jbuild.sandbox.mapAuto";

  WorkerLaunch {
    command = List.copyOf(command);
    idMaps = idMaps.stream().map(List::copyOf).toList();
  }

  /** Whether the worker must wait for this process to write its id maps. */
  boolean mapsIds() {
    return !idMaps.isEmpty();
  }

  /**
   * Decides how to start the worker; warnings (one-id mapping) go to {@code warn}; {@code
   * jnaDir} (in the jbuild root) keeps JNA's native library for it ({@link #jnaBootDir}).
   */
  static WorkerLaunch decide(Consumer<String> warn, Path jnaDir) {
    boolean root = Kernel.geteuid() == 0; // first: JNA loaded, javaCommand passes its path on
    List<String> java = javaCommand(jnaBootDir(jnaDir));
    List<String> missing = new ArrayList<>();
    for (String tool : List.of("unshare", "setpriv", "setsid")) {
      if (which(tool).isEmpty()) {
        missing.add(tool);
      }
    }
    if (!missing.isEmpty()) {
      throw new JbuildException(
          "RUN needs " + String.join(", ", missing) + " from util-linux, which is not on the"
              + " PATH: install util-linux (Debian/Ubuntu: 'sudo apt-get install util-linux')");
    }
    List<String> cmd = new ArrayList<>();
    cmd.add("setsid"); // out of the terminal's process group: Ctrl-C reaches the build only
    if (root) {
      cmd.addAll(List.of("unshare", "--mount", "--propagation", "private", "--"));
      cmd.addAll(java);
      return new WorkerLaunch(cmd, false, List.of());
    }
    List<String> problems = new ArrayList<>();
    String maxUserNs = sysctl("/proc/sys/user/max_user_namespaces");
    if ("0".equals(maxUserNs)) {
      problems.add("user namespaces are disabled (user.max_user_namespaces = 0): run"
          + " 'sudo sysctl -w user.max_user_namespaces=28633' and add the setting to"
          + " /etc/sysctl.d/ to keep it");
    }
    if ("0".equals(sysctl("/proc/sys/kernel/unprivileged_userns_clone"))) {
      problems.add("unprivileged user namespaces are disabled"
          + " (kernel.unprivileged_userns_clone = 0): run 'sudo sysctl -w"
          + " kernel.unprivileged_userns_clone=1' and add it to /etc/sysctl.d/");
    }
    if ("1".equals(sysctl("/proc/sys/kernel/apparmor_restrict_unprivileged_userns"))) {
      problems.add("AppArmor restricts unprivileged user namespaces"
          + " (kernel.apparmor_restrict_unprivileged_userns = 1, Ubuntu 23.10 and later): run"
          + " 'sudo sysctl -w kernel.apparmor_restrict_unprivileged_userns=0' (and add it to"
          + " /etc/sysctl.d/), or give java an AppArmor profile with 'userns,'");
    }
    String user = System.getProperty("user.name");
    long uid = uid();
    boolean subids = hasRange(Path.of("/etc/subuid"), user, uid)
        && hasRange(Path.of("/etc/subgid"), user, uid);
    if (subids) {
      for (String tool : List.of("newuidmap", "newgidmap")) {
        if (which(tool).isEmpty()) {
          problems.add(tool + " is not installed: install the uidmap package ('sudo apt-get"
              + " install uidmap')");
        }
      }
    }
    if (!problems.isEmpty()) {
      throw new JbuildException(
          "RUN cannot run rootless on this machine:\n  - " + String.join("\n  - ", problems)
              + "\n(or run jbuild as root, e.g. in a CI container)");
    }
    List<List<String>> maps = List.of();
    if (subids) {
      int[] v = utilLinuxVersion();
      boolean mapAuto = (v[0] > 2 || (v[0] == 2 && v[1] >= 38))
          && !"false".equals(System.getProperty(MAP_AUTO_PROPERTY));
      if (mapAuto) {
        cmd.addAll(List.of("unshare", "--user", "--map-root-user", "--map-auto"));
      } else {
        cmd.addAll(List.of("unshare", "--user"));
        long gid = gid();
        long[] u = range(Path.of("/etc/subuid"), user, uid);
        long[] g = range(Path.of("/etc/subgid"), user, uid);
        maps = List.of(
            List.of("newuidmap", "0", Long.toString(uid), "1", "1", Long.toString(u[0]),
                Long.toString(u[1])),
            List.of("newgidmap", "0", Long.toString(gid), "1", "1", Long.toString(g[0]),
                Long.toString(g[1])));
      }
    } else {
      cmd.addAll(List.of("unshare", "--user", "--map-root-user"));
      warn.accept(
          "no subordinate id range for user " + user + " in /etc/subuid and /etc/subgid: RUN"
              + " steps can only use root (uid 0) and files owned by other users cannot be"
              + " extracted; add a range with 'sudo usermod --add-subuids 100000-165535"
              + " --add-subgids 100000-165535 " + user + "'");
    }
    cmd.addAll(List.of("--mount", "--"));
    if (!maps.isEmpty()) {
      // capabilities are computed at execve: java must start only after the maps make this
      // process root in the namespace, so a shell waits for the build's go-ahead line first
      cmd.addAll(List.of("/bin/sh", "-c", "read -r go && exec \"$@\"", "sh"));
    }
    cmd.addAll(java);
    return new WorkerLaunch(cmd, true, maps);
  }

  /**
   * {@code java -cp … SandboxWorker}: this JVM's binary and the jars of jbuild's classes; JNA's
   * native library from {@code jnaBootDir} when there is one.
   */
  static List<String> javaCommand(Optional<Path> jnaBootDir) {
    String javaBin =
        ProcessHandle.current().info().command()
            .orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    List<String> cmd = new ArrayList<>();
    cmd.add(javaBin);
    // C2 stays on: layer digests and gzip need its SHA-256 and CRC intrinsics
    cmd.addAll(List.of("-XX:+UseSerialGC", "-XX:-UsePerfData", "-Djava.awt.headless=true"));
    // but it takes only what is 3x hotter than its defaults (C1's thresholds stay): a worker
    // lives for one build, and its JIT threads were ~40% of its CPU (noop-rebuild's one-file
    // change, perf: 355-445 of 956-1,215 ms). With these, 280-302 of 896-929 ms (same build,
    // flags through JAVA_TOOL_OPTIONS), and the step's own thread no slower (snapshot CPU
    // 177-187 ms against 179-260). The launcher's CompileThresholdScaling=4 also delays C1,
    // which cost the step's thread 50-100 ms here. The SHA-256 warm-up's 64,000 updates still
    // get update compiled by C2 (LogCompilation)
    cmd.addAll(List.of("-XX:Tier4InvocationThreshold=15000", "-XX:Tier4MinInvocationThreshold=1800",
        "-XX:Tier4CompileThreshold=45000", "-XX:Tier4BackEdgeThreshold=120000"));
    // the launcher's class-data archive holds the same jar's classes, the worker's among them
    // (builder/cds/worker-classes.lst): map it too, at the address it was dumped for as the
    // launcher does (relocating it cost the worker ~35 ms of CPU at each start). The launcher
    // names it in a property: reading this JVM's options from its management bean loaded
    // java.management, 3.5-6 ms on the way to every worker
    String archive = System.getProperty(SHARED_ARCHIVE_PROPERTY);
    if (archive != null && !archive.isEmpty()) {
      cmd.addAll(List.of("-XX:SharedArchiveFile=" + archive, "-XX:+UnlockDiagnosticVMOptions",
          "-XX:ArchiveRelocationMode=0"));
    }
    // JNA's first library load runs '/sbin/ldconfig -p' for its search path unless this
    // property is set, and sets it: the worker takes this JVM's (a process spawned at every
    // worker start, 20-230 ms of its readiness depending on the machine's load)
    String jnaPath = System.getProperty(JNA_PLATFORM_PATH);
    if (jnaPath != null) {
      cmd.add("-D" + JNA_PLATFORM_PATH + "=" + jnaPath);
    }
    jnaBootDir.ifPresent(d -> cmd.add("-Djna.boot.library.path=" + d));
    cmd.add("-D" + HOST_USER_PROPERTY + "=" + hostUser());
    String classList = System.getProperty(CLASS_LIST_PROPERTY);
    if (classList != null) {
      cmd.add("-XX:DumpLoadedClassList=" + classList);
    }
    cmd.addAll(List.of("-cp", classPath()));
    cmd.add(SandboxWorker.class.getName());
    return cmd;
  }

  /**
   * A directory of {@code jnaDir} holding JNA's native library ({@code libjnidispatch.so} of this
   * JNA's native version and platform, copied from its jar once), for the worker's {@code
   * jna.boot.library.path}: without it every worker unpacked the library into a temporary file
   * (named with a SecureRandom) before its first native call, ~35 ms of CPU at each start.
   * Empty when it cannot be written; the worker unpacks the library itself then.
   */
  static Optional<Path> jnaBootDir(Path jnaDir) {
    String lib = System.mapLibraryName("jnidispatch");
    String platform = com.sun.jna.Platform.RESOURCE_PREFIX;
    Path dir = jnaDir.resolve(com.sun.jna.Native.VERSION_NATIVE + "-" + platform);
    Path file = dir.resolve(lib);
    if (Files.isRegularFile(file)) {
      return Optional.of(dir);
    }
    try (java.io.InputStream in =
        com.sun.jna.Native.class.getResourceAsStream("/com/sun/jna/" + platform + "/" + lib)) {
      if (in == null) {
        return Optional.empty(); // a JNA without it (its library comes from the system)
      }
      Files.createDirectories(dir);
      // complete or absent: written beside it, then renamed (a concurrent build writes the same)
      Path part = dir.resolve(lib + "." + ProcessHandle.current().pid() + ".part");
      try {
        Files.copy(in, part, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        Files.move(part, file, java.nio.file.StandardCopyOption.ATOMIC_MOVE,
            java.nio.file.StandardCopyOption.REPLACE_EXISTING);
      } finally {
        Files.deleteIfExists(part);
      }
      return Optional.of(dir);
    } catch (IOException | RuntimeException e) {
      return Optional.empty();
    }
  }

  /**
   * The class path for the worker: this JVM's when it holds jbuild's classes (the CLI, tests),
   * otherwise (a Maven plugin's class realm) the jars the needed classes came from.
   */
  static String classPath() {
    String own = System.getProperty("java.class.path", "");
    // the CLI: one jar, where this class came from, holding every class it runs (found so, not
    // by the classes below, whose lookup loaded classes the build never uses: 2.5-4 ms on the
    // way to every worker)
    Optional<String> here = location(WorkerLaunch.class);
    if (here.isPresent() && here.get().equals(own)) {
      return own;
    }
    Set<String> entries = new LinkedHashSet<>();
    for (Class<?> c : List.of(SandboxWorker.class, dev.jbuild.dockerfile.ir.RunMount.class,
        dev.jbuild.layer.LayerWriter.class, dev.jbuild.oci.Digest.class,
        com.sun.jna.Native.class, org.apache.commons.compress.archivers.tar.TarArchiveEntry.class,
        com.github.luben.zstd.ZstdOutputStream.class,
        com.fasterxml.jackson.databind.ObjectMapper.class,
        com.fasterxml.jackson.core.JsonFactory.class,
        com.fasterxml.jackson.annotation.JsonProperty.class)) {
      location(c).ifPresent(entries::add);
    }
    Set<String> jvm = new LinkedHashSet<>(List.of(own.split(File.pathSeparator)));
    if (jvm.containsAll(entries)) {
      return own;
    }
    return String.join(File.pathSeparator, entries);
  }

  private static Optional<String> location(Class<?> c) {
    CodeSource cs = c.getProtectionDomain().getCodeSource();
    if (cs == null || cs.getLocation() == null) {
      return Optional.empty();
    }
    try {
      return Optional.of(Path.of(cs.getLocation().toURI()).toString());
    } catch (URISyntaxException | IllegalArgumentException e) {
      return Optional.empty();
    }
  }

  static Optional<Path> which(String tool) {
    String path = System.getenv("PATH");
    if (path == null || path.isEmpty()) {
      path = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
    }
    for (String dir : path.split(File.pathSeparator)) {
      if (dir.isEmpty()) {
        continue;
      }
      Path p = Path.of(dir, tool);
      if (Files.isExecutable(p) && !Files.isDirectory(p)) {
        return Optional.of(p);
      }
    }
    return Optional.empty();
  }

  private static String sysctl(String file) {
    try {
      return Files.readString(Path.of(file), StandardCharsets.US_ASCII).trim();
    } catch (IOException e) {
      return null;
    }
  }

  private static long uid() {
    try {
      return ((Number) Files.getAttribute(Path.of("/proc/self"), "unix:uid")).longValue();
    } catch (IOException | RuntimeException e) {
      return -1;
    }
  }

  private static long gid() {
    try {
      return ((Number) Files.getAttribute(Path.of("/proc/self"), "unix:gid")).longValue();
    } catch (IOException | RuntimeException e) {
      return -1;
    }
  }

  /** Whether {@code file} (subuid/subgid) has a range for the user, by name or uid. */
  static boolean hasRange(Path file, String user, long uid) {
    return range(file, user, uid) != null;
  }

  /** The user's first range in {@code file} (subuid/subgid) as {start, count}, or null. */
  static long[] range(Path file, String user, long uid) {
    try {
      for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
        String[] f = line.trim().split(":");
        if (f.length == 3 && (f[0].equals(user) || f[0].equals(Long.toString(uid)))) {
          long start = Long.parseLong(f[1].trim());
          long count = Long.parseLong(f[2].trim());
          if (count > 0) {
            return new long[] {start, count};
          }
        }
      }
    } catch (IOException | NumberFormatException e) {
      return null;
    }
    return null;
  }

  /** util-linux's version from {@code unshare --version}, {0, 0} when unknown. */
  static int[] utilLinuxVersion() {
    try {
      Process p = new ProcessBuilder("unshare", "--version").redirectErrorStream(true).start();
      String text = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      p.waitFor();
      Matcher m = Pattern.compile("(\\d+)\\.(\\d+)").matcher(text);
      if (m.find()) {
        return new int[] {Integer.parseInt(m.group(1)), Integer.parseInt(m.group(2))};
      }
    } catch (IOException e) {
      return new int[] {0, 0};
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    return new int[] {0, 0};
  }
}
