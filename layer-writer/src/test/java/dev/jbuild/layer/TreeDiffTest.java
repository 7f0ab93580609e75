package dev.jbuild.layer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The copy snapshotter's diff on real directory trees extracted from layers written here. */
class TreeDiffTest {
  private static final Instant OLD = Instant.parse("2020-01-02T03:04:05Z");

  @TempDir Path tmp;
  private Path copy;
  private LayerStack stack;
  private TreeDiff.Baseline baseline;
  private final List<Path> blobs = new ArrayList<>();

  private final long uid = Layers.root() ? 0 : currentUid();
  private final long gid = Layers.root() ? 0 : currentGid();

  @AfterEach
  void close() throws IOException {
    if (stack != null) {
      stack.close();
    }
  }

  @Test
  void anUnchangedCopyGivesAnEmptyLayer() throws Exception {
    start(base(), List.of(dir("etc", 0755), file("etc/passwd", 0644, "root\n"),
        LayerEntry.whiteout("etc/old"), file("bin/sh3", 0755, "3"), hardlink("bin/sh4", "bin/sh3")));
    try (var ds = Files.newDirectoryStream(copy.resolve("etc"))) {
      ds.forEach(p -> { }); // reading changes nothing
    }
    assertThat(diff()).isEmpty();
  }

  @Test
  void aNewFileBringsItsParentsWithTheirOwnMetadata() throws Exception {
    start(List.of(dir("a", 0750), dir("a/b", 0700), file("a/b/old", 0644, "o"), dir("z", 0755)));
    Files.writeString(copy.resolve("a/b/new"), "n");
    Map<String, LayerEntry> d = byPath(diff());
    assertThat(d.keySet()).containsExactlyInAnyOrder("a", "a/b", "a/b/new");
    assertThat(d.get("a").mode()).isEqualTo(0750);
    assertThat(d.get("a").mtime()).isEqualTo(OLD); // an ancestor keeps its time, as a copy-up does
    assertThat(d.get("a/b").mode()).isEqualTo(0700);
    assertThat(d.get("a/b").mtime()).isAfter(OLD); // the directory that got the entry moved
    assertThat(Layers.contentOf(d.get("a/b/new"))).isEqualTo(bytes("n"));
  }

  @Test
  void removedFilesAndDirectoriesBecomeOneWhiteoutEach() throws Exception {
    start(List.of(dir("d", 0755), file("d/x", 0644, "x"), file("d/y", 0644, "y"), dir("e", 0755),
        dir("e/f", 0755), file("e/f/g", 0644, "g"), file("top", 0644, "t")));
    Files.delete(copy.resolve("d/x"));
    deleteTree(copy.resolve("e"));
    Map<String, LayerEntry> d = byPath(diff());
    assertThat(d.keySet()).containsExactlyInAnyOrder("d", "d/.wh.x", ".wh.e");
    LayerEntry w = d.get("d/.wh.x");
    assertThat(w.type()).isEqualTo(EntryType.FILE);
    assertThat(w.mode()).isZero();
    assertThat(w.mtime()).isEqualTo(
        ((FileTime) Files.getAttribute(copy.resolve("d"), "unix:ctime")).toInstant());
  }

  @Test
  void aDirectoryMadeAgainIsOpaqueAndShowsOnlyItsNewContents() throws Exception {
    start(List.of(dir("d", 0755), file("d/x", 0644, "x"), file("d/keep", 0644, "k"),
        file("f", 0644, "file"), dir("g", 0755), file("g/in", 0644, "i")));
    deleteTree(copy.resolve("d"));
    Files.createDirectory(copy.resolve("d"));
    Files.writeString(copy.resolve("d/keep"), "k"); // same name and bytes: still new in d
    Files.delete(copy.resolve("f"));
    Files.createDirectory(copy.resolve("f")); // a directory where a file was: opaque too
    deleteTree(copy.resolve("g"));
    Files.writeString(copy.resolve("g"), "now a file"); // a file where a directory was: not
    Map<String, LayerEntry> d = byPath(diff());
    assertThat(d.keySet()).containsExactlyInAnyOrder("d", "d/.wh..wh..opq", "d/keep", "f",
        "f/.wh..wh..opq", "g");
    assertThat(d.get("d/.wh..wh..opq").mtime()).isEqualTo(d.get("d").mtime());
    assertThat(d.get("g").type()).isEqualTo(EntryType.FILE);
  }

  @Test
  void aDirectoryMadeAgainOnTheSameInodeIsStillNew() throws Exception {
    start(List.of(dir("d", 0755), file("d/x", 0644, "x")));
    long ino = (Long) Files.getAttribute(copy.resolve("d"), "unix:ino");
    boolean reused = false;
    for (int i = 0; i < 5 && !reused; i++) { // ext4 hands the freed inode number back at once
      deleteTree(copy.resolve("d"));
      Files.createDirectory(copy.resolve("d"));
      reused = (Long) Files.getAttribute(copy.resolve("d"), "unix:ino") == ino;
    }
    assumeTrue(BirthTime.of(copy.resolve("d")) != Long.MIN_VALUE || !reused,
        "the filesystem records no birth time and reused the inode");
    assertThat(byPath(diff()).keySet()).containsExactlyInAnyOrder("d", "d/.wh..wh..opq");
  }

  @Test
  void metadataChangesCarryTheWholeFile() throws Exception {
    start(List.of(dir("bin", 0755), file("bin/tool", 04755, "#!tool"), file("bin/plain", 0755, "p"),
        file("etc", 0644, "e"), dir("opt", 0755)));
    Posix.chmod(copy.resolve("bin/tool"), 0755); // setuid dropped
    Posix.chmod(copy.resolve("bin/plain"), 02755); // setgid added
    Files.setLastModifiedTime(copy.resolve("etc"), FileTime.from(OLD.plusSeconds(1)));
    Posix.chmod(copy.resolve("opt"), 01777);
    Map<String, LayerEntry> d = byPath(diff());
    assertThat(d.keySet()).containsExactlyInAnyOrder("bin", "bin/plain", "bin/tool", "etc", "opt");
    assertThat(d.get("bin/tool").mode()).isEqualTo(0755);
    assertThat(Layers.contentOf(d.get("bin/tool"))).isEqualTo(bytes("#!tool"));
    assertThat(d.get("bin/plain").mode()).isEqualTo(02755);
    assertThat(d.get("bin").mtime()).isEqualTo(OLD);
    assertThat(d.get("etc").mtime()).isEqualTo(OLD.plusSeconds(1));
    assertThat(d.get("opt").mode()).isEqualTo(01777);
  }

  @Test
  void ownershipChangesAreFound() throws Exception {
    assumeTrue(Layers.root(), "chown to another id needs root");
    start(List.of(file("f", 0644, "f"), dir("d", 0755)));
    Posix.lchown(copy.resolve("f"), 1000, 1000);
    Posix.lchown(copy.resolve("d"), 0, 50);
    Map<String, LayerEntry> d = byPath(diff());
    assertThat(d.keySet()).containsExactlyInAnyOrder("d", "f");
    assertThat(d.get("f").uid()).isEqualTo(1000);
    assertThat(d.get("d").gid()).isEqualTo(50);
  }

  @Test
  void contentIsComparedWhenSizeAndMtimeAgree() throws Exception {
    start(List.of(file("same", 0644, "abcd"), file("rewritten", 0644, "wxyz"),
        file("big", 0644, "0123456789".repeat(100_000))));
    write("same", "ABCD", OLD); // same size, mtime put back
    write("rewritten", "wxyz", OLD); // written, but with the very same bytes: unchanged
    write("big", "0123456789".repeat(99_999) + "012345678X", OLD);
    assertThat(byPath(diff()).keySet()).containsExactlyInAnyOrder("big", "same");
  }

  @Test
  void touchedButEqualIsNoChange() throws Exception {
    // Overlayfs copies these up: a documented difference for the file; the sandbox drops such
    // directories from the overlay path's layer (a mount point made and removed again).
    start(List.of(file("f", 0644, "f"), dir("d", 0755), dir("etc", 0755), dir("z", 0755)));
    Posix.chmod(copy.resolve("f"), 0644);
    Files.setLastModifiedTime(copy.resolve("d"), FileTime.from(OLD));
    Files.createFile(copy.resolve("etc/hosts"));
    Files.delete(copy.resolve("etc/hosts"));
    Files.setLastModifiedTime(copy.resolve("etc"), FileTime.from(OLD));
    assertThat(diff()).isEmpty();
  }

  @Test
  void hardLinks() throws Exception {
    start(List.of(dir("bin", 0755), file("bin/tool", 0755, "tool"), dir("usr", 0755),
        file("two", 0644, "2"), hardlink("two-b", "two")));
    Files.createLink(copy.resolve("usr/alias"), copy.resolve("bin/tool")); // ln to an old file
    Files.writeString(copy.resolve("n1"), "new");
    Files.createLink(copy.resolve("n2"), copy.resolve("n1"));
    Files.writeString(copy.resolve("two"), "22"); // both old names change together
    Map<String, LayerEntry> d = byPath(diff());
    assertThat(d.keySet()).containsExactlyInAnyOrder("bin", "bin/tool", "n1", "n2", "two", "two-b", "usr",
        "usr/alias");
    assertThat(d.get("bin/tool").type()).isEqualTo(EntryType.FILE);
    assertThat(d.get("usr/alias").type()).isEqualTo(EntryType.HARDLINK);
    assertThat(d.get("usr/alias").linkTarget()).isEqualTo("bin/tool");
    assertThat(d.get("n2").linkTarget()).isEqualTo("n1");
    // both old names changed: each its own file, as overlayfs copies each name up on its own
    assertThat(d.get("two").type()).isEqualTo(EntryType.FILE);
    assertThat(d.get("two-b").type()).isEqualTo(EntryType.FILE);
    assertThat(Layers.contentOf(d.get("two-b"))).isEqualTo(bytes("22"));
    // The layer applies: every hard link points at a path of the layer that carries the bytes.
    byte[] tar = Layers.tar(diff());
    Path again = Files.createDirectory(tmp.resolve("again"));
    new LayerApplier(LayerApplier.Options.flattened()).apply(new java.io.ByteArrayInputStream(tar), again);
    assertThat(Files.readString(again.resolve("usr/alias"))).isEqualTo("tool");
  }

  @Test
  void symlinks() throws Exception {
    start(List.of(symlink("l", "target"), symlink("keep", "/abs"), file("target", 0644, "t")));
    Files.delete(copy.resolve("l"));
    Files.createSymbolicLink(copy.resolve("l"), Path.of("elsewhere"));
    Files.createSymbolicLink(copy.resolve("new"), Path.of("../../x"));
    Map<String, LayerEntry> d = byPath(diff());
    assertThat(d.keySet()).containsExactlyInAnyOrder("l", "new");
    assertThat(d.get("l").linkTarget()).isEqualTo("elsewhere");
    assertThat(d.get("new").linkTarget()).isEqualTo("../../x");
  }

  @Test
  void xattrsAddedChangedAndRemoved() throws Exception {
    Map<String, byte[]> x = Map.of("user.a", bytes("1"), "user.b", new byte[] {(byte) 0xff, 0});
    start(List.of(file("add", 0644, "a"), file("change", 0644, "c").withXattrs(x),
        file("remove", 0644, "r").withXattrs(x), file("keep", 0644, "k").withXattrs(x)));
    assumeTrue(Posix.lxattrs(copy.resolve("keep")).size() == 2, "no user xattrs here");
    Posix.lsetxattr(copy.resolve("add"), "user.new", bytes("v"));
    Posix.lsetxattr(copy.resolve("change"), "user.a", bytes("2"));
    Posix.lremovexattr(copy.resolve("remove"), "user.b");
    Map<String, LayerEntry> d = byPath(diff());
    assertThat(d.keySet()).containsExactlyInAnyOrder("add", "change", "remove");
    assertThat(d.get("add").xattrs()).containsOnlyKeys("user.new");
    assertThat(d.get("change").xattrs().get("user.a")).isEqualTo(bytes("2"));
    assertThat(d.get("remove").xattrs()).containsOnlyKeys("user.a");
  }

  @Test
  void fileCapabilitiesAsRoot() throws Exception {
    assumeTrue(Layers.root(), "security.capability needs root (or a user namespace)");
    byte[] netBind = {0, 0, 0, 2, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}; // v2 cap_net_bind_service
    start(List.of(file("srv", 0755, "s").withXattrs(Map.of("security.capability", netBind)),
        file("plain", 0755, "p")));
    Posix.lsetxattr(copy.resolve("plain"), "security.capability", netBind);
    Posix.chmod(copy.resolve("srv"), 0750);
    Map<String, LayerEntry> d = byPath(diff());
    assertThat(d.keySet()).containsExactlyInAnyOrder("plain", "srv");
    assertThat(d.get("plain").xattrs().get("security.capability")).isEqualTo(netBind);
    assertThat(d.get("srv").xattrs().get("security.capability")).isEqualTo(netBind); // kept
  }

  @Test
  void longPathsAndManyFiles() throws Exception {
    String deep = String.join("/", java.util.Collections.nCopies(20, "directory-with-a-long-name"));
    List<LayerEntry> base = new ArrayList<>(List.of(dir("many", 0755)));
    for (int i = 0; i < 2000; i++) {
      base.add(file("many/f" + i, 0644, "file " + i));
    }
    start(base);
    Files.createDirectories(copy.resolve(deep));
    Files.writeString(copy.resolve(deep).resolve("é-ünïcode-" + "x".repeat(150)), "deep");
    java.util.Set<String> changed = new java.util.TreeSet<>();
    java.util.Set<String> deleted = new java.util.TreeSet<>();
    for (int i = 0; i < 2000; i += 7) {
      Files.writeString(copy.resolve("many/f" + i), "changed " + i);
      changed.add("many/f" + i);
    }
    for (int i = 3; i < 2000; i += 100) {
      Files.delete(copy.resolve("many/f" + i));
      changed.remove("many/f" + i);
      deleted.add("many/.wh.f" + i);
    }
    List<LayerEntry> d = diff();
    assertThat(d.stream().map(LayerEntry::path).filter(p -> p.startsWith("many/")))
        .containsExactlyInAnyOrderElementsOf(union(changed, deleted));
    assertThat(d.stream().filter(e -> e.path().startsWith("directory-with"))).hasSize(21);
    assertRoundTrip(d);
  }

  @Test
  void devicesTheExtractionCouldNotMakeAreNotDeletions() throws Exception {
    start(List.of(dir("dev", 0755), LayerEntry.device("dev/null", EntryType.CHAR_DEVICE, 0666, 1, 3),
        LayerEntry.device("dev/zero", EntryType.CHAR_DEVICE, 0666, 1, 5)));
    if (Files.exists(copy.resolve("dev/zero"), LinkOption.NOFOLLOW_LINKS)) {
      Files.delete(copy.resolve("dev/zero"));
      assertThat(byPath(diff()).keySet()).containsExactlyInAnyOrder("dev", "dev/.wh.zero");
    } else {
      assertThat(baseline.notMaterialised()).containsExactlyInAnyOrder("dev/null", "dev/zero");
      assertThat(diff()).isEmpty();
    }
  }

  @Test
  void excludedPathsNeverShow() throws Exception {
    start(List.of(dir("etc", 0755), file("etc/hostname", 0644, "h"), dir("proc", 0555)));
    Files.writeString(copy.resolve("etc/hosts"), ""); // a mount point the sandbox made
    Files.delete(copy.resolve("etc/hostname"));
    Files.writeString(copy.resolve("etc/hostname"), "");
    Files.writeString(copy.resolve("etc/kept"), "k");
    assertThat(byPath(TreeDiff.diff(copy, stack, baseline, Set.of("etc/hosts", "etc/hostname")))
        .keySet()).containsExactlyInAnyOrder("etc", "etc/kept");
  }

  @Test
  void aFileNamedLikeAWhiteoutIsRefused() throws Exception {
    start(List.of(dir("d", 0755)));
    Files.writeString(copy.resolve("d/.wh.sneaky"), "x");
    assertThatThrownBy(this::diff).hasMessageContaining("d/.wh.sneaky")
        .hasMessageContaining("cannot hold");
  }

  @Test
  void theBaseAndTheDiffMakeTheCopyAgain() throws Exception {
    start(base(), List.of(dir("etc", 0755), file("etc/passwd", 0644, "root\n"),
        dir("var", 0755), dir("var/lib", 0755), file("var/lib/db", 0600, "db")));
    Files.writeString(copy.resolve("etc/passwd"), "root\napp\n");
    deleteTree(copy.resolve("var/lib"));
    Files.createDirectories(copy.resolve("var/lib/new"));
    Files.createSymbolicLink(copy.resolve("etc/link"), Path.of("passwd"));
    Files.createLink(copy.resolve("etc/passwd-"), copy.resolve("etc/passwd"));
    Files.delete(copy.resolve("bin/sh2"));
    assertRoundTrip(diff());
  }

  @Test
  void aSettledCopyIsTheExtractionOfTheStackAndItsLayer() throws Exception {
    start(base(), List.of(dir("etc", 0755), file("etc/passwd", 0644, "root\n"),
        dir("var", 0755), dir("var/lib", 0755), file("var/lib/db", 0600, "db")));
    Files.writeString(copy.resolve("etc/passwd"), "root\napp\n");
    deleteTree(copy.resolve("var/lib"));
    Files.createDirectories(copy.resolve("var/lib/new"));
    Files.createSymbolicLink(copy.resolve("etc/link"), Path.of("passwd"));
    Files.writeString(copy.resolve("new-a"), "a");
    Files.createLink(copy.resolve("new-b"), copy.resolve("new-a"));
    Files.createLink(copy.resolve("etc/old-too"), copy.resolve("etc/old"));
    Files.setLastModifiedTime(copy.resolve("new-a"), FileTime.from(OLD.plusMillis(1500)));
    Instant epoch = Instant.now().minusSeconds(1);
    TreeDiff.Changes changes = TreeDiff.changes(copy, stack, baseline, Set.of());
    assertThat(changes.replayable()).isTrue();
    java.io.ByteArrayOutputStream tar = new java.io.ByteArrayOutputStream();
    new LayerWriter(LayerWriter.Options.of(Compression.NONE).withSourceDateEpoch(epoch))
        .write(changes.entries(), tar);
    TreeDiff.settle(copy, changes.entries(), epoch);

    Path again = Files.createDirectory(tmp.resolve("again"));
    LayerApplier applier = new LayerApplier(LayerApplier.Options.flattened());
    for (Path blob : blobs) {
      applier.apply(blob, again);
    }
    applier.apply(new java.io.ByteArrayInputStream(tar.toByteArray()), again);
    assertThat(exactly(copy)).isEqualTo(exactly(again));
  }

  @Test
  void socketsAndOlderNamesOfAChangedFileAreNotReplayable() throws Exception {
    start(base());
    try (java.nio.channels.ServerSocketChannel sock =
        java.nio.channels.ServerSocketChannel.open(java.net.StandardProtocolFamily.UNIX)) {
      sock.bind(java.net.UnixDomainSocketAddress.of(copy.resolve("etc/sock")));
      assertThat(TreeDiff.changes(copy, stack, baseline, Set.of()).replayable()).isFalse();
    }
    Files.delete(copy.resolve("etc/sock"));
    assertThat(TreeDiff.changes(copy, stack, baseline, Set.of()).replayable()).isTrue();
    Files.createLink(copy.resolve("bin/sh-new"), copy.resolve("bin/sh2")); // bin/sh stays out
    TreeDiff.Changes c = TreeDiff.changes(copy, stack, baseline, Set.of());
    assertThat(byPath(c.entries()).keySet()).contains("bin/sh", "bin/sh-new").doesNotContain("bin/sh2");
    assertThat(c.replayable()).isFalse();
  }

  // ---- fixture

  /** Every file below {@code root} with all its metadata, hard links told by first name. */
  private static Map<String, String> exactly(Path root) throws IOException {
    Map<String, String> out = new TreeMap<>();
    Map<Object, String> inodes = new java.util.HashMap<>();
    try (var s = Files.walk(root)) {
      for (Path p : s.skip(1).sorted().collect(Collectors.toList())) {
        String rel = root.relativize(p).toString();
        Map<String, Object> a = Files.readAttributes(p,
            "unix:mode,uid,gid,size,lastModifiedTime,ino,nlink", LinkOption.NOFOLLOW_LINKS);
        String link = Files.isSymbolicLink(p) ? Files.readSymbolicLink(p).toString() : "";
        String content = Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS)
            ? Files.readString(p) : "";
        String group = (Integer) a.get("nlink") > 1 && Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS)
            ? inodes.computeIfAbsent(a.get("ino"), k -> rel) : "";
        out.put(rel, Integer.toOctalString((Integer) a.get("mode")) + " " + a.get("uid") + ":"
            + a.get("gid") + " " + a.get("size") + " " + a.get("lastModifiedTime") + " " + link
            + " " + content + " " + group + " " + Posix.lxattrs(p).keySet());
      }
    }
    return out;
  }

  /** A first layer with the usual shapes: dirs, a file with two names, a symlink, a whiteout. */
  private List<LayerEntry> base() {
    return List.of(dir("bin", 0755), file("bin/sh", 0755, "#!/bin/sh"), hardlink("bin/sh2", "bin/sh"),
        symlink("usr", "bin"), dir("etc", 0755), file("etc/old", 0644, "old"));
  }

  @SafeVarargs
  private void start(List<LayerEntry>... layers) throws IOException {
    copy = Files.createDirectory(tmp.resolve("copy"));
    LayerApplier applier = new LayerApplier(LayerApplier.Options.flattened());
    for (int i = 0; i < layers.length; i++) {
      Path blob = Layers.writeBlob(tmp, "layer" + i + ".tar", Layers.tar(layers[i]));
      blobs.add(blob);
      applier.apply(blob, copy);
    }
    stack = LayerStack.of(blobs);
    baseline = TreeDiff.baseline(copy, stack);
  }

  private List<LayerEntry> diff() throws IOException {
    return TreeDiff.diff(copy, stack, baseline);
  }

  /** The stack plus the diff's layer, merged, is the copy as it is now. */
  private void assertRoundTrip(List<LayerEntry> diff) throws IOException {
    List<Path> all = new ArrayList<>(blobs);
    all.add(Layers.writeBlob(tmp, "diff.tar", Layers.tar(diff)));
    try (LayerStack merged = LayerStack.of(all)) {
      assertThat(describe(merged.snapshot())).isEqualTo(describe(walk(copy)));
    }
  }

  private static Map<String, String> describe(Map<String, LayerEntry> entries) {
    Map<String, String> out = new TreeMap<>();
    entries.forEach((p, e) -> out.put(p, e.type() + " " + Integer.toOctalString(e.mode()) + " "
        + e.mtime().getEpochSecond() + " " + e.size()
        + " " + e.linkTarget() + " " + new String(Layers.contentOf(e), StandardCharsets.UTF_8)));
    return out;
  }

  /** The copy's tree as entries (hard links as plain files, as the stack's view shows them). */
  private static Map<String, LayerEntry> walk(Path root) throws IOException {
    Map<String, LayerEntry> out = new LinkedHashMap<>();
    try (var s = Files.walk(root)) {
      for (Path p : s.skip(1).collect(Collectors.toList())) {
        String rel = root.relativize(p).toString();
        Map<String, Object> a = Files.readAttributes(p, "unix:mode,size,lastModifiedTime",
            LinkOption.NOFOLLOW_LINKS);
        int fmt = (Integer) a.get("mode") & Posix.S_IFMT;
        Instant mtime = ((FileTime) a.get("lastModifiedTime")).toInstant();
        LayerEntry e;
        if (fmt == Posix.S_IFDIR) {
          e = dirEntry(rel, (Integer) a.get("mode") & 07777, mtime);
        } else if (fmt == Posix.S_IFLNK) {
          e = LayerEntry.symlink(rel, Files.readSymbolicLink(p).toString()).withMtime(mtime);
        } else {
          e = LayerEntry.file(rel, (Integer) a.get("mode") & 07777, (Long) a.get("size"),
              Content.ofFile(p)).withMtime(mtime);
        }
        out.put(rel, e);
      }
    }
    return out;
  }

  private static LayerEntry dirEntry(String path, int mode, Instant mtime) {
    return LayerEntry.directory(path, mode).withMtime(mtime);
  }

  private void write(String path, String content, Instant mtime) throws IOException {
    Files.writeString(copy.resolve(path), content);
    Files.setLastModifiedTime(copy.resolve(path), FileTime.from(mtime));
  }

  private LayerEntry file(String path, int mode, String content) {
    return LayerEntry.file(path, mode, bytes(content)).withOwner(uid, gid).withMtime(OLD);
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

  private static Map<String, LayerEntry> byPath(List<LayerEntry> entries) {
    Map<String, LayerEntry> out = new LinkedHashMap<>();
    entries.forEach(e -> out.put(e.path(), e));
    return out;
  }

  private static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  private static void deleteTree(Path p) throws IOException {
    try (var s = Files.walk(p)) {
      for (Path x : s.sorted(java.util.Comparator.reverseOrder()).collect(Collectors.toList())) {
        Files.delete(x);
      }
    }
  }

  private static java.util.Set<String> union(java.util.Set<String> a, java.util.Set<String> b) {
    java.util.Set<String> u = new java.util.TreeSet<>(a);
    u.addAll(b);
    return u;
  }

  private static long currentUid() {
    return ownerOfNewFile("unix:uid");
  }

  private static long currentGid() {
    return ownerOfNewFile("unix:gid");
  }

  private static long ownerOfNewFile(String attribute) {
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
