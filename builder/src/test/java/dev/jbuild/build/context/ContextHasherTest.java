package dev.jbuild.build.context;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.jbuild.oci.Digest;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ContextHasherTest {

  @TempDir Path ctx;
  @TempDir Path root;

  private Path write(String rel, String content) throws IOException {
    Path p = ctx.resolve(rel);
    Files.createDirectories(p.getParent());
    Files.writeString(p, content);
    return p;
  }

  /** Moves every mtime an hour back, out of the racy window of a fresh write. */
  private void age() throws IOException {
    FileTime past = FileTime.from(Instant.now().minus(Duration.ofHours(1)));
    try (Stream<Path> s = Files.walk(ctx)) {
      for (Path p : (Iterable<Path>) s::iterator) {
        if (!Files.isSymbolicLink(p)) {
          Files.setLastModifiedTime(p, past);
        }
      }
    }
  }

  private BuildContext open() {
    return BuildContext.ofDirectory(ctx, null, root);
  }

  private static Digest selection(BuildContext c, String source) {
    SourceMatch m = c.resolve(source).get(0);
    return c.hasher().selectionDigest(c.walk(m, null, null));
  }

  @Test
  void contentDigestIsTheSha256OfTheFile() throws IOException {
    write("a.txt", "hello\n");
    try (BuildContext c = open()) {
      ContextEntry e = c.walk(c.resolve("a.txt").get(0), null, null).get(0);
      assertThat(c.hasher().contentDigest(e))
          .isEqualTo(Digest.of("hello\n".getBytes(StandardCharsets.UTF_8)));
      assertThatThrownBy(() -> c.hasher().contentDigest(c.walk(c.resolve(".").get(0), null, null).get(0)))
          .isInstanceOf(IllegalArgumentException.class);
    }
  }

  @Test
  void secondBuildOfAnUnchangedContextReadsNoFile() throws IOException {
    for (int i = 0; i < 50; i++) {
      write("src/f" + i + ".txt", "content " + i);
    }
    write(".dockerignore", "src/f1*\n");
    age();
    Digest first;
    try (BuildContext c = open()) {
      first = selection(c, ".");
      assertThat(c.hasher().filesRead()).isEqualTo(50 - 11 + 1); // f1, f10..f19 ignored; + .dockerignore
      assertThat(c.hasher().cacheHits()).isZero();
    }
    assertThat(BuildContext.statCacheFile(root, ctx.toRealPath())).exists();
    try (BuildContext c = open()) {
      assertThat(selection(c, ".")).isEqualTo(first);
      assertThat(c.hasher().filesRead()).isZero();
      assertThat(c.hasher().cacheHits()).isEqualTo(40);
    }
    // one changed file is read again, and only that one
    write("src/f2.txt", "changed");
    Files.setLastModifiedTime(ctx.resolve("src/f2.txt"), FileTime.from(Instant.now().minus(Duration.ofHours(2))));
    try (BuildContext c = open()) {
      assertThat(selection(c, ".")).isNotEqualTo(first);
      assertThat(c.hasher().filesRead()).isEqualTo(1);
    }
  }

  @Test
  void aFileJustWrittenIsRehashedNextTime() throws IOException {
    write("fresh.txt", "x");
    try (BuildContext c = open()) {
      selection(c, ".");
      assertThat(c.hasher().filesRead()).isEqualTo(1);
    }
    try (BuildContext c = open()) {
      selection(c, ".");
      assertThat(c.hasher().filesRead()).as("racy entry is not trusted").isEqualTo(1);
    }
  }

  /**
   * The selection digest is part of every COPY cache key: its bytes are pinned to the
   * field-by-field definition (tag, then per entry path, type, mode, size, link target and
   * content digest), so a faster implementation cannot silently invalidate or alias keys.
   */
  @Test
  void selectionDigestKeepsItsFieldByFieldDefinition() throws IOException {
    write("a.txt", "alpha");
    write("dir/b.bin", "x".repeat(200_000));
    write("dir/\u00e9t\u00e9/" + "long".repeat(30) + ".txt", "utf-8 name");
    Files.createSymbolicLink(ctx.resolve("dir/link"), Path.of("../a.txt"));
    for (int i = 0; i < 3000; i++) {
      write("many/f" + i, "v" + i); // more than one buffer of fields
    }
    try (BuildContext c = open()) {
      List<ContextEntry> entries = c.walk(c.resolve(".").get(0), null, null);
      java.security.MessageDigest md = Digest.newSha256();
      md.update("jbuild context selection v1\n".getBytes(StandardCharsets.UTF_8));
      for (ContextEntry e : entries) {
        fieldString(md, e.path());
        md.update((byte) e.type().ordinal());
        fieldNumber(md, e.mode());
        fieldNumber(md, e.size());
        fieldString(md, e.linkTarget() == null ? "" : e.linkTarget());
        fieldString(
            md,
            e.type() == EntryType.FILE
                ? Digest.of(Files.readAllBytes(e.file())).toString()
                : "");
      }
      assertThat(c.hasher().selectionDigest(entries)).isEqualTo(Digest.sha256(md.digest()));
    }
  }

  private static void fieldString(java.security.MessageDigest md, String s) {
    byte[] bytes = s.getBytes(StandardCharsets.UTF_8);
    fieldNumber(md, bytes.length);
    md.update(bytes);
  }

  private static void fieldNumber(java.security.MessageDigest md, long v) {
    for (int i = 56; i >= 0; i -= 8) {
      md.update((byte) (v >>> i));
    }
  }

  @Test
  void selectionDigestIgnoresMtimeButNotModeNameOrLinks() throws IOException {
    Path f = write("d/a.txt", "a");
    write("d/b.txt", "b");
    Digest base;
    try (BuildContext c = open()) {
      base = selection(c, "d");
    }
    Files.setLastModifiedTime(f, FileTime.from(Instant.parse("2001-01-01T00:00:00Z")));
    try (BuildContext c = open()) {
      assertThat(selection(c, "d")).isEqualTo(base);
    }
    Files.setPosixFilePermissions(f, PosixFilePermissions.fromString("rwx------"));
    Digest modeChanged;
    try (BuildContext c = open()) {
      modeChanged = selection(c, "d");
      assertThat(modeChanged).isNotEqualTo(base);
    }
    Files.move(ctx.resolve("d/b.txt"), ctx.resolve("d/c.txt"));
    try (BuildContext c = open()) {
      assertThat(selection(c, "d")).isNotEqualTo(modeChanged);
    }
    Files.createSymbolicLink(ctx.resolve("d/l"), Path.of("a.txt"));
    Digest withLink;
    try (BuildContext c = open()) {
      withLink = selection(c, "d");
    }
    Files.delete(ctx.resolve("d/l"));
    Files.createSymbolicLink(ctx.resolve("d/l"), Path.of("c.txt"));
    try (BuildContext c = open()) {
      assertThat(selection(c, "d")).isNotEqualTo(withLink);
    }
  }

  private interface Change {
    void apply() throws IOException;
  }

  /**
   * A remembered selection digest stands only for the exact stats it was taken under: after
   * each kind of change the digest is the one a context without any cache computes, and it is
   * remembered again for the next build.
   */
  @Test
  void aRememberedSelectionIsExactlyTheComputedOne() throws IOException {
    Path a = write("d/a.txt", "alpha");
    Path b = write("d/b.txt", "beta");
    write("d/sub/c.txt", "gamma");
    Files.createSymbolicLink(ctx.resolve("d/l"), Path.of("a.txt"));
    FileTime old = FileTime.from(Instant.parse("2001-01-01T00:00:00Z"));
    Map<String, Change> changes = new LinkedHashMap<>();
    changes.put("nothing", () -> {});
    changes.put("content, same size and mtime", () -> {
      FileTime t = Files.getLastModifiedTime(a);
      Files.writeString(a, "ALPHA");
      Files.setLastModifiedTime(a, t);
    });
    changes.put("mode", () -> Files.setPosixFilePermissions(a, PosixFilePermissions.fromString("rwx------")));
    changes.put("mtime only", () -> Files.setLastModifiedTime(b, old));
    changes.put("file added", () -> write("d/sub/new.txt", "n"));
    changes.put("file removed", () -> Files.delete(ctx.resolve("d/sub/new.txt")));
    changes.put("link target", () -> {
      Files.delete(ctx.resolve("d/l"));
      Files.createSymbolicLink(ctx.resolve("d/l"), Path.of("b.txt"));
    });
    changes.put("rename", () -> Files.move(b, ctx.resolve("d/b2.txt")));
    changes.put(".dockerignore", () -> write(".dockerignore", "d/sub\n"));
    for (Map.Entry<String, Change> change : changes.entrySet()) {
      age();
      Digest before;
      try (BuildContext c = open()) {
        before = selection(c, "d"); // remembered: nothing is in the racy window
      }
      try (BuildContext c = open()) {
        assertThat(selection(c, "d")).isEqualTo(before);
        assertThat(c.hasher().selectionHits()).as(change.getKey()).isEqualTo(1);
        assertThat(c.hasher().filesRead()).isZero();
        long files =
            c.walk(c.resolve("d").get(0), null, null).stream()
                .filter(e -> e.type() == EntryType.FILE)
                .count();
        assertThat(c.hasher().cacheHits()).as("its files count as hits").isEqualTo(files);
      }
      change.getValue().apply();
      Digest computed;
      try (BuildContext c = BuildContext.ofDirectory(ctx, null, null)) {
        computed = selection(c, "d");
      }
      assertThat(computed.equals(before))
          .as(change.getKey())
          .isEqualTo(change.getKey().equals("nothing") || change.getKey().equals("mtime only"));
      try (BuildContext c = open()) {
        assertThat(selection(c, "d")).as(change.getKey()).isEqualTo(computed);
        assertThat(c.hasher().selectionHits())
            .as(change.getKey())
            .isEqualTo(change.getKey().equals("nothing") ? 1 : 0);
      }
    }
  }

  /** A selection this large is fingerprinted in two halves: a change in either is seen. */
  @Test
  void aLargeRememberedSelectionSeesAChangeInEitherHalf() throws IOException {
    int files = ContextHasher.LARGE_SELECTION + 100;
    for (int i = 0; i < files; i++) {
      write(String.format("d/f%05d", i), "content " + i);
    }
    for (int changed : new int[] {10, files - 10}) {
      age();
      Digest before;
      try (BuildContext c = open()) {
        before = selection(c, "d");
      }
      try (BuildContext c = open()) {
        assertThat(selection(c, "d")).isEqualTo(before);
        assertThat(c.hasher().selectionHits()).isEqualTo(1);
      }
      Path f = ctx.resolve(String.format("d/f%05d", changed));
      FileTime t = Files.getLastModifiedTime(f);
      Files.writeString(f, Files.readString(f).toUpperCase(java.util.Locale.ROOT));
      Files.setLastModifiedTime(f, t);
      Digest computed;
      try (BuildContext c = BuildContext.ofDirectory(ctx, null, null)) {
        computed = selection(c, "d");
      }
      assertThat(computed).isNotEqualTo(before);
      try (BuildContext c = open()) {
        assertThat(selection(c, "d")).as("file %d changed", changed).isEqualTo(computed);
        assertThat(c.hasher().selectionHits()).isZero();
      }
    }
  }

  @Test
  void aSelectionWithAFileJustWrittenIsNotRemembered() throws IOException {
    write("a.txt", "a");
    age();
    write("b.txt", "b");
    try (BuildContext c = open()) {
      selection(c, ".");
    }
    try (BuildContext c = open()) {
      selection(c, ".");
      assertThat(c.hasher().selectionHits()).isZero();
      assertThat(c.hasher().filesRead()).isEqualTo(1); // b.txt, still racy
    }
  }

  /** Permission bits do not stop root: those tests only mean something unprivileged. */
  static boolean runningAsRoot(Path someNewFile) throws IOException {
    return ((Integer) Files.getAttribute(someNewFile, "unix:uid")) == 0;
  }

  @Test
  @Tag("unprivileged")
  void unreadableFileIsAClearError() throws IOException {
    Path f = write("locked.txt", "x");
    Assumptions.assumeFalse(runningAsRoot(f), "running as root");
    Files.setPosixFilePermissions(f, PosixFilePermissions.fromString("---------"));
    try (BuildContext c = open()) {
      assertThatThrownBy(() -> selection(c, "locked.txt"))
          .isInstanceOf(ContextException.class)
          .hasMessage("cannot read \"/locked.txt\" from the build context: permission denied");
    } finally {
      Files.setPosixFilePermissions(f, PosixFilePermissions.fromString("rw-------"));
    }
  }

  @Test
  void corruptCacheFileIsIgnored() throws IOException {
    write("a.txt", "a");
    age();
    try (BuildContext c = open()) {
      selection(c, ".");
    }
    Path cacheFile = BuildContext.statCacheFile(root, ctx.toRealPath());
    byte[] bytes = Files.readAllBytes(cacheFile);
    bytes[bytes.length / 2] ^= 0x5a;
    Files.write(cacheFile, bytes);
    try (BuildContext c = open()) {
      selection(c, ".");
      assertThat(c.hasher().filesRead()).isEqualTo(1);
    }
    Files.write(cacheFile, new byte[] {1, 2, 3});
    try (BuildContext c = open()) {
      selection(c, ".");
      assertThat(c.hasher().filesRead()).isEqualTo(1);
    }
    try (BuildContext c = open()) {
      selection(c, ".");
      assertThat(c.hasher().filesRead()).isZero();
    }
  }

  @Test
  void concurrentBuildsNeverCorruptTheCache() throws Exception {
    for (int i = 0; i < 200; i++) {
      write("f" + i, "content " + i);
    }
    age();
    ExecutorService pool = Executors.newFixedThreadPool(4);
    try {
      List<Future<Digest>> results = new ArrayList<>();
      for (int i = 0; i < 8; i++) {
        results.add(
            pool.submit(
                () -> {
                  try (BuildContext c = open()) {
                    return selection(c, ".");
                  }
                }));
      }
      Digest expected = results.get(0).get();
      for (Future<Digest> r : results) {
        assertThat(r.get()).isEqualTo(expected);
      }
    } finally {
      pool.shutdownNow();
    }
    try (Stream<Path> s = Files.list(BuildContext.statCacheFile(root, ctx.toRealPath()).getParent())) {
      assertThat(s).hasSize(1); // no temp files left
    }
    try (BuildContext c = open()) {
      selection(c, ".");
      assertThat(c.hasher().filesRead()).isZero();
    }
  }

  @Test
  @Tag("unprivileged")
  void readOnlyRootDoesNotFailTheBuild() throws IOException {
    Assumptions.assumeFalse(runningAsRoot(write("a.txt", "a")), "running as root");
    Files.setPosixFilePermissions(root, PosixFilePermissions.fromString("r-x------"));
    try (BuildContext c = open()) {
      selection(c, ".");
    } finally {
      Files.setPosixFilePermissions(root, PosixFilePermissions.fromString("rwx------"));
    }
  }
}
