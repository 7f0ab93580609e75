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
