package dev.jbuild.layer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.stream.Collectors;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LayerStackTest {
  @TempDir Path tmp;
  List<Path> blobs;

  static byte[] b(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  @BeforeEach
  void layers() throws Exception {
    Path l0 = blob("l0", Compression.GZIP, List.of(
        LayerEntry.file("usr/lib/a.so", 0755, b("A")),
        LayerEntry.symlink("lib", "usr/lib"),
        LayerEntry.symlink("abs", "/usr/lib/a.so"),
        LayerEntry.file("gone", 0644, b("G")),
        LayerEntry.file("d/x", 0644, b("X")),
        LayerEntry.file("d/sub/deep", 0644, b("D")),
        LayerEntry.file("hl", 0600, b("H"))));
    Path l1 = Files.write(tmp.resolve("l1"), new RawTar() // marker after siblings; link to a lower file
        .file("d/y", "Y").file("d/.wh..wh..opq", "").hardlink("link2", "hl")
        .file("lib/b.so", "B").file(".wh.gone", "").build());
    Path l2 = blob("l2", Compression.ZSTD, List.of(
        LayerEntry.whiteout("hl"),
        LayerEntry.file("gone", 0644, b("G2")),
        LayerEntry.file("big", 0644, new byte[300_000])));
    blobs = List.of(l0, l1, l2);
  }

  private Path blob(String name, Compression c, List<LayerEntry> entries) throws Exception {
    return new LayerWriter(LayerWriter.Options.of(c)).writeTo(tmp.resolve(name), LayerWriter.Source.of(entries)) != null
        ? tmp.resolve(name) : null;
  }

  @Test
  void laterLayersWinAndWhiteoutsHide() throws Exception {
    LayerStack s = LayerStack.of(blobs);
    assertThat(read(s, "gone")).isEqualTo("G2"); // add, remove, add
    assertThat(s.stat("hl")).isEmpty();
    assertThat(read(s, "link2")).isEqualTo("H"); // hard link to a file later whited out
    assertThat(s.list("d").stream().map(LayerEntry::path)).containsExactly("d/y");
    assertThat(s.stat("d/sub/deep")).isEmpty();
    assertThat(read(s, "/lib/a.so")).isEqualTo("A"); // symlinked parent
    assertThat(read(s, "usr/lib/b.so")).isEqualTo("B"); // written through a symlinked parent
    assertThat(read(s, "abs")).isEqualTo("A"); // final symlink followed by open
    assertThat(s.stat("abs").orElseThrow().type()).isEqualTo(EntryType.SYMLINK);
    assertThat(s.statFollow("abs").orElseThrow().path()).isEqualTo("usr/lib/a.so");
    assertThat(s.statFollow("abs").orElseThrow().mode()).isEqualTo(0755);
    try (InputStream in = s.open("big")) {
      assertThat(in.readAllBytes()).hasSize(300_000);
    }
    assertThatThrownBy(() -> s.open("d")).hasMessageContaining("not a regular file");
    assertThatThrownBy(() -> s.open("nothing")).isInstanceOf(java.nio.file.NoSuchFileException.class);
    assertThat(s.stat("../../etc/passwd")).isEmpty(); // ".." stops at the root
  }

  @Test
  void theMergedTreeMatchesFlattenedApplication() throws Exception {
    Path root = Files.createDirectory(tmp.resolve("root"));
    for (Path blob : blobs) {
      new LayerApplier(LayerApplier.Options.flattened()).apply(blob, root);
    }
    Map<String, String> applied = new TreeMap<>();
    try (var walk = Files.walk(root)) {
      for (Path p : (Iterable<Path>) walk::iterator) {
        if (p.equals(root)) {
          continue;
        }
        String rel = root.relativize(p).toString();
        applied.put(rel, Files.isSymbolicLink(p) ? "-> " + Files.readSymbolicLink(p)
            : Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS) ? "dir" : Files.readString(p));
      }
    }
    LayerStack s = LayerStack.of(blobs);
    Map<String, String> merged = new TreeMap<>();
    for (Map.Entry<String, LayerEntry> e : s.snapshot().entrySet()) {
      LayerEntry x = e.getValue();
      merged.put(e.getKey(), x.type() == EntryType.SYMLINK ? "-> " + x.linkTarget()
          : x.type() == EntryType.DIRECTORY ? "dir" : new String(x.content().open().readAllBytes(), StandardCharsets.UTF_8));
    }
    assertThat(merged).isEqualTo(applied);
  }

  @Test
  void aHostileStackStaysInsideItsTree() throws Exception {
    Path evil = Files.write(tmp.resolve("evil"), new RawTar().symlink("out", "../../../../etc")
        .file("out/passwd", "mine").build());
    LayerStack s = LayerStack.of(List.of(evil));
    assertThat(read(s, "etc/passwd")).isEqualTo("mine");
    assertThat(read(s, "out/passwd")).isEqualTo("mine");
    Path bad = Files.write(tmp.resolve("bad"), new RawTar().file("../x", "x").build());
    assertThatThrownBy(() -> LayerStack.of(List.of(bad))).hasMessageContaining("climbs above");
  }

  @Test
  void readerIteratesWithWhiteoutAwareness() throws Exception {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    new LayerWriter(LayerWriter.Options.of(Compression.ZSTD)).write(List.of(
        LayerEntry.opaque("d"), LayerEntry.whiteout("e/f"), LayerEntry.file("g", 0644, b("g"))), out);
    try (LayerReader r = LayerReader.open(new java.io.ByteArrayInputStream(out.toByteArray()))) {
      List<String> kinds = new java.util.ArrayList<>();
      for (LayerEntry e = r.next(); e != null; e = r.next()) {
        kinds.add(e.path() + ":" + e.whiteoutKind()
            + (e.whiteoutKind() == Whiteouts.Kind.WHITEOUT ? ":" + Whiteouts.hiddenPath(e.path()) : ""));
      }
      assertThat(kinds).containsExactly("d:NONE", "d/.wh..wh..opq:OPAQUE", "e:NONE", "e/.wh.f:WHITEOUT:e/f", "g:NONE");
    }
  }

  @Test
  void filesOfACompressedLayerReadInAnyOrderAndPartially() throws Exception {
    List<LayerEntry> files = new java.util.ArrayList<>();
    for (int i = 0; i < 40; i++) {
      byte[] data = new byte[1000 + i * 997];
      java.util.Arrays.fill(data, (byte) i);
      files.add(LayerEntry.file(String.format("f%02d", i), 0644, data));
    }
    Path gz = blob("many", Compression.GZIP, files);
    try (LayerStack s = LayerStack.of(List.of(gz))) {
      for (int i : new int[] {0, 1, 2, 5, 39, 3, 20, 21, 21, 0}) {
        try (InputStream in = s.open(String.format("f%02d", i))) {
          byte[] head = in.readNBytes(10); // partial reads leave the cursor mid-file
          assertThat(head).containsOnly((byte) i);
          if (i % 2 == 0) {
            byte[] rest = in.readAllBytes();
            assertThat(head.length + rest.length).isEqualTo(1000 + i * 997);
            assertThat(rest).containsOnly((byte) i);
          }
        }
      }
    }
  }

  /**
   * Layers without links: directories replaced by opaque markers (with entries of the same
   * layer before and after the marker), whiteouts at several depths, a directory whited out and
   * made again, files replaced, in three compressions.
   */
  private List<Path> linklessLayers() throws Exception {
    Path l0 = blob("p0", Compression.GZIP, List.of(
        LayerEntry.directory("srv", 0700).withOwner(5, 6),
        LayerEntry.file("srv/a/f1", 0644, b("f1")),
        LayerEntry.file("srv/a/f2", 0644, b("f2")),
        LayerEntry.file("srv/b/g", 0600, b("g")),
        LayerEntry.file("srv/keep", 0644, b("keep")),
        LayerEntry.file("etc/passwd", 0644, b("root:x:0:0::/root:/bin/sh\n")),
        LayerEntry.file("etc/group", 0644, b("root:x:0:\n")),
        LayerEntry.directory("opt/app", 0750).withOwner(7, 7),
        LayerEntry.file("opt/app/static/x.js", 0644, b("x")),
        LayerEntry.file("opt/app/static/sub/y.js", 0644, b("y")),
        LayerEntry.file("opt/app/conf/c", 0644, b("c")),
        LayerEntry.file("usr/share/doc/d", 0644, b("d")),
        LayerEntry.file("top", 0644, b("top"))));
    Path l1 = Files.write(tmp.resolve("p1"), new RawTar()
        .file("srv/a/f3", "f3").file("srv/a/.wh..wh..opq", "") // the marker after a sibling
        .file(".wh.top", "")
        .file("opt/app/static/.wh.x.js", "").file("opt/app/static/sub/z.js", "z")
        .file("opt/.wh..wh..opq", "").file("opt/app/conf/c2", "c2") // opt/app: made again
        .file("usr/share/.wh.doc", "").file("usr/share/.wh..wh..plnk", "")
        .file("etc/passwd", "root:x:0:0::/root:/bin/sh\napp:x:1000:1000::/home/app:/bin/sh\n")
        .build());
    Path l2 = blob("p2", Compression.ZSTD, List.of(
        LayerEntry.whiteout("srv/b"),
        LayerEntry.file("srv/b/h", 0644, b("h")),
        LayerEntry.whiteout("srv/keep"),
        LayerEntry.opaque("opt/app/static/sub"),
        LayerEntry.file("opt/app/static/sub/w.js", 0644, b("w")),
        LayerEntry.file("usr/share/doc/new", 0644, b("new"))));
    Path l3 = blob("p3", Compression.NONE, List.of(
        LayerEntry.file("srv/a/f4", 0644, b("f4")),
        LayerEntry.file("var/log/l", 0644, b("l"))));
    return List.of(l0, l1, l2, l3);
  }

  @Test
  void aStackOfSomePathsAndSubtreesAnswersForThemAsTheWholeStackAndRefusesTheRest()
      throws Exception {
    List<Path> layers = linklessLayers();
    List<Path> none = java.util.Arrays.asList(null, null, null, null);
    List<Path> indexes = List.of(
        tmp.resolve("pi/0"), tmp.resolve("pi/1"), tmp.resolve("pi/2"), tmp.resolve("pi/3"));
    LayerStack all = LayerStack.of(layers);
    List<String> probes = new java.util.ArrayList<>(all.snapshot().keySet());
    probes.addAll(List.of("srv/a/f1", "srv/keep", "top", "opt/app/static/x.js", "usr/share/doc/d",
        "no/such", "srv/none", "opt/app/static/none", ""));
    List<List<List<String>>> cases = List.of(
        List.of(List.of("srv"), List.of()),
        List.of(List.of("srv/a/f3", "etc/passwd", "etc/group", "top"), List.of()),
        List.of(List.of(), List.of("opt/app/static")),
        List.of(List.of("etc/passwd", "etc/group"), List.of("opt/app")),
        List.of(List.of(), List.of("srv/a", "srv/b", "usr/share")),
        List.of(List.of("no/such/file"), List.of("usr/share/doc", "var")),
        List.of(List.of("opt/app/static/sub/w.js"), List.of("opt/app/conf")));
    // no index (the blob read and filtered), index written on that read, index parsed
    for (List<Path> idx : List.of(none, indexes, indexes)) {
      for (List<List<String>> c : cases) {
        List<String> paths = c.get(0);
        List<String> subtrees = c.get(1);
        LayerStack part = LayerStack.ofPaths(layers, idx, paths, subtrees).orElseThrow();
        for (String p : probes) {
          String as = c + " " + p;
          if (covered(p, paths, subtrees)) {
            assertThat(describe(part.stat(p))).as(as).isEqualTo(describe(all.stat(p)));
            Optional<LayerEntry> e = all.stat(p);
            if (e.isPresent() && e.get().type() == EntryType.FILE) {
              assertThat(read(part, p)).as(as).isEqualTo(read(all, p));
            }
          } else {
            assertThatThrownBy(() -> part.stat(p)).as(as)
                .isInstanceOf(LayerStack.OutsidePartException.class);
          }
          boolean directory = all.stat(p).map(e -> e.type() == EntryType.DIRECTORY).orElse(false);
          if (directory && subtrees.stream().anyMatch(t -> p.equals(t) || p.startsWith(t + "/"))) {
            assertThat(part.list(p).stream().map(x -> describe(Optional.of(x))))
                .as(as).containsExactlyElementsOf(
                    all.list(p).stream().map(x -> describe(Optional.of(x))).toList());
          } else if (directory) {
            assertThatThrownBy(() -> part.list(p)).as(as)
                .isInstanceOf(LayerStack.OutsidePartException.class);
          }
        }
      }
    }
    // the cases above see what the layers did: opaque markers, whiteouts, re-made directories
    assertThat(all.stat("srv/a/f1")).isEmpty();
    assertThat(all.stat("opt/app/static/x.js")).isEmpty();
    assertThat(all.stat("opt/app").orElseThrow().mode()).isEqualTo(0755);
    assertThat(all.stat("usr/share/doc/d")).isEmpty();
    assertThat(all.stat("srv/b/g")).isEmpty();
    assertThat(all.stat("srv/b/h")).isPresent();
  }

  /** Whether a stack of {@code paths} and {@code subtrees} answers for {@code p}. */
  private static boolean covered(String p, List<String> paths, List<String> subtrees) {
    if (p.isEmpty()) {
      return true;
    }
    for (String w : paths) {
      if (w.equals(p) || w.startsWith(p + "/")) {
        return true;
      }
    }
    for (String t : subtrees) {
      if (t.equals(p) || t.startsWith(p + "/") || p.startsWith(t + "/")) {
        return true;
      }
    }
    return false;
  }

  private static String describe(Optional<LayerEntry> e) {
    return e.map(x -> x.path() + " " + x.type() + " " + Integer.toOctalString(x.mode()) + " "
        + x.uid() + ":" + x.gid() + " " + x.mtime() + " " + x.size()).orElse("absent");
  }

  @Test
  void aDirectoryOfAnOpaqueLayerIsMadeAgainByAnEntryInsideIt() throws Exception {
    // the marker hides opt/app of layer 0; the unwanted opt/app/other of the same layer makes
    // opt/app again (a plain directory): only marking the wanted directory as touched keeps it
    Path l0 = blob("t0", Compression.GZIP, List.of(
        LayerEntry.directory("opt/app", 0700).withOwner(9, 9),
        LayerEntry.file("opt/app/f", 0644, b("f"))));
    Path l1 = Files.write(tmp.resolve("t1"), new RawTar()
        .file("opt/.wh..wh..opq", "").file("opt/app/other", "o").build());
    List<Path> layers = List.of(l0, l1);
    LayerStack all = LayerStack.of(layers);
    LayerStack part = LayerStack.ofPaths(layers, java.util.Arrays.asList(null, null),
        List.of("opt/app/f")).orElseThrow();
    assertThat(describe(all.stat("opt/app"))).startsWith("opt/app DIRECTORY 755 0:0");
    assertThat(describe(part.stat("opt/app"))).isEqualTo(describe(all.stat("opt/app")));
    assertThat(part.stat("opt/app/f")).isEmpty();
  }

  @Test
  void anOpaqueMarkerAtTheRootHidesEveryLowerPath() throws Exception {
    Path l0 = blob("r0", Compression.GZIP, List.of(
        LayerEntry.file("srv/keep", 0644, b("k")), LayerEntry.file("etc/passwd", 0644, b("p"))));
    Path l1 = Files.write(tmp.resolve("r1"), new RawTar()
        .file(".wh..wh..opq", "").file("srv/new", "n").build());
    List<Path> layers = List.of(l0, l1);
    List<Path> none = java.util.Arrays.asList(null, null);
    assertThat(LayerStack.of(layers).stat("srv/keep")).isEmpty();
    LayerStack part = LayerStack.ofPaths(layers, none, List.of("srv/keep", "etc/passwd"))
        .orElseThrow();
    assertThat(part.stat("srv/keep")).isEmpty();
    assertThat(part.stat("etc/passwd")).isEmpty();
    assertThat(part.stat("srv")).isPresent();
  }

  @Test
  void aLinkInsideASubtreeOrAWholeTreeSubtreeNeedsTheWholeStack() throws Exception {
    List<Path> none = java.util.Arrays.asList(null, null, null);
    // d/sub holds no link, but lib (a symlink) and link2 (a hard link) lie in the subtree ""
    assertThat(LayerStack.ofPaths(blobs, none, List.of(), List.of("d"))).isPresent();
    assertThat(LayerStack.ofPaths(blobs, none, List.of(), List.of(""))).isEmpty();
    Path l = Files.write(tmp.resolve("links"), new RawTar()
        .file("app/f", "f").symlink("app/s", "/etc").hardlink("app/h", "app/f")
        .file("other/f", "f").hardlink("other/h", "other/f").build());
    assertThat(LayerStack.ofPaths(List.of(l), java.util.Arrays.asList((Path) null), List.of(),
        List.of("app"))).isEmpty();
    // links outside the part do not matter
    assertThat(LayerStack.ofPaths(List.of(l), java.util.Arrays.asList((Path) null),
        List.of("app/f"), List.of())).isPresent();
  }

  @Test
  void aDamagedIndexIsNotReadInPart() throws Exception {
    List<Path> layers = linklessLayers();
    List<Path> indexes = List.of(
        tmp.resolve("di/0"), tmp.resolve("di/1"), tmp.resolve("di/2"), tmp.resolve("di/3"));
    Map<String, String> plain = describe(LayerStack.of(layers, indexes));
    byte[] whole = Files.readAllBytes(indexes.get(0));
    // cut short: the entries before the cut must not be taken, then the blob read again
    Files.write(indexes.get(0), java.util.Arrays.copyOf(whole, whole.length - 30));
    LayerStack part = LayerStack.ofPaths(layers, indexes, List.of(), List.of("srv")).orElseThrow();
    assertThat(describe(part.stat("srv/a/f3"))).isEqualTo(describe(LayerStack.of(layers).stat("srv/a/f3")));
    assertThat(Files.readAllBytes(indexes.get(0))).isEqualTo(whole);
    Files.write(indexes.get(0), java.util.Arrays.copyOf(whole, whole.length + 1)); // trailing byte
    assertThat(describe(LayerStack.of(layers, indexes))).isEqualTo(plain);
    assertThat(Files.readAllBytes(indexes.get(0))).isEqualTo(whole);
  }

  private static String read(LayerStack s, String path) throws Exception {
    try (InputStream in = s.open(path)) {
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
  }

  static List<String> names(List<LayerEntry> l) {
    return l.stream().map(LayerEntry::path).collect(Collectors.toList());
  }

  @Test
  void headerIndexesGiveTheSameTreeWithoutReadingTheBlobsAgain() throws Exception {
    List<Path> indexes = List.of(tmp.resolve("idx/0"), tmp.resolve("idx/1"), tmp.resolve("idx/2"));
    Map<String, String> plain = describe(LayerStack.of(blobs));
    assertThat(describe(LayerStack.of(blobs, indexes))).isEqualTo(plain); // writes the indexes
    byte[] first = Files.readAllBytes(indexes.get(0));
    // the tree now comes from the indexes alone: the blobs are read only for file bytes
    List<Path> spoiled = List.of(tmp.resolve("s0"), tmp.resolve("s1"), tmp.resolve("s2"));
    for (Path p : spoiled) {
      Files.write(p, new byte[512]);
    }
    assertThat(describe(LayerStack.of(spoiled, indexes))).isEqualTo(plain);
    assertThat(read(LayerStack.of(blobs, indexes), "link2")).isEqualTo("H");
    // an index is a function of its blob; a damaged one is replaced
    Files.write(indexes.get(0), b("junk"));
    assertThat(describe(LayerStack.of(blobs, indexes))).isEqualTo(plain);
    assertThat(Files.readAllBytes(indexes.get(0))).isEqualTo(first);
  }

  private static Map<String, String> describe(LayerStack s) {
    Map<String, String> out = new TreeMap<>();
    s.snapshot().forEach((p, e) -> out.put(p, e.type() + " " + Integer.toOctalString(e.mode())
        + " " + e.uid() + ":" + e.gid() + " " + e.mtime() + " " + e.size() + " " + e.linkTarget()));
    return out;
  }

  @Test
  void aStackOfSomePathsAnswersForThemAsTheWholeStack() throws Exception {
    List<Path> none = java.util.Arrays.asList(null, null, null);
    LayerStack all = LayerStack.of(blobs);
    List<String> paths = List.of("d/sub/deep", "d/y", "d/x", "gone", "hl", "big", "usr/lib/a.so", "no/such");
    LayerStack part = LayerStack.ofPaths(blobs, none, paths).orElseThrow();
    for (String p : paths) {
      assertThat(part.stat(p).map(LayerEntry::toString)).as(p).isEqualTo(all.stat(p).map(LayerEntry::toString));
      for (String q = LayerPaths.parent(p); !q.isEmpty(); q = LayerPaths.parent(q)) {
        assertThat(part.stat(q).map(LayerEntry::toString)).as(q).isEqualTo(all.stat(q).map(LayerEntry::toString));
      }
    }
    assertThat(read(part, "gone")).isEqualTo("G2");
    // a symbolic link on the way, or a path that is not clean: only the whole stack can tell
    assertThat(LayerStack.ofPaths(blobs, none, List.of("lib/a.so"))).isEmpty();
    assertThat(LayerStack.ofPaths(blobs, none, List.of("abs"))).isEmpty();
    assertThat(LayerStack.ofPaths(blobs, none, List.of("d/../gone"))).isEmpty();
  }
}
