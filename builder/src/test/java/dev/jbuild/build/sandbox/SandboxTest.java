package dev.jbuild.build.sandbox;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.jbuild.build.BuildRequest;
import dev.jbuild.build.BuildResult;
import dev.jbuild.build.BuildStepException;
import dev.jbuild.build.Builder;
import dev.jbuild.build.PullPolicy;
import dev.jbuild.build.event.BuildEvent;
import dev.jbuild.build.registry.RegistryOptions;
import dev.jbuild.build.registry.testing.TestImages;
import dev.jbuild.cache.BlobStore;
import dev.jbuild.cache.ImageStore;
import dev.jbuild.cache.JbuildRoot;
import dev.jbuild.layer.EntryType;
import dev.jbuild.layer.LayerEntry;
import dev.jbuild.layer.LayerReader;
import dev.jbuild.layer.LayerStack;
import dev.jbuild.oci.Descriptor;
import dev.jbuild.oci.ImageManifest;
import dev.jbuild.oci.MediaTypes;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * RUN steps through the real sandbox (worker JVM, namespaces, overlayfs) on the busybox test
 * image: as root in CI and as an unprivileged user in the rootless pass.
 */
@Tag("sandbox")
class SandboxTest {

  @TempDir static Path tmp;

  private static JbuildRoot root;
  private static NamespaceSandbox sandbox;
  private static final List<BuildEvent> events = Collections.synchronizedList(new ArrayList<>());

  @BeforeAll
  static void setUp() throws IOException {
    root = new JbuildRoot(tmp.resolve("root"));
    storeBusybox(root, "busybox:test");
    sandbox = new NamespaceSandbox(root, events::add,
        System.getProperty("jbuild.test.snapshotter", "auto"));
  }

  @AfterAll
  static void tearDown() {
    if (sandbox != null) {
      removeLayers(root, sandbox);
      sandbox.close();
    }
  }

  /**
   * Removes the extracted layers through the worker (rootless, they belong to ids of its user
   * namespace, which the test cannot delete).
   */
  static void removeLayers(JbuildRoot root, NamespaceSandbox sandbox) {
    sandbox.prune(List.of(), java.time.Duration.ZERO, true);
  }

  /** The busybox test image, tagged in the local store. */
  static void storeBusybox(JbuildRoot root, String tag) {
    TestImages.Image image = TestImages.busybox(dev.jbuild.oci.Platform.of("linux", dev.jbuild.oci.Platform.host().architecture(), dev.jbuild.oci.Platform.host().variant()));
    BlobStore blobs = BlobStore.open(root);
    for (TestImages.Blob b : image.blobs()) {
      blobs.put(b.bytes());
    }
    blobs.put(image.manifest().bytes());
    new ImageStore(blobs).tag(tag, Descriptor.of(MediaTypes.OCI_MANIFEST, image.manifest().bytes()));
  }

  private BuildResult build(String name, String dockerfile) throws IOException {
    Path ctx = tmp.resolve("ctx-" + name);
    Files.createDirectories(ctx);
    Files.writeString(ctx.resolve("Dockerfile"), dockerfile);
    return new Builder(root, RegistryOptions.defaults(), sandbox, events::add)
        .build(BuildRequest.builder(ctx).pull(PullPolicy.NEVER).build());
  }

  /** The file contents of the image's last layer, by path (read while the layer streams). */
  private final Map<String, String> contents = new LinkedHashMap<>();

  /** The entries of the image's last layer, by path. */
  private Map<String, LayerEntry> lastLayer(BuildResult r) throws IOException {
    contents.clear();
    BlobStore blobs = BlobStore.open(root);
    ImageManifest m = blobs.readManifest(r.manifest().digest()).value();
    Path blob = blobs.path(m.layers().get(m.layers().size() - 1).digest());
    Map<String, LayerEntry> out = new LinkedHashMap<>();
    try (LayerReader reader = LayerReader.open(blob)) {
      for (LayerEntry e = reader.next(); e != null; e = reader.next()) {
        out.put(e.path(), e);
        if (e.type() == EntryType.FILE && e.content() != null) {
          try (InputStream in = e.content().open()) {
            contents.put(e.path(), new String(in.readAllBytes(), StandardCharsets.UTF_8));
          }
        }
      }
    }
    return out;
  }

  private String content(LayerEntry e) {
    return contents.get(e.path());
  }

  @Test
  void runCreatesAFile() throws IOException {
    BuildResult r = build("create", "FROM busybox:test\nRUN echo hi > /f\n");
    Map<String, LayerEntry> layer = lastLayer(r);
    assertThat(layer).containsKey("f");
    assertThat(content(layer.get("f"))).isEqualTo("hi\n");
    assertThat(layer.get("f").mode()).isEqualTo(0644); // umask 022 whatever the user's is
    // the mount points made for /dev, /proc and the /etc files are not part of the layer
    assertThat(layer.keySet()).doesNotContain("dev/", "proc/", "etc/hosts", "etc/resolv.conf",
        "etc/hostname");
  }

  @Test
  void supplementaryGroupsComeFromEtcGroupAndUnmappedOnesAreLeftOutRootless() throws IOException {
    BuildResult r = build("groups", "FROM busybox:test\n"
        + "RUN echo 'staff:x:50:app' >> /etc/group && echo 'far:x:100000:nobody,app' >> /etc/group\n"
        + "USER app\nRUN id -G > /tmp/groups && id -g > /tmp/gid\n");
    Map<String, LayerEntry> layer = lastLayer(r);
    assertThat(content(layer.get("tmp/gid"))).isEqualTo("1000\n");
    // rootless the user namespace maps ids 0-65535 only: setgroups(100000) would fail with
    // EINVAL, so the step runs without that group (the worker logs it) rather than failing
    boolean rootless = !"root".equals(System.getProperty("user.name"));
    assertThat(content(layer.get("tmp/groups"))).isEqualTo(rootless ? "1000 50\n" : "1000 50 100000\n");
  }

  @Test
  void aZstdRunLayerIsTheBlobACopyOfTheSameTreeGives() throws IOException {
    // RUN layers use the layer writer's own compressor: multi-threaded zstd, as COPY layers
    Path ctx = tmp.resolve("ctx-zstd");
    Files.createDirectories(ctx);
    Files.writeString(ctx.resolve("Dockerfile"),
        "FROM busybox:test\nRUN mkdir /d && seq 1 200000 > /d/n && echo hi > /d/f\n");
    BuildResult r = new Builder(root, RegistryOptions.defaults(), sandbox, events::add)
        .build(BuildRequest.builder(ctx).pull(PullPolicy.NEVER)
            .compression(dev.jbuild.layer.Compression.ZSTD).build());
    BlobStore blobs = BlobStore.open(root);
    ImageManifest m = blobs.readManifest(r.manifest().digest()).value();
    dev.jbuild.oci.Descriptor last = m.layers().get(m.layers().size() - 1);
    assertThat(last.mediaType()).isEqualTo(dev.jbuild.layer.Compression.ZSTD.mediaType());
    Map<String, LayerEntry> layer = lastLayer(r);
    assertThat(content(layer.get("d/f"))).isEqualTo("hi\n");
    // the same entries written by the layer writer (as a COPY writes them) give the same blob
    List<LayerEntry> entries = new ArrayList<>();
    for (LayerEntry e : layer.values()) {
      entries.add(e.type() == EntryType.FILE
          ? LayerEntry.file(e.path(), e.mode(), content(e).getBytes(StandardCharsets.UTF_8))
              .withOwner(e.uid(), e.gid()).withMtime(e.mtime())
          : e);
    }
    java.io.ByteArrayOutputStream copy = new java.io.ByteArrayOutputStream();
    dev.jbuild.layer.LayerBlob written = new dev.jbuild.layer.LayerWriter(
        dev.jbuild.layer.LayerWriter.Options.of(dev.jbuild.layer.Compression.ZSTD))
        .write(entries, copy);
    assertThat(written.digest()).isEqualTo(last.digest());
  }

  @Test
  void mountPointsAndCopiedUpDirectoriesStayOutOfTheLayer() throws IOException {
    Map<String, LayerEntry> layer = lastLayer(build("stubs", "FROM busybox:test\nRUN echo hi > /f\n"));
    assertThat(layer.keySet()).containsExactly("f");
  }

  @Test
  void deletingABaseFileWritesAWhiteout() throws IOException {
    Map<String, LayerEntry> layer =
        lastLayer(build("whiteout", "FROM busybox:test\nRUN rm /etc/group && rm -r /home\n"));
    assertThat(layer.keySet()).containsExactlyInAnyOrder("etc", "etc/.wh.group", ".wh.home");
  }

  @Test
  void replacingADirectoryMakesItOpaque() throws IOException {
    Map<String, LayerEntry> layer =
        lastLayer(build("opaque",
            "FROM busybox:test\nRUN rm -r /home && mkdir -p /home/new && echo x > /home/new/f\n"));
    assertThat(layer.keySet()).contains("home", "home/.wh..wh..opq", "home/new", "home/new/f");
  }

  @Test
  void aFailingCommandNamesTheLineTheExitCodeAndTheOutput() throws IOException {
    assertThatThrownBy(() -> build("fail",
            "FROM busybox:test\nRUN echo one && echo two >&2 && exit 3\n"))
        .isInstanceOf(BuildStepException.class)
        .satisfies(e -> assertThat(((BuildStepException) e).span().startLine()).isEqualTo(2))
        .hasMessageContaining("process \"/bin/sh -c echo one && echo two >&2 && exit 3\" did not"
            + " complete successfully: exit code: 3")
        .hasMessageContaining("one")
        .hasMessageContaining("two");
    assertThat(Files.list(root.dir().resolve("tmp")).map(p -> p.getFileName().toString())
        .filter(n -> n.startsWith("run-"))).isEmpty();
  }

  @Test
  void outputStreamsAsEvents() throws IOException {
    build("output", "FROM busybox:test\nRUN echo streamed-line-1 && echo streamed-line-2\n");
    List<String> lines = new ArrayList<>();
    synchronized (events) {
      for (BuildEvent e : events) {
        if (e instanceof BuildEvent.OutputLine) {
          lines.add(((BuildEvent.OutputLine) e).line());
        }
      }
    }
    assertThat(lines).containsSubsequence("streamed-line-1", "streamed-line-2");
  }

  @Test
  void userWorkdirEnvAndHome() throws IOException {
    BuildResult r =
        build("user",
            "FROM busybox:test\n"
                + "RUN mkdir /out && chmod 777 /out\n"
                + "USER app\n"
                + "ENV GREETING=hello\n"
                + "WORKDIR /work/dir\n"
                + "RUN echo \"$(id -u):$(id -g) $(pwd) $HOME $GREETING $(hostname)\" > /out/who\n"
                + "USER 4242:nogroup\n"
                + "RUN id -u > /out/numeric && id -g >> /out/numeric && echo $HOME >> /out/numeric\n");
    Map<String, LayerEntry> layer = lastLayer(r);
    assertThat(layer.get("out/numeric").uid()).isEqualTo(4242);
    assertThat(content(layer.get("out/numeric"))).isEqualTo("4242\n65534\n/\n");
    BlobStore blobs = BlobStore.open(root);
    ImageManifest m = blobs.readManifest(r.manifest().digest()).value();
    Map<String, String> files = new LinkedHashMap<>();
    Map<String, LayerEntry> entries = new LinkedHashMap<>();
    try (LayerReader reader =
        LayerReader.open(blobs.path(m.layers().get(m.layers().size() - 2).digest()))) {
      for (LayerEntry e = reader.next(); e != null; e = reader.next()) {
        entries.put(e.path(), e);
        if (e.type() == EntryType.FILE) {
          try (InputStream in = e.content().open()) {
            files.put(e.path(), new String(in.readAllBytes(), StandardCharsets.UTF_8));
          }
        }
      }
    }
    assertThat(files.get("out/who")).isEqualTo("1000:1000 /work/dir /home/app hello "
        + StepRun.HOSTNAME + "\n");
    assertThat(entries.get("out/who").uid()).isEqualTo(1000);
  }

  @Test
  void unknownUserIsAnErrorAtItsLine() {
    assertThatThrownBy(() -> build("nouser", "FROM busybox:test\nUSER nosuch\nRUN true\n"))
        .isInstanceOf(BuildStepException.class)
        .hasMessageContaining("unable to find user nosuch");
  }

  @Test
  void networkNoneHasOnlyLoopbackUp() throws IOException {
    Map<String, LayerEntry> layer =
        lastLayer(build("net",
            "FROM busybox:test\nRUN --network=none ip -o link > /links && ping -c 1 -W 2 127.0.0.1 > /dev/null && echo ok >> /links\n"));
    String links = content(layer.get("links"));
    assertThat(links.lines().filter(l -> l.contains(": ")).toList()).hasSize(1);
    assertThat(links).contains("lo:").contains("UP").endsWith("ok\n");
  }

  @Test
  void securityInsecureIsRefused() {
    assertThatThrownBy(() -> build("insecure",
            "# syntax=docker/dockerfile:1\nFROM busybox:test\nRUN --security=insecure true\n"))
        .isInstanceOf(BuildStepException.class)
        .hasMessageContaining("--security=insecure is not supported");
  }

  @Test
  void pipesHoldHereDocumentScripts() throws IOException {
    Map<String, LayerEntry> layer =
        lastLayer(build("heredoc",
            "FROM busybox:test\nRUN <<EOF\n#!/bin/sh\necho from-pipe > /p\nEOF\n"));
    assertThat(content(layer.get("p"))).isEqualTo("from-pipe\n");
  }

  @Test
  void devProcAndEtcAreThereButNotInTheLayer() throws IOException {
    Map<String, LayerEntry> layer =
        lastLayer(build("dev",
            "FROM busybox:test\n"
                + "RUN ls -1 /dev > /devlist && head -c 3 /dev/zero | wc -c > /zero"
                + " && echo $$ > /mypid && cat /etc/hosts /etc/hostname > /etcfiles"
                + " && test -c /dev/pts/ptmx && ls /dev/shm && ls /proc/self/fd > /dev/null\n"));
    assertThat(layer.keySet())
        .containsExactlyInAnyOrder("devlist", "zero", "mypid", "etcfiles");
    assertThat(content(layer.get("devlist")).lines().toList())
        .contains("null", "zero", "full", "random", "urandom", "tty", "pts", "shm", "fd");
    assertThat(content(layer.get("zero")).trim()).isEqualTo("3");
    assertThat(content(layer.get("mypid")).trim()).isEqualTo("1"); // its own PID namespace
    assertThat(content(layer.get("etcfiles"))).contains("localhost").contains(StepRun.HOSTNAME);
  }

  @Test
  void sysIsReadOnlyAndNotInTheLayer() throws IOException {
    Map<String, LayerEntry> layer =
        lastLayer(build("sys",
            "FROM busybox:test\n"
                + "RUN ls /sys/kernel > /kernel"
                + " && if touch /sys/x 2>/dev/null; then echo writable; else echo ro; fi > /w\n"));
    assertThat(layer.keySet()).containsExactlyInAnyOrder("kernel", "w");
    assertThat(content(layer.get("kernel"))).isNotBlank();
    assertThat(content(layer.get("w")).trim()).isEqualTo("ro");
  }

  @Test
  void stagesRunTheirStepsInParallelOnOneWorker() throws IOException {
    Map<String, LayerEntry> layer =
        lastLayer(build("parallel",
            "FROM busybox:test AS a\nRUN sleep 1 && echo a > /a\n"
                + "FROM busybox:test AS b\nRUN sleep 1 && echo b > /b\n"
                + "FROM busybox:test\nCOPY --from=a /a /a\nCOPY --from=b /b /b\n"
                + "RUN cat /a /b > /ab\n"));
    assertThat(content(layer.get("ab"))).isEqualTo("a\nb\n");
  }

  @Test
  void aStepsUpperDirBecomesItsLayersLowerDirAsExtractionWouldMakeIt() throws IOException {
    String dockerfile = "FROM busybox:test\n"
        + "RUN mkdir -p /d/sub && echo a > /d/a && ln /d/a /d/b && ln -s a /d/l && mkfifo /d/p"
        + " && chmod 4755 /d/a && rm /etc/group && rm -r /home && mkdir -p /home/n"
        + " && echo x > /home/n/f && chmod 600 /etc/passwd"
        + " && touch -d '2100-01-01 00:00:00' /d/future\n"
        + "RUN stat -c '%n %Y' /d/a /d/future /home/n > /stat\n";
    for (java.time.Instant epoch : java.util.Arrays.asList(null,
        java.time.Instant.ofEpochSecond(946684800))) {
      Path ctx = tmp.resolve("ctx-adopt-" + (epoch == null ? "now" : "epoch"));
      Files.createDirectories(ctx);
      Files.writeString(ctx.resolve("Dockerfile"), dockerfile);
      BuildResult r = new Builder(root, RegistryOptions.defaults(), sandbox, events::add)
          .build(BuildRequest.builder(ctx).pull(PullPolicy.NEVER).noCache(true)
              .sourceDateEpoch(epoch).build());
      BlobStore blobs = BlobStore.open(root);
      ImageManifest m = blobs.readManifest(r.manifest().digest()).value();
      List<dev.jbuild.oci.Digest> diffIds = blobs.readConfig(m.config().digest()).value().rootfs()
          .diffIds();
      int n = diffIds.size();
      for (int i = n - 2; i < n; i++) { // both steps' layers, the last one never extracted
        Path dir = root.layers().resolve(diffIds.get(i).hex());
        // the last step's upper dir is adopted after its answer: maybe after the build returned
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (!Files.isDirectory(dir) && System.nanoTime() < deadline) {
          sleep(10);
        }
        assertThat(dir).isDirectory();
        assertThat(tree(dir)).isEqualTo(expectedTree(blobs.path(m.layers().get(i).digest())));
        assertThat(Kernel.xattrs(dir).keySet()).noneMatch(x -> x.contains("overlay."));
      }
      if (epoch != null) { // the second step saw the first one's files as extracted
        assertThat(content(lastLayer(r).get("stat")))
            .isEqualTo("/d/a 946684800\n/d/future 946684800\n/home/n 946684800\n");
      }
    }
  }

  private static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError("interrupted", e);
    }
  }

  @Test
  void everyLayerOfARunBuildHasTheHeaderIndexItsBlobGives() throws IOException {
    // a root of its own: the base layer is extracted here, and no step reads the layer stack
    // (no USER, WORKDIR, COPY), so every index comes from where the blob was written or read
    JbuildRoot fresh = new JbuildRoot(tmp.resolve("root-headers"));
    storeBusybox(fresh, "busybox:test");
    NamespaceSandbox own = new NamespaceSandbox(fresh, events::add,
        System.getProperty("jbuild.test.snapshotter", "auto"));
    try {
      Path ctx = Files.createDirectories(tmp.resolve("ctx-headers"));
      Files.writeString(ctx.resolve("Dockerfile"), "FROM busybox:test\n"
          + "RUN echo hi > /f && mkdir -p /d/e && ln /f /d/e/hard && ln -s ../f /d/sym"
          + " && mkfifo /d/fifo && rm /bin/true && chmod 4755 /f && chown 12:34 /d/sym\n"
          + "RUN rm -rf /d/e /var && seq 1 3000 > /d/" + "x".repeat(120) + "\n");
      BuildResult r = new Builder(fresh, RegistryOptions.defaults(), own, events::add)
          .build(BuildRequest.builder(ctx).pull(PullPolicy.NEVER).build());
      BlobStore blobs = BlobStore.open(fresh);
      ImageManifest m = blobs.readManifest(r.manifest().digest()).value();
      assertThat(m.layers()).hasSizeGreaterThanOrEqualTo(3);
      for (Descriptor layer : m.layers()) {
        Path index = blobs.headersPath(layer.digest());
        assertThat(index).as("index of " + layer.digest()).isRegularFile();
        Path lazy = tmp.resolve("lazy-" + layer.digest().hex());
        LayerStack.of(List.of(blobs.path(layer.digest())), java.util.Arrays.asList(lazy)).close();
        assertThat(Files.readAllBytes(index)).as("index of " + layer.digest())
            .isEqualTo(Files.readAllBytes(lazy));
      }
    } finally {
      removeLayers(fresh, own);
      own.close();
    }
  }

  /** A directory in overlay lower-dir form, one line per entry (ownership only as root). */
  private static Map<String, String> tree(Path dir) throws IOException {
    Map<String, String> out = new java.util.TreeMap<>();
    try (java.util.stream.Stream<Path> s = Files.walk(dir)) {
      for (Path p : (Iterable<Path>) s::iterator) {
        if (p.equals(dir)) {
          continue;
        }
        Map<String, Object> a = Files.readAttributes(p, "unix:mode,rdev,uid,gid,lastModifiedTime",
            java.nio.file.LinkOption.NOFOLLOW_LINKS);
        int mode = (Integer) a.get("mode");
        String kind = Files.isSymbolicLink(p) ? "l " + Files.readSymbolicLink(p)
            : (mode & 0170000) == 0020000 ? "c " + a.get("rdev")
            : (mode & 0170000) == 0040000 ? "d" : (mode & 0170000) == 0010000 ? "p" : "f";
        Map<String, String> xattrs = new java.util.TreeMap<>();
        Kernel.xattrs(p).forEach((k, v) -> xattrs.put(k, new String(v, StandardCharsets.ISO_8859_1)));
        out.put(dir.relativize(p).toString(), kind + " " + Integer.toOctalString(mode & 07777)
            + " " + owner(a.get("uid"), a.get("gid")) + a.get("lastModifiedTime") + " " + xattrs);
      }
    }
    return out;
  }

  private static String owner(Object uid, Object gid) {
    return Kernel.geteuid() == 0 ? uid + ":" + gid + " " : "";
  }

  /** What extracting a layer as an overlay lower dir makes, in {@link #tree}'s form. */
  private static Map<String, String> expectedTree(Path blob) throws IOException {
    Map<String, LayerEntry> entries = new LinkedHashMap<>();
    java.util.Set<String> opaque = new java.util.HashSet<>();
    try (LayerReader reader = LayerReader.open(blob)) {
      for (LayerEntry e = reader.next(); e != null; e = reader.next()) {
        String path = e.path().endsWith("/") ? e.path().substring(0, e.path().length() - 1)
            : e.path();
        if (path.endsWith("/.wh..wh..opq")) {
          opaque.add(path.substring(0, path.lastIndexOf('/')));
        } else {
          entries.put(path, e);
        }
      }
    }
    Map<String, String> out = new java.util.TreeMap<>();
    for (LayerEntry e : entries.values()) {
      String path = e.path().endsWith("/") ? e.path().substring(0, e.path().length() - 1)
          : e.path();
      LayerEntry m = e.type() == EntryType.HARDLINK ? entries.get(e.linkTarget()) : e;
      String name = path.substring(path.lastIndexOf('/') + 1);
      String kind;
      if (name.startsWith(".wh.")) {
        path = path.substring(0, path.length() - name.length()) + name.substring(4);
        kind = "c 0";
      } else {
        kind = m.type() == EntryType.SYMLINK ? "l " + m.linkTarget()
            : m.type() == EntryType.DIRECTORY ? "d" : m.type() == EntryType.FIFO ? "p" : "f";
      }
      Map<String, String> xattrs = new java.util.TreeMap<>();
      m.xattrs().forEach((k, v) -> xattrs.put(k, new String(v, StandardCharsets.ISO_8859_1)));
      if (opaque.contains(path)) {
        xattrs.put("user.overlay.opaque", "y");
      }
      out.put(path, kind + " " + Integer.toOctalString(m.mode() & 07777) + " "
          + owner(m.uid(), m.gid()) + java.nio.file.attribute.FileTime.from(m.mtime()) + " "
          + xattrs);
    }
    return out;
  }
}
