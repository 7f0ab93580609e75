package dev.jbuild.build.context;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.jbuild.build.TempTrees;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BuildContextTest {

  @TempDir Path ctx;

  /** Removes the test's links first, so that JUnit's cleanup never meets a link to /etc. */
  @AfterEach
  void removeLinks() throws IOException {
    try (Stream<Path> s = Files.walk(ctx)) {
      for (Path p : s.filter(Files::isSymbolicLink).collect(Collectors.toList())) {
        Files.delete(p);
      }
    }
  }

  private Path write(String rel, String content) throws IOException {
    Path p = ctx.resolve(rel);
    Files.createDirectories(p.getParent());
    Files.writeString(p, content);
    return p;
  }

  private void link(String rel, String target) throws IOException {
    Path p = ctx.resolve(rel);
    Files.createDirectories(p.getParent());
    Files.createSymbolicLink(p, Path.of(target));
  }

  private BuildContext open() {
    return BuildContext.ofDirectory(ctx, null, null);
  }

  private static List<String> paths(List<ContextEntry> entries) {
    return entries.stream().map(ContextEntry::path).collect(Collectors.toList());
  }

  private static List<String> matched(List<SourceMatch> matches) {
    return matches.stream().map(SourceMatch::path).collect(Collectors.toList());
  }

  /** Directories are read by several threads at once: every walk still sees one snapshot. */
  @Test
  void concurrentWalksSeeWhatOneWalkSees() throws Exception {
    write(".dockerignore", "build\n**/*.tmp\nlogs\n!logs/keep/**\n");
    for (int d = 0; d < 20; d++) {
      for (int f = 0; f < 10; f++) {
        write("src/m" + d + "/p" + (f % 3) + "/F" + f + (f % 4 == 0 ? ".tmp" : ".java"), "x");
      }
      write("build/out" + d + "/a.class", "c");
      write("logs/l" + d + ".log", "l");
    }
    write("logs/keep/a/kept.log", "k");
    link("src/m0/up", "..");
    List<String> expected;
    try (BuildContext one = open()) {
      expected = paths(one.walk(one.resolve(".").get(0), null, null));
    }
    assertThat(expected)
        .contains("logs", "logs/keep/a/kept.log", "src/m3/p1/F1.java", "src/m0/up")
        .noneMatch(p -> p.startsWith("build") || p.endsWith(".tmp") || p.endsWith("l1.log"));
    for (int round = 0; round < 5; round++) {
      try (BuildContext c = open()) {
        java.util.concurrent.ExecutorService pool =
            java.util.concurrent.Executors.newFixedThreadPool(4);
        try {
          List<java.util.concurrent.Future<List<String>>> walks = new java.util.ArrayList<>();
          for (int t = 0; t < 4; t++) {
            String source = t % 2 == 0 ? "." : "src/m" + t;
            walks.add(pool.submit(() -> paths(c.walk(c.resolve(source).get(0), null, null))));
          }
          for (int t = 0; t < 4; t++) {
            List<String> got = walks.get(t).get();
            if (t % 2 == 0) {
              assertThat(got).isEqualTo(expected);
            } else {
              String prefix = "src/m" + t + "/";
              List<String> sub = new java.util.ArrayList<>(List.of(""));
              expected.stream()
                  .filter(p -> p.startsWith(prefix))
                  .forEach(p -> sub.add(p.substring(prefix.length())));
              assertThat(got).isEqualTo(sub);
            }
          }
        } finally {
          pool.shutdownNow();
        }
      }
    }
  }

  @Test
  void sourcesAreClampedAndNormalised() throws IOException {
    write("x/a.txt", "a");
    try (BuildContext c = open()) {
      for (String s : List.of("x", "/x", "../x", "../../x/", "x/.", "./x", "x//")) {
        List<SourceMatch> m = c.resolve(s);
        assertThat(m).as(s).hasSize(1);
        assertThat(m.get(0).path()).as(s).isEqualTo("x");
        assertThat(m.get(0).isDirectory()).isTrue();
        assertThat(m.get(0).source()).isEqualTo(s);
      }
      assertThat(c.resolve(".").get(0).path()).isEmpty();
      assertThat(c.resolve("/").get(0).isDirectory()).isTrue();
      assertThat(c.resolve("x/a.txt").get(0).name()).isEqualTo("a.txt");
    }
  }

  @Test
  void missingLiteralIsAnErrorButAnEmptyWildcardIsNot() throws IOException {
    write("a.txt", "a");
    try (BuildContext c = open()) {
      assertThatThrownBy(() -> c.resolve("nope.txt"))
          .isInstanceOf(ContextException.class)
          .hasMessage("\"/nope.txt\": not found");
      assertThatThrownBy(() -> c.resolve("../dir/nope"))
          .hasMessage("\"/dir/nope\": not found");
      assertThat(c.resolve("*.jar")).isEmpty();
      assertThat(c.resolve("missing-dir/*.jar")).isEmpty();
      assertThat(c.resolve("a.txt/*")).isEmpty();
      assertThatThrownBy(() -> c.resolve("a.txt/b")).hasMessage("\"/a.txt/b\": not found");
      assertThatThrownBy(() -> c.resolve("src/[")).isInstanceOf(BadPatternException.class);
    }
  }

  @Test
  void wildcardsMatchPerSegmentInWalkOrder() throws IOException {
    write("src/b/a1.txt", "1");
    write("src/a/a2.txt", "2");
    write("src/a/b.txt", "3");
    write("src/a/deep/a3.txt", "4");
    write("src/c.txt", "5");
    write("src/.hidden", "6");
    write("x[1]", "7");
    write("a*b", "8");
    try (BuildContext c = open()) {
      assertThat(matched(c.resolve("src/*/a*.txt"))).containsExactly("src/a/a2.txt", "src/b/a1.txt");
      assertThat(matched(c.resolve("src/*"))).containsExactly("src/.hidden", "src/a", "src/b", "src/c.txt");
      assertThat(matched(c.resolve("src/?.txt"))).containsExactly("src/c.txt");
      assertThat(matched(c.resolve("src/[ab]"))).containsExactly("src/a", "src/b");
      assertThat(matched(c.resolve("src/[^ab]*"))).containsExactly("src/.hidden", "src/c.txt");
      // ** is only special with --parents: here it is two stars, one segment
      assertThat(matched(c.resolve("**/*.txt"))).containsExactly("src/c.txt");
      assertThat(matched(c.resolve("x\\[1]*"))).containsExactly("x[1]");
      assertThat(matched(c.resolve("a\\*b*"))).containsExactly("a*b");
    }
  }

  /**
   * A walk lists each directory in the UTF-8 byte order of the names (Go's), which parts from
   * UTF-16 order where a surrogate pair meets a char above the surrogates: an emoji (U+1F600,
   * F0 in UTF-8) sorts after U+FFFD (EF BF BD), though its first UTF-16 char (D83D) is below.
   */
  @Test
  void walkOrderIsUtf8ByteOrderEvenWhereUtf16Differs() throws IOException {
    for (String name : new String[] {"\ud83d\ude00", "\ufffd", "z", "\u00e9", "A", "a"}) {
      write("d/" + name, name);
      write("ascii/" + (name.length() == 1 && name.charAt(0) < 0x80 ? name : "x" + (int) name.charAt(0)), "1");
    }
    try (BuildContext c = open()) {
      assertThat(paths(c.walk(c.resolve("d").get(0), null, null)))
          .containsExactly("", "A", "a", "z", "\u00e9", "\ufffd", "\ud83d\ude00");
      assertThat(paths(c.walk(c.resolve("ascii").get(0), null, null)))
          .containsExactly("", "A", "a", "x233", "x55357", "x65533", "z");
    }
  }

  @Test
  void symlinksAreFollowedButNeverLeaveTheContext() throws IOException {
    write("etc/passwd", "inside");
    write("real/f.txt", "f");
    link("abs", "/etc");
    link("up", "../../");
    link("pw", "../../etc/passwd");
    link("dirlink", "real");
    link("loop", "loop");
    link("outside", "/definitely/not/here");
    try (BuildContext c = open()) {
      SourceMatch abs = c.resolve("abs/passwd").get(0);
      assertThat(abs.resolved()).isEqualTo("etc/passwd");
      assertThat(c.resolve("up").get(0).resolved()).isEmpty();
      assertThat(c.resolve("up").get(0).isDirectory()).isTrue();
      assertThat(c.resolve("pw").get(0).resolved()).isEqualTo("etc/passwd");
      SourceMatch dir = c.resolve("dirlink").get(0);
      assertThat(dir.path()).isEqualTo("dirlink");
      assertThat(dir.resolved()).isEqualTo("real");
      assertThat(paths(c.walk(dir, null, null))).containsExactly("", "f.txt");
      assertThatThrownBy(() -> c.resolve("outside")).hasMessage("\"/outside\": not found");
      assertThatThrownBy(() -> c.resolve("loop")).hasMessageContaining("too many levels");
      assertThatThrownBy(() -> c.resolve("outs*"))
          .hasMessageContaining("not in the build context");
      // a wildcard match that is a link is followed too
      assertThat(c.resolve("dirl*").get(0).resolved()).isEqualTo("real");
      // inside a walked directory, links are entries with their target, never followed
      List<ContextEntry> all = c.walk(c.resolve(".").get(0), null, null);
      ContextEntry up =
          all.stream().filter(e -> e.path().equals("up")).findFirst().orElseThrow();
      assertThat(up.type()).isEqualTo(EntryType.SYMLINK);
      assertThat(up.linkTarget()).isEqualTo("../..");
    }
  }

  @Test
  void symlinkToTheRealEtcIsNotFollowedOutOfTheContext() throws IOException {
    link("x", "/etc");
    try (BuildContext c = open()) {
      assertThatThrownBy(() -> c.resolve("x")).hasMessage("\"/x\": not found");
      assertThatThrownBy(() -> c.resolve("x/passwd")).hasMessage("\"/x/passwd\": not found");
      assertThat(c.resolve("x/*")).isEmpty();
    }
  }

  @Test
  void ignoredFilesAreInvisible() throws IOException {
    write(".dockerignore", "secret.txt\nlogs\n*.tmp\n");
    write("secret.txt", "s");
    write("logs/a.log", "l");
    write("keep.txt", "k");
    write("b.tmp", "t");
    link("to-secret", "secret.txt");
    try (BuildContext c = open()) {
      assertThatThrownBy(() -> c.resolve("secret.txt"))
          .hasMessage("\"/secret.txt\": not found (it is excluded by .dockerignore)");
      assertThatThrownBy(() -> c.resolve("logs/a.log")).hasMessageStartingWith("\"/logs/a.log\": not found");
      assertThatThrownBy(() -> c.resolve("to-secret")).hasMessage("\"/to-secret\": not found");
      // as in BuildKit, the link is in the context but its ignored target is not
      assertThatThrownBy(() -> c.resolve("*")).hasMessageContaining("\"/to-secret\": not found");
      assertThat(matched(c.resolve("*.txt"))).containsExactly("keep.txt");
      assertThat(paths(c.walk(c.resolve(".").get(0), null, null)))
          .containsExactly("", ".dockerignore", "keep.txt", "to-secret");
    }
  }

  @Test
  void exceptionsReincludeInsideExcludedDirectories() throws IOException {
    write(".dockerignore", "docs\n!docs/README.md\n**/*.bak\n!keep/**/*.bak\n");
    write("docs/README.md", "r");
    write("docs/other.md", "o");
    write("docs/sub/deep.md", "d");
    write("a/x.bak", "x");
    write("keep/y/z.bak", "z");
    try (BuildContext c = open()) {
      SourceMatch docs = c.resolve("docs").get(0);
      assertThat(paths(c.walk(docs, null, null))).containsExactly("", "README.md");
      assertThatThrownBy(() -> c.resolve("docs/other.md")).isInstanceOf(ContextException.class);
      assertThat(paths(c.walk(c.resolve(".").get(0), null, null)))
          .containsExactly(
              "", ".dockerignore", "a", "docs", "docs/README.md", "keep", "keep/y", "keep/y/z.bak");
      assertThat(c.ignorePatterns().hasExclusions()).isTrue();
    }
  }

  @Test
  void excludedDirectoryWithoutReinclusionsIsNotRead() throws IOException {
    write(".dockerignore", "private\n!other/file\n");
    write("private/f", "p");
    write("other/file", "o");
    Path priv = ctx.resolve("private");
    Files.setPosixFilePermissions(priv, PosixFilePermissions.fromString("---------"));
    try (BuildContext c = open()) {
      assertThat(paths(c.walk(c.resolve(".").get(0), null, null)))
          .containsExactly("", ".dockerignore", "other", "other/file");
      assertThat(c.directoriesRead()).as("root and other/, never private/").isEqualTo(2);
    } finally {
      Files.setPosixFilePermissions(priv, PosixFilePermissions.fromString("rwx------"));
    }
  }

  @Test
  void dockerfileSpecificIgnoreFileReplacesTheRootOne() throws IOException {
    write(".dockerignore", "a.txt\n");
    write("build.Dockerfile.dockerignore", "b.txt\n");
    Path dockerfile = write("build.Dockerfile", "FROM scratch\n");
    write("a.txt", "a");
    write("b.txt", "b");
    try (BuildContext c = BuildContext.ofDirectory(ctx, dockerfile, null)) {
      assertThat(c.resolve("a.txt")).hasSize(1);
      assertThatThrownBy(() -> c.resolve("b.txt")).isInstanceOf(ContextException.class);
    }
    try (BuildContext c = BuildContext.ofDirectory(ctx, ctx.resolve("Dockerfile"), null)) {
      assertThat(c.resolve("b.txt")).hasSize(1);
      assertThatThrownBy(() -> c.resolve("a.txt")).isInstanceOf(ContextException.class);
    }
    // a Dockerfile outside the context brings its own ignore file along
    Path elsewhere = Files.createDirectories(ctx.resolve("../elsewhere-" + ctx.getFileName()));
    try {
      Path other = Files.writeString(elsewhere.resolve("Dockerfile"), "FROM scratch\n");
      Files.writeString(elsewhere.resolve("Dockerfile.dockerignore"), "*.txt\n");
      try (BuildContext c = BuildContext.ofDirectory(ctx, other, null)) {
        assertThat(c.resolve("*.txt")).isEmpty();
      }
    } finally {
      TempTrees.deleteQuietly(elsewhere);
    }
  }

  @Test
  void badIgnoreFileNamesTheFile() throws IOException {
    write(".dockerignore", "ok\n!\n");
    assertThatThrownBy(this::open)
        .isInstanceOf(BadPatternException.class)
        .hasMessageContaining(".dockerignore")
        .hasMessageContaining("illegal exclusion pattern: \"!\"");
    write(".dockerignore", "a[\n");
    assertThatThrownBy(this::open).hasMessageContaining("syntax error in pattern");
  }

  @Test
  void walkYieldsSortedEntriesWithMetadataAndRootOwnership() throws IOException {
    Path f = write("d/b.sh", "#!/bin/sh\n");
    Files.setPosixFilePermissions(f, PosixFilePermissions.fromString("rwxr-x---"));
    Files.setLastModifiedTime(f, FileTime.from(Instant.parse("2020-01-02T03:04:05.123456789Z")));
    write("d/a-c/x", "x");
    write("d/a/y", "yy");
    link("d/l", "b.sh");
    Files.createLink(ctx.resolve("d/hard"), f);
    try (BuildContext c = open()) {
      List<ContextEntry> entries = c.walk(c.resolve("d").get(0), null, null);
      assertThat(paths(entries)).containsExactly("", "a", "a/y", "a-c", "a-c/x", "b.sh", "hard", "l");
      ContextEntry sh = entries.get(5);
      assertThat(sh.mode()).isEqualTo(0750);
      assertThat(sh.size()).isEqualTo(10);
      assertThat(sh.mtime()).isIn(
          Instant.parse("2020-01-02T03:04:05.123456789Z"), Instant.parse("2020-01-02T03:04:05Z"));
      assertThat(sh.uid()).isZero();
      assertThat(sh.gid()).isZero();
      assertThat(sh.contextPath()).isEqualTo("d/b.sh");
      assertThat(sh.hardlinkKey()).isNotNull().isEqualTo(entries.get(6).hardlinkKey());
      assertThat(entries.get(7).linkTarget()).isEqualTo("b.sh");
      assertThat(entries.get(0).isDirectory()).isTrue();
      // a file source walks to itself
      List<ContextEntry> one = c.walk(c.resolve("d/l").get(0), null, null);
      assertThat(one).hasSize(1);
      assertThat(one.get(0).type()).isEqualTo(EntryType.FILE);
      assertThat(one.get(0).contextPath()).isEqualTo("d/b.sh");
    }
  }

  @Test
  void excludeIsRelativeToTheSourceRoot() throws IOException {
    write("src/a.png", "1");
    write("src/b.txt", "2");
    write("src/img/c.png", "3");
    write("src/img/keep.png", "4");
    try (BuildContext c = open()) {
      SourceMatch src = c.resolve("src").get(0);
      assertThat(paths(c.walk(src, null, PatternMatcher.compile(List.of("*.png")))))
          .containsExactly("", "b.txt", "img", "img/c.png", "img/keep.png");
      assertThat(paths(c.walk(src, null, PatternMatcher.compile(List.of("**/*.png")))))
          .containsExactly("", "b.txt", "img");
      assertThat(
              paths(c.walk(src, null, PatternMatcher.compile(List.of("img", "!img/keep.png")))))
          .containsExactly("", "a.png", "b.txt", "img", "img/keep.png");
    }
  }

  @Test
  void includePatternsSelectPathsAndTheirParents() throws IOException {
    write("x/a.txt", "1");
    write("x/b.md", "2");
    write("y/a.txt", "3");
    write("y/z/a.txt", "4");
    try (BuildContext c = open()) {
      SourceMatch root = c.resolve("/").get(0);
      assertThat(paths(c.walk(root, PatternMatcher.compile(List.of("x/*.txt")), null)))
          .containsExactly("", "x", "x/a.txt");
      assertThat(paths(c.walk(root, PatternMatcher.compile(List.of("**/a.txt")), null)))
          .containsExactly("", "x", "x/a.txt", "y", "y/a.txt", "y/z", "y/z/a.txt");
      assertThat(paths(c.walk(root, PatternMatcher.compile(List.of("y")), null)))
          .containsExactly("", "y", "y/a.txt", "y/z", "y/z/a.txt");
    }
  }

  @Test
  void parentsPivot() throws IOException {
    write("x/a.txt", "1");
    write("y/a.txt", "2");
    write("test/a/b/c/d/e.txt", "3");
    write("test/a/b/c/f.txt", "4");
    try (BuildContext c = open()) {
      ParentsSelection noPivot = c.resolveParents("./x/a.txt");
      assertThat(matched(noPivot.roots())).containsExactly("");
      assertThat(paths(c.walk(noPivot.roots().get(0), noPivot.include(), null)))
          .containsExactly("", "x", "x/a.txt");
      ParentsSelection pivot = c.resolveParents("/test/a/b/./c/d");
      assertThat(matched(pivot.roots())).containsExactly("test/a/b");
      assertThat(paths(c.walk(pivot.roots().get(0), pivot.include(), null)))
          .containsExactly("", "c", "c/d", "c/d/e.txt");
      ParentsSelection stars = c.resolveParents("test/./**/*.txt");
      assertThat(paths(c.walk(stars.roots().get(0), stars.include(), null)))
          .containsExactly("", "a", "a/b", "a/b/c", "a/b/c/d", "a/b/c/d/e.txt", "a/b/c/f.txt");
      // a trailing /. is no pivot
      assertThat(matched(c.resolveParents("x/.").roots())).containsExactly("");
      assertThatThrownBy(() -> c.resolveParents("nope/./x")).hasMessage("\"/nope\": not found");
    }
  }

  @Test
  void missingContextIsAClearError() {
    assertThatThrownBy(() -> BuildContext.ofDirectory(ctx.resolve("nope"), null, null))
        .isInstanceOf(ContextException.class)
        .hasMessageContaining("does not exist");
  }
}
