package dev.jbuild.layer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.jbuild.oci.Digest;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class LayerApplierTest {
  @TempDir Path tmp;

  static final Instant T = Instant.ofEpochSecond(1_650_000_000L);

  /** A layer of every kind the process can restore; owners and devices only as root. */
  List<LayerEntry> everything() throws Exception {
    long uid = Layers.uid(tmp);
    long gid = Layers.gid(tmp);
    boolean root = Layers.root();
    List<LayerEntry> l = new ArrayList<>();
    for (String d : List.of("bin", "data", "other", "run", "dev")) {
      l.add(LayerEntry.directory(d, 0755)); // explicit, so that they carry the test's owner
    }
    l.add(LayerEntry.file("bin/ping", 04755, "PING".getBytes(StandardCharsets.UTF_8))
        .withXattrs(root ? Map.of("security.capability", LayerWriterTest.CAP_NET_RAW,
            "trusted.jbuild", new byte[] {1, 0, 2}, "user.note", "n".getBytes(StandardCharsets.UTF_8))
            : Map.of("user.note", new byte[] {0, (byte) 0xff, 10})));
    l.add(LayerEntry.file("bin/sgid", 02711, new byte[] {1}));
    l.add(LayerEntry.symlink("bin/sh", "busybox"));
    l.add(LayerEntry.symlink("bin/abs", "/usr/lib/x/"));
    l.add(LayerEntry.symlink("bin/dangling", "../nowhere//x"));
    l.add(LayerEntry.directory("tmp", 01777));
    l.add(LayerEntry.directory("secret", 0500));
    l.add(LayerEntry.file("secret/key", 0400, "k".getBytes(StandardCharsets.UTF_8)));
    l.add(LayerEntry.file("data/" + "long-".repeat(40) + "name", 0644, new byte[100_000]));
    l.add(LayerEntry.file("data/ünïcödé ✓", 0644, "u".getBytes(StandardCharsets.UTF_8)));
    l.add(LayerEntry.file("data/a", 0640, "shared".getBytes(StandardCharsets.UTF_8)));
    l.add(LayerEntry.hardlink("data/b", "data/a"));
    l.add(LayerEntry.hardlink("other/c", "data/a"));
    l.add(LayerEntry.fifo("run/pipe", 0620));
    if (root) {
      l.add(LayerEntry.device("dev/null", EntryType.CHAR_DEVICE, 0666, 1, 3));
      l.add(LayerEntry.device("dev/loop0", EntryType.BLOCK_DEVICE, 0660, 7, 0));
      l.add(LayerEntry.device("dev/big", EntryType.CHAR_DEVICE, 0600, 4000, 300000));
    }
    List<LayerEntry> out = new ArrayList<>();
    int i = 0;
    for (LayerEntry e : l) {
      long u = root ? 1000 + (i * 7919L) % 70000 : uid;
      long g = root ? 2000 + (i * 104729L) % 70000 : gid;
      if (root && e.path().equals("bin/sgid")) {
        u = 4_000_000_000L; // beyond 16 bits and beyond the ustar octal field
      }
      out.add(e.withOwner(u, g).withMtime(T.plusSeconds(i++ * 3600)));
    }
    return out;
  }

  @ParameterizedTest
  @EnumSource(Compression.class)
  void writeApplyWriteGivesTheSameBytes(Compression c) throws Exception {
    List<LayerEntry> entries = everything();
    LayerWriter w = new LayerWriter(LayerWriter.Options.of(c));
    ByteArrayOutputStream blob = new ByteArrayOutputStream();
    LayerBlob first = w.write(entries, blob);
    Path target = Files.createDirectory(tmp.resolve("target"));

    ApplyResult r = new LayerApplier(LayerApplier.Options.flattened()).apply(
        new ByteArrayInputStream(blob.toByteArray()), target);

    assertThat(r.diffId()).isEqualTo(first.diffId());
    assertThat(r.ownershipSkipped() + r.devicesSkipped() + r.xattrsSkipped()).isZero();
    ByteArrayOutputStream again = new ByteArrayOutputStream();
    LayerBlob second = w.writeDirectory(target, again);
    assertThat(Layers.read(again.toByteArray())).containsExactlyElementsOf(Layers.read(blob.toByteArray()));
    assertThat(second.diffId()).isEqualTo(first.diffId());
    assertThat(Compression.decompressed(new ByteArrayInputStream(again.toByteArray())).readAllBytes())
        .isEqualTo(Layers.tar(entries));
    if (c == Compression.NONE || c == Compression.ZSTD) {
      assertThat(again.toByteArray()).isEqualTo(blob.toByteArray());
    }
  }

  /**
   * A layer owned by 0:0 as a base image's is: files are created with their modes and not
   * lchown'ed when the process's own files belong to 0:0; the tree must not tell.
   */
  @ParameterizedTest
  @EnumSource(value = LayerApplier.Form.class)
  void writeApplyWriteOfARootOwnedLayerGivesTheSameBytes(LayerApplier.Form form) throws Exception {
    assumeTrue(Layers.root(), "a layer owned by root is restored only by root");
    List<LayerEntry> entries = new ArrayList<>();
    for (LayerEntry e : everything()) {
      entries.add(e.withOwner(0, 0));
    }
    entries.add(LayerEntry.file("data/ro", 0444, new byte[] {1}).withOwner(0, 0).withMtime(T));
    entries.add(LayerEntry.file("data/none", 0, new byte[] {2}).withOwner(0, 0).withMtime(T));
    entries.add(LayerEntry.file("data/group-writable", 0664, new byte[] {3}).withOwner(0, 0).withMtime(T));
    byte[] tar = Layers.tar(entries);
    Path target = Files.createDirectory(tmp.resolve("target"));
    LayerApplier.Options options = form == LayerApplier.Form.FLATTENED
        ? LayerApplier.Options.flattened() : LayerApplier.Options.overlayLower();
    new LayerApplier(options).apply(new ByteArrayInputStream(tar), target);
    assertThat(Layers.tar(target)).isEqualTo(tar);
  }

  @Test
  @Tag("root")
  void aRootOwnedLayerAppliedInASetgidDirectoryOfAnotherGroupBelongsToRoot() throws Exception {
    assumeTrue(Layers.root(), "chown to another group needs root");
    Path target = Files.createDirectory(tmp.resolve("target"));
    Posix.lchown(target, 0, 4242);
    Posix.chmod(target, 02775); // what is created in it takes group 4242
    List<LayerEntry> entries = List.of(
        LayerEntry.file("top", 0644, new byte[] {1}),
        LayerEntry.symlink("link", "top"),
        LayerEntry.directory("d", 02775),
        LayerEntry.file("d/f", 0600, new byte[] {2}),
        LayerEntry.file("implicit/g", 0755, new byte[] {3}));
    List<LayerEntry> owned = new ArrayList<>();
    for (LayerEntry e : entries) {
      owned.add(e.withOwner(0, 0).withMtime(T));
    }
    applyOnto(target, Layers.tar(owned));
    for (String p : List.of("top", "link", "d", "d/f", "implicit/g")) {
      assertThat(Layers.uid(target.resolve(p))).as(p).isZero();
      assertThat(((Number) Files.getAttribute(target.resolve(p), "unix:gid", LinkOption.NOFOLLOW_LINKS)).longValue())
          .as(p).isZero();
    }
    assertThat(Files.getAttribute(target.resolve("d"), "unix:mode")).isEqualTo(0040000 | 02775);
    assertThat(Files.getAttribute(target.resolve("d/f"), "unix:mode")).isEqualTo(0100000 | 0600);
  }

  @Test
  void restoresModesSetuidXattrsAndSymlinkTimes() throws Exception {
    List<LayerEntry> entries = everything();
    Path target = apply(Layers.tar(entries));
    Instant shTime = entries.stream().filter(e -> e.path().equals("bin/sh")).findFirst().orElseThrow().mtime();
    assertThat(Files.getAttribute(target.resolve("bin/ping"), "unix:mode")).isEqualTo(0100000 | 04755);
    assertThat(Files.getAttribute(target.resolve("bin/sgid"), "unix:mode")).isEqualTo(0100000 | 02711);
    assertThat(Files.getAttribute(target.resolve("tmp"), "unix:mode")).isEqualTo(0040000 | 01777);
    assertThat(Files.readSymbolicLink(target.resolve("bin/abs")).toString()).isEqualTo("/usr/lib/x/"); // exact bytes, trailing slash kept
    assertThat(Files.getLastModifiedTime(target.resolve("bin/sh"), LinkOption.NOFOLLOW_LINKS).toInstant())
        .isEqualTo(shTime);
    assertThat(Files.getAttribute(target.resolve("data/a"), "unix:nlink")).isEqualTo(3);
    assertThat(Files.isSameFile(target.resolve("data/a"), target.resolve("other/c"))).isTrue();
    if (Layers.root()) {
      assertThat(Posix.lgetxattr(target.resolve("bin/ping"), "security.capability"))
          .isEqualTo(LayerWriterTest.CAP_NET_RAW);
      assertThat(Layers.uid(target.resolve("bin/sgid"))).isEqualTo(4_000_000_000L);
      assertThat(Files.getAttribute(target.resolve("dev/big"), "unix:rdev"))
          .isEqualTo(Posix.makedev(4000, 300000));
    } else {
      assertThat(Posix.lgetxattr(target.resolve("bin/ping"), "user.note")).containsExactly(0, 0xff, 10);
    }
  }

  @Test
  @Tag("unprivileged")
  void asNonRootOwnersAndDevicesAreCountedNotFatal() throws Exception {
    assumeTrue(!Layers.root(), "only meaningful without privileges");
    byte[] tar = Layers.tar(List.of(
        LayerEntry.file("f", 0644, new byte[1]).withOwner(12345, 12345),
        LayerEntry.device("null", EntryType.CHAR_DEVICE, 0666, 1, 3),
        LayerEntry.file("g", 0644, new byte[1]).withXattrs(Map.of("trusted.x", new byte[] {1}))));
    Path target = Files.createDirectory(tmp.resolve("t"));
    ApplyResult r = new LayerApplier(LayerApplier.Options.flattened().withAllowDevices(true))
        .apply(new ByteArrayInputStream(tar), target);
    assertThat(r.ownershipSkipped()).isEqualTo(2); // f and g; the device is skipped before
    assertThat(r.devicesSkipped()).isEqualTo(1);
    assertThat(r.xattrsSkipped()).isEqualTo(1);
    assertThat(target.resolve("f")).exists();
  }

  @Test
  void whiteoutOfAFileAndOfADirectory() throws Exception {
    Path t = apply(Layers.tar(List.of(
        LayerEntry.file("keep", 0644, new byte[1]),
        LayerEntry.file("gone", 0644, new byte[1]),
        LayerEntry.directory("dir", 0755),
        LayerEntry.directory("dir/ro", 0555),
        LayerEntry.file("dir/ro/f", 0444, new byte[1]),
        LayerEntry.symlink("dir/link", "/keep"))));
    ApplyResult r = applyOnto(t, Layers.tar(List.of(LayerEntry.whiteout("gone"), LayerEntry.whiteout("dir"),
        LayerEntry.whiteout("never-existed"))));
    assertThat(r.whiteouts()).isEqualTo(3);
    assertThat(list(t)).containsExactly("keep");
  }

  @Test
  void opaqueDirectoryKeepsOnlyEntriesOfItsOwnLayer() throws Exception {
    Path t = apply(Layers.tar(List.of(
        LayerEntry.file("d/old", 0644, new byte[1]),
        LayerEntry.file("d/sub/older", 0644, new byte[1]),
        LayerEntry.file("e/untouched", 0644, new byte[1]))));
    // A marker after its siblings (other writers' order) must not remove this layer's entries.
    byte[] layer = new RawTar().dir("d/").file("d/-new", "n").file("d/sub/newer", "n")
        .file("d/.wh..wh..opq", "").build();
    applyOnto(t, layer);
    assertThat(list(t)).containsExactly("d", "d/-new", "d/sub", "d/sub/newer", "e", "e/untouched");
  }

  @Test
  void addRemoveAddAcrossLayers() throws Exception {
    Path t = apply(Layers.tar(List.of(LayerEntry.file("x/f", 0644, "one".getBytes(StandardCharsets.UTF_8)))));
    applyOnto(t, Layers.tar(List.of(LayerEntry.whiteout("x"))));
    assertThat(t.resolve("x")).doesNotExist();
    applyOnto(t, Layers.tar(List.of(LayerEntry.file("x", 0600, "three".getBytes(StandardCharsets.UTF_8)))));
    assertThat(Files.readString(t.resolve("x"))).isEqualTo("three");
  }

  @Test
  void aWhiteoutDoesNotHideAnEntryOfItsOwnLayer() throws Exception {
    Path t = apply(new RawTar().file("f", "same layer").file(".wh.f", "").build());
    assertThat(Files.readString(t.resolve("f"))).isEqualTo("same layer");
  }

  @Test
  void hardLinkToAFileLaterWhitedOutKeepsItsContent() throws Exception {
    Path t = apply(Layers.tar(List.of(LayerEntry.file("a", 0644, "data".getBytes(StandardCharsets.UTF_8)),
        LayerEntry.hardlink("b", "a"))));
    applyOnto(t, Layers.tar(List.of(LayerEntry.whiteout("a"))));
    assertThat(t.resolve("a")).doesNotExist();
    assertThat(Files.readString(t.resolve("b"))).isEqualTo("data");
    assertThat(Files.getAttribute(t.resolve("b"), "unix:nlink")).isEqualTo(1);
  }

  @Test
  void laterEntriesReplaceEarlierOnesOfAnotherKind() throws Exception {
    Path t = apply(Layers.tar(List.of(LayerEntry.directory("x", 0755), LayerEntry.file("x/in", 0644, new byte[1]),
        LayerEntry.file("y", 0644, new byte[1]), LayerEntry.symlink("z", "y"))));
    applyOnto(t, Layers.tar(List.of(LayerEntry.file("x", 0644, "file now".getBytes(StandardCharsets.UTF_8)),
        LayerEntry.directory("y", 0700), LayerEntry.file("z", 0644, "not through".getBytes(StandardCharsets.UTF_8)))));
    assertThat(Files.readString(t.resolve("x"))).isEqualTo("file now");
    assertThat(t.resolve("y")).isDirectory();
    assertThat(Files.isSymbolicLink(t.resolve("z"))).isFalse();
    assertThat(Files.readString(t.resolve("z"))).isEqualTo("not through");
  }

  @Test
  void aPathTwiceInALayerExtractedIntoANewDirectoryTakesTheLaterEntry() throws Exception {
    // into a new directory the applier lstats only names this layer already used
    Path t = apply(new RawTar().file("x", "one").dir("d/").file("d/f", "in d").file("x", "two")
        .file("d", "a file now").dir("e/").file("e/g", "1").file("e/g", "2").build());
    assertThat(Files.readString(t.resolve("x"))).isEqualTo("two");
    assertThat(Files.readString(t.resolve("d"))).isEqualTo("a file now");
    assertThat(Files.readString(t.resolve("e/g"))).isEqualTo("2");
    assertThat(list(t)).containsExactly("d", "e", "e/g", "x");
  }

  @Test
  void aDirectoryReplacedByASymlinkInTheSameLayerIsResolvedAgain() throws Exception {
    // the applier remembers resolved parents: after "a" turns into a symlink to a directory
    // outside the root, "a/x" must land where the link resolves inside the root, not outside
    Path outside = Files.createDirectory(tmp.resolve("outside"));
    for (LayerApplier.Options o : List.of(LayerApplier.Options.flattened(),
        LayerApplier.Options.overlayLower())) {
      Path t = Files.createDirectory(tmp.resolve("t" + System.nanoTime()));
      new LayerApplier(o).apply(new ByteArrayInputStream(new RawTar().dir("a/").file("a/first", "1")
          .symlink("a", outside.toString()).file("a/x", "2").build()), t);
      assertThat(outside).isEmptyDirectory();
      assertThat(Files.isSymbolicLink(t.resolve("a"))).isTrue();
      assertThat(Files.readString(t.resolve(outside.toString().substring(1)).resolve("x")))
          .isEqualTo("2");
      assertThat(t.resolve(outside.toString().substring(1)).resolve("first")).doesNotExist();
    }
  }

  @Test
  void overlayLowerFormMakesWhiteoutDevicesAndOpaqueXattrs() throws Exception {
    long uid = Layers.uid(tmp);
    long gid = Layers.gid(tmp);
    List<LayerEntry> entries = owned(uid, gid, 
        LayerEntry.directory("d", 0755).withMtime(T),
        LayerEntry.opaque("d").withMtime(T),
        LayerEntry.file("d/kept", 0644, new byte[3]).withMtime(T),
        LayerEntry.directory("e", 0711).withMtime(T),
        LayerEntry.file("e/-a", 0644, new byte[1]).withMtime(T),
        LayerEntry.file("e/zz", 0644, new byte[1]).withMtime(T),
        LayerEntry.whiteout("e/b"),
        LayerEntry.whiteout("e/gone"));
    Path t = Files.createDirectory(tmp.resolve("lower"));
    ApplyResult r = new LayerApplier(LayerApplier.Options.overlayLower())
        .apply(new ByteArrayInputStream(Layers.tar(entries)), t);
    assertThat(Posix.lgetxattr(t.resolve("d"), Whiteouts.USER_OVERLAY_OPAQUE)).containsExactly('y');
    assertThat(t.resolve("d/kept")).exists();
    if (r.devicesSkipped() > 0) {
      assumeTrue(false, "mknod of a 0/0 whiteout is not permitted here");
    }
    assertThat(Files.getAttribute(t.resolve("e/gone"), "unix:mode", LinkOption.NOFOLLOW_LINKS))
        .isEqualTo(Posix.S_IFCHR);
    assertThat(Files.getAttribute(t.resolve("e/gone"), "unix:rdev", LinkOption.NOFOLLOW_LINKS)).isEqualTo(0L);
    // and back: the lower dir read as an upper dir is the same layer
    assertThat(Layers.tar(t)).isEqualTo(Layers.tar(entries));
  }

  @Test
  @Tag("root")
  void overlayLowerFormWithTrustedXattrAsRoot() throws Exception {
    assumeTrue(Layers.root(), "trusted.* needs CAP_SYS_ADMIN");
    Path t = Files.createDirectory(tmp.resolve("lower"));
    new LayerApplier(LayerApplier.Options.overlayLower().withOpaqueXattr(Whiteouts.TRUSTED_OVERLAY_OPAQUE))
        .apply(new ByteArrayInputStream(Layers.tar(List.of(LayerEntry.opaque("d")))), t);
    assertThat(Posix.lgetxattr(t.resolve("d"), Whiteouts.TRUSTED_OVERLAY_OPAQUE)).containsExactly('y');
    assertThat(Layers.read(Layers.tar(t))).extracting(LayerEntry::path).containsExactly("d", "d/.wh..wh..opq");
  }

  @Test
  void diffIdCoversTrailingPadding() throws Exception {
    byte[] tar = new RawTar().file("a", "x").raw(new byte[8192]).build();
    Path t = Files.createDirectory(tmp.resolve("t"));
    ApplyResult r = new LayerApplier(LayerApplier.Options.flattened()).apply(new ByteArrayInputStream(tar), t);
    assertThat(r.diffId()).isEqualTo(Digest.of(tar));
  }

  @Test
  void aTruncatedLayerFailsWithAClearError() throws Exception {
    byte[] tar = Layers.tar(List.of(LayerEntry.file("f", 0644, new byte[5000])));
    byte[] cut = java.util.Arrays.copyOf(tar, 2048);
    Path t = Files.createDirectory(tmp.resolve("t"));
    assertThatThrownBy(() -> new LayerApplier(LayerApplier.Options.flattened())
        .apply(new ByteArrayInputStream(cut), t)).hasMessageContaining("tar ends inside");
  }

  /** Owned by the test's user: as non-root only those owners can be restored. */
  private static List<LayerEntry> owned(long uid, long gid, LayerEntry... entries) {
    List<LayerEntry> out = new ArrayList<>();
    for (LayerEntry e : entries) {
      // opaque markers carry fixed metadata (0:0, mode 0, the directory's mtime)
      boolean marker = e.whiteoutKind() == Whiteouts.Kind.OPAQUE;
      out.add(Layers.root() || marker ? e : e.withOwner(uid, gid));
    }
    return out;
  }

  private Path apply(byte[] layer) throws Exception {
    Path t = Files.createDirectory(tmp.resolve("t" + System.nanoTime()));
    applyOnto(t, layer);
    return t;
  }

  private static ApplyResult applyOnto(Path t, byte[] layer) throws Exception {
    return new LayerApplier(LayerApplier.Options.flattened()).apply(new ByteArrayInputStream(layer), t);
  }

  static List<String> list(Path root) throws Exception {
    try (var s = Files.walk(root)) {
      return s.filter(p -> !p.equals(root)).map(p -> root.relativize(p).toString()).sorted()
          .collect(java.util.stream.Collectors.toList());
    }
  }
}
