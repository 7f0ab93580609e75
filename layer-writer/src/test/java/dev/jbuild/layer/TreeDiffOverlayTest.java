package dev.jbuild.layer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The copy snapshotter against the real thing: the same shell script runs once in a kernel
 * overlayfs mount (upper dir written by {@link LayerWriter#writeDirectory}) and once in a
 * flattened copy (diffed by {@link TreeDiff}); both layers must be the same bytes. Runs as root
 * ({@code unshare --mount}) or, unprivileged, in a user namespace ({@code unshare --user
 * --map-root-user --mount}); see {@link TreeDiffOverlayRootlessTest}.
 */
class TreeDiffOverlayTest {
  private static final Instant OLD = Instant.parse("2020-01-02T03:04:05Z");
  private static final byte[] CAP_NET_BIND = {1, 0, 0, 2, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};

  @TempDir Path tmp;
  private final boolean root = Layers.root();
  private final long uid = root ? 0 : owner("unix:uid");
  private final long gid = root ? 0 : owner("unix:gid");

  /**
   * Name, script (run in the root of the tree), whether it needs real root: the cases this user
   * can run (the ones that need root run as root; the rootless class has the others).
   */
  static Stream<Arguments> cases() {
    boolean root = Layers.root();
    return allCases().filter(a -> root || !(Boolean) a.get()[2]);
  }

  private static Stream<Arguments> allCases() {
    String many = "mkdir many && i=0 && while [ $i -lt 400 ]; do echo $i > many/f$i; i=$((i+1)); done";
    String deep = "a-long-directory-name-of-forty-characters/".repeat(8);
    return Stream.of(
        Arguments.of("create", "mkdir -p opt/new/deep && echo hi > opt/new/deep/f && echo top > top"
            + " && mkdir tmp/t && touch tmp/t/x", false),
        Arguments.of("delete", "rm d/x && rm -r e && rm etc/link", false),
        Arguments.of("recreate-dir", "rm -rf d && mkdir d && echo n > d/n", false),
        Arguments.of("recreate-empty-dir", "rmdir opt/empty && mkdir opt/empty", false),
        Arguments.of("file-to-dir-and-dir-to-file", "rm etc/conf && mkdir etc/conf && rm -rf opt/k"
            + " && echo f > opt/k", false),
        Arguments.of("chmod-setuid-sticky", "chmod u-s bin/tool && chmod g+s bin/plain"
            + " && chmod 1777 opt", false),
        Arguments.of("chown", "chown 1000:1000 etc/conf && chown -h 5:5 etc/link && chown 7 d", true),
        Arguments.of("append", "echo more >> etc/conf", false),
        Arguments.of("same-size-same-mtime", "printf ABCD > etc/same4 && touch -d @"
            + OLD.getEpochSecond() + " etc/same4", false),
        Arguments.of("mtime-only", "touch -d 2021-03-04T05:06:07Z etc/conf", false),
        Arguments.of("hard-links", "ln bin/plain alias && echo a > n1 && ln n1 n2"
            + " && ln opt/k/kf opt/kf-again", false),
        Arguments.of("symlinks", "ln -sf elsewhere etc/link && ln -s ../x etc/newlink", false),
        Arguments.of("sed-in-place", "sed -i s/conf/CONF/ etc/conf", false),
        Arguments.of("rename-file", "mv etc/conf etc/conf2", false),
        Arguments.of("rename-lower-dir", "mv opt/k opt/k2", false),
        Arguments.of("create-and-remove", "echo x > tmp/scratch && rm tmp/scratch", false),
        Arguments.of("remove-dir-holding-new-files", "echo x > e/f/new && rm -rf e", false),
        Arguments.of("xattrs-copied-and-kept", "cp -a etc/xf etc/xf2 && chmod 600 etc/xf", false),
        Arguments.of("capabilities", "cp -a bin/cap bin/cap2 && chmod 711 bin/cap", true),
        Arguments.of("device", "mknod dev/null2 c 1 3 && mkfifo dev/fifo", true),
        Arguments.of("long-path", "mkdir -p " + deep + " && echo deep > " + deep + "f", false),
        Arguments.of("many-files", many + " && rm lots/f1* && echo c > lots/f7", false),
        Arguments.of("recreate-what-a-layer-removed", "echo back > etc/gone && rm w/c"
            + " && echo z > w/z", false),
        Arguments.of("add-remove-add", "echo 1 > etc/cycle && rm etc/cycle && echo 2 > etc/cycle",
            false),
        Arguments.of("remove-one-name-of-a-hard-link", "rm bin/h2", false),
        Arguments.of("link-the-first-name-of-a-hard-link", "ln bin/h1 bin/h3", false),
        Arguments.of("chmod-every-name-of-a-hard-link", "chmod 700 bin/h*", false),
        Arguments.of("chmod-every-name-and-link-again", "chmod 700 bin/h1 bin/h2"
            + " && ln bin/h1 bin/h0", false));
  }

  /**
   * Where overlayfs leaves a trace that a walk cannot see (see {@link TreeDiff}), and whether
   * the image's files still end up the same.
   */
  static Stream<Arguments> knownDifferences() {
    return Stream.of(
        Arguments.of("chmod-to-the-same-mode", "chmod 644 etc/conf", true),
        // the sandbox's overlay path drops these copied-up, unchanged, empty directories
        Arguments.of("mount-point-made-and-removed", "touch etc/hosts && rm etc/hosts"
            + " && touch -d @" + OLD.getEpochSecond() + " etc", true),
        Arguments.of("chmod-dir-to-the-same-mode", "chmod 755 opt", true),
        Arguments.of("opened-for-writing-unchanged", "sh -c ': >> etc/conf'", true),
        Arguments.of("new-dir-renamed-into-an-old-one", "mkdir newd && mv newd opt/newd", true),
        Arguments.of("link-another-name-of-a-hard-link", "ln bin/h2 bin/h3", true),
        // overlayfs breaks the link (bin/h1 keeps the old bytes); the copy changes both names
        Arguments.of("write-through-one-name-of-a-hard-link", "echo more >> bin/h2", false));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void copyAndOverlayWriteTheSameLayer(String name, String script, boolean needsRoot)
      throws Exception {
    assumeTrue(overlayWorks(), "no overlayfs in a mount namespace here");
    List<Path> blobs = baseBlobs();
    LayerWriter writer = clampingWriter();

    byte[] overlay = overlayLayer(blobs, script, writer);
    byte[] copy = copyLayer(blobs, script, writer);

    assertThat(describe(overlay)).isNotEmpty();
    assertThat(describe(copy)).isEqualTo(describe(overlay));
    assertThat(copy).isEqualTo(overlay);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("knownDifferences")
  void knownDifferences(String name, String script, boolean sameTree) throws Exception {
    assumeTrue(overlayWorks(), "no overlayfs in a mount namespace here");
    List<Path> blobs = baseBlobs();
    LayerWriter writer = clampingWriter();

    byte[] overlay = overlayLayer(blobs, script, writer);
    byte[] copy = copyLayer(blobs, script, writer);

    assertThat(copy).isNotEqualTo(overlay);
    assertThat(tree(blobs, copy).equals(tree(blobs, overlay))).isEqualTo(sameTree);
  }

  /** The merged file tree of the base layers and one more. */
  private String tree(List<Path> blobs, byte[] top) throws IOException {
    List<Path> all = new ArrayList<>(blobs);
    all.add(Layers.writeBlob(tmp, "top-" + System.nanoTime() + ".tar", top));
    try (LayerStack s = LayerStack.of(all)) {
      return s.snapshot().values().stream().map(e -> e + " mtime=" + e.mtime().getEpochSecond()
          + " " + new String(Layers.contentOf(e), StandardCharsets.UTF_8))
          .collect(Collectors.joining("\n"));
    }
  }

  private List<Path> baseBlobs() throws IOException {
    List<Path> blobs = new ArrayList<>();
    List<List<LayerEntry>> layers = baseLayers();
    for (int i = 0; i < layers.size(); i++) {
      blobs.add(Layers.writeBlob(tmp, "layer" + i + ".tar", Layers.tar(layers.get(i))));
    }
    return blobs;
  }

  /** New files clamp to a moment before the test; the base layers' old times stay. */
  private static LayerWriter clampingWriter() {
    return new LayerWriter(LayerWriter.Options.of(Compression.NONE)
        .withSourceDateEpoch(Instant.now().minusSeconds(2)));
  }

  // ---- the overlay path

  private byte[] overlayLayer(List<Path> blobs, String script, LayerWriter writer) throws Exception {
    Path ov = Files.createDirectory(tmp.resolve("overlay"));
    List<String> lowers = new ArrayList<>();
    for (int i = 0; i < blobs.size(); i++) {
      Path lower = Files.createDirectory(ov.resolve("l" + i));
      new LayerApplier(LayerApplier.Options.overlayLower()).apply(blobs.get(i), lower);
      lowers.add(0, lower.toString());
    }
    Path upper = Files.createDirectory(ov.resolve("upper"));
    Path work = Files.createDirectory(ov.resolve("work"));
    Path merged = Files.createDirectory(ov.resolve("merged"));
    run(inNamespace(true), "mount -t overlay overlay -o lowerdir=" + String.join(":", lowers)
        + ",upperdir=" + upper + ",workdir=" + work + ",userxattr " + merged + " && cd " + merged
        + " && " + script);
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    writer.writeDirectory(upper, true, out);
    return out.toByteArray();
  }

  // ---- the copy path

  private byte[] copyLayer(List<Path> blobs, String script, LayerWriter writer) throws Exception {
    Path copy = Files.createDirectory(tmp.resolve("copy"));
    for (Path blob : blobs) {
      new LayerApplier(LayerApplier.Options.flattened()).apply(blob, copy);
    }
    try (LayerStack stack = LayerStack.of(blobs)) {
      TreeDiff.Baseline baseline = TreeDiff.baseline(copy, stack);
      run(inNamespace(false), "cd " + copy + " && " + script);
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      writer.write(TreeDiff.diff(copy, stack, baseline), out);
      return out.toByteArray();
    }
  }

  // ---- fixture

  private List<List<LayerEntry>> baseLayers() {
    List<LayerEntry> first = new ArrayList<>(List.of(
        dir("bin", 0755), file("bin/tool", 04755, "#!tool"), file("bin/plain", 0755, "plain"),
        dir("etc", 0755), file("etc/conf", 0644, "conf\n"), file("etc/same4", 0644, "abcd"),
        file("etc/xf", 0644, "x").withXattrs(Map.of("user.note", "v".getBytes(StandardCharsets.UTF_8))),
        symlink("etc/link", "conf"), file("etc/gone", 0644, "gone"),
        dir("d", 0755), file("d/x", 0644, "x"), file("d/y", 0644, "y"),
        dir("e", 0750), dir("e/f", 0755), file("e/f/g", 0600, "g"),
        dir("opt", 0755), dir("opt/empty", 0700), dir("opt/k", 0755), file("opt/k/kf", 0644, "kf"),
        dir("tmp", 01777), dir("dev", 0755), dir("lots", 0755),
        dir("w", 0755), file("w/a", 0644, "a"), file("w/c", 0644, "c"),
        file("bin/h1", 0755, "h"), hardlink("bin/h2", "bin/h1")));
    if (root) {
      first.add(file("bin/cap", 0755, "cap").withXattrs(Map.of("security.capability", CAP_NET_BIND)));
    }
    for (int i = 0; i < 30; i++) {
      first.add(file("lots/f" + i, 0644, "lot " + i));
    }
    List<LayerEntry> second = new ArrayList<>(List.of(
        dir("etc", 0755), file("etc/second", 0644, "2"), LayerEntry.opaque("w").withMtime(OLD),
        dir("w", 0755), file("w/c", 0644, "c2")));
    if (root) {
      second.add(LayerEntry.whiteout("etc/gone").withMtime(OLD)); // unprivileged: no 0/0 devices
    }
    return List.of(first, second);
  }

  private List<String> inNamespace(boolean mount) {
    List<String> cmd = new ArrayList<>(List.of("unshare"));
    if (!root) {
      cmd.addAll(List.of("--user", "--map-root-user"));
    }
    if (mount) {
      cmd.add("--mount");
    }
    if (cmd.size() == 1) {
      cmd.clear(); // root, no mount: the copy needs no namespace
    }
    return cmd;
  }

  private static void run(List<String> prefix, String script) throws Exception {
    List<String> cmd = new ArrayList<>(prefix);
    cmd.addAll(List.of("sh", "-ec", script));
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
    assertThat(p.exitValue()).as("%s\n%s", String.join(" ", cmd), output).isZero();
  }

  private boolean overlayWorks() throws Exception {
    Path t = Files.createDirectories(tmp.resolve("probe"));
    for (String d : List.of("l", "u", "w", "m")) {
      Files.createDirectories(t.resolve(d));
    }
    List<String> cmd = new ArrayList<>(inNamespace(true));
    cmd.addAll(List.of("sh", "-c", "mount -t overlay overlay -o lowerdir=" + t.resolve("l")
        + ",upperdir=" + t.resolve("u") + ",workdir=" + t.resolve("w") + ",userxattr " + t.resolve("m")));
    try {
      Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
      p.getInputStream().readAllBytes();
      return p.waitFor(30, TimeUnit.SECONDS) && p.exitValue() == 0;
    } catch (IOException e) {
      return false; // no unshare
    }
  }

  /** One line per entry with everything the header says, for a readable failure. */
  private static String describe(byte[] tar) throws IOException {
    return Layers.read(tar).stream().map(e -> e + " mtime=" + e.mtime().getEpochSecond()
        + (e.type() == EntryType.FILE ? " " + new String(Layers.contentOf(e), StandardCharsets.UTF_8)
            .replace("\n", "\\n") : "")
        + (e.type().isDevice() ? " dev=" + e.devMajor() + "," + e.devMinor() : ""))
        .collect(Collectors.joining("\n"));
  }

  private LayerEntry file(String path, int mode, String content) {
    return LayerEntry.file(path, mode, content.getBytes(StandardCharsets.UTF_8)).withOwner(uid, gid)
        .withMtime(OLD);
  }

  private LayerEntry dir(String path, int mode) {
    return LayerEntry.directory(path, mode).withOwner(uid, gid).withMtime(OLD);
  }

  private LayerEntry symlink(String path, String target) {
    return LayerEntry.symlink(path, target).withOwner(uid, gid).withMtime(OLD);
  }

  private LayerEntry hardlink(String path, String target) {
    return LayerEntry.hardlink(path, target).withOwner(uid, gid).withMtime(OLD);
  }

  private static long owner(String attribute) {
    try {
      Path p = Files.createTempFile("owner", "");
      try {
        return ((Number) Files.getAttribute(p, attribute)).longValue() & 0xffffffffL;
      } finally {
        Files.delete(p);
      }
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }
}
