package dev.jbuild.layer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Function;
import java.util.stream.Stream;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Crafted archives of the known extraction-escape classes (CVE-2018-15664/-1002100 style
 * traversal, symlink and hard-link escapes, whiteout tricks, header bombs). Each is applied in
 * both forms next to a sentinel directory, which must come out byte for byte unchanged.
 */
class HostileLayerTest {
  @TempDir Path tmp;

  enum Expect { REJECT, APPLY, EITHER }

  /** One crafted archive; {@code out} is the sentinel's absolute path. */
  record Case(String name, Expect expect, Function<String, byte[]> tar) {
    @Override
    public String toString() {
      return name;
    }
  }

  static List<Case> cases() {
    List<Case> c = new ArrayList<>();
    c.add(new Case("dot-dot file", Expect.REJECT, out -> new RawTar().file("../outside/pwned", "x").build()));
    c.add(new Case("deep dot-dot", Expect.REJECT, out -> new RawTar().file("a/../../../../../../outside/pwned", "x").build()));
    c.add(new Case("dot-dot directory entry", Expect.REJECT, out -> new RawTar().dir("../").build()));
    c.add(new Case("absolute path to the sentinel", Expect.APPLY, out -> new RawTar().file(out + "/pwned", "x").build()));
    c.add(new Case("absolute path overwriting sentinel file", Expect.APPLY, out -> new RawTar().file(out + "/keep", "pwned").build()));
    c.add(new Case("symlink parent, absolute target", Expect.APPLY,
        out -> new RawTar().symlink("evil", out).file("evil/pwned", "x").build()));
    c.add(new Case("symlink parent, relative target", Expect.APPLY,
        out -> new RawTar().symlink("evil", "../outside").file("evil/pwned", "x").build()));
    c.add(new Case("symlink parent, deep relative target", Expect.APPLY,
        out -> new RawTar().dir("a/").dir("a/b/").symlink("a/b/evil", "../../../../../outside").file("a/b/evil/pwned", "x").build()));
    c.add(new Case("symlink chain out", Expect.APPLY,
        out -> new RawTar().symlink("a", "b").symlink("b", out).file("a/pwned", "x").build()));
    c.add(new Case("symlink then file through it", Expect.APPLY,
        out -> new RawTar().symlink("evil", out + "/keep").file("evil", "pwned").build()));
    c.add(new Case("symlink to dir then file into it via dot-dot", Expect.REJECT,
        out -> new RawTar().symlink("evil", out).file("evil/../../outside/pwned", "x").build()));
    c.add(new Case("hard link to outside, relative", Expect.REJECT,
        out -> new RawTar().hardlink("h", "../outside/keep").build()));
    c.add(new Case("hard link to absolute path", Expect.REJECT,
        out -> new RawTar().hardlink("h", out + "/keep").file("h", "pwned").build()));
    c.add(new Case("hard link through a symlinked parent", Expect.REJECT,
        out -> new RawTar().symlink("s", out).hardlink("h", "s/keep").build()));
    c.add(new Case("hard link to a symlink pointing out, then written", Expect.APPLY,
        out -> new RawTar().symlink("s", out + "/keep").hardlink("h", "s").file("h", "pwned").build()));
    c.add(new Case("hard link to a symlink pointing out, then written through as parent", Expect.APPLY,
        out -> new RawTar().symlink("s", out).hardlink("h", "s").file("h/pwned", "x").build()));
    c.add(new Case("whiteout named .wh...", Expect.REJECT, out -> new RawTar().file(".wh...", "").build()));
    c.add(new Case("whiteout named .wh..", Expect.REJECT, out -> new RawTar().file("a/.wh..", "").build()));
    c.add(new Case("whiteout of the root", Expect.REJECT, out -> new RawTar().file(".wh.", "").build()));
    c.add(new Case("whiteout climbing out", Expect.REJECT, out -> new RawTar().file("../.wh.outside", "").build()));
    c.add(new Case("whiteout through symlinked parent, absolute", Expect.APPLY,
        out -> new RawTar().symlink("evil", out).file("evil/.wh.keep", "").build()));
    c.add(new Case("whiteout through symlinked parent, relative", Expect.APPLY,
        out -> new RawTar().symlink("evil", "../outside").file("evil/.wh.keep", "").build()));
    c.add(new Case("whiteout of a symlink to the sentinel", Expect.APPLY,
        out -> new RawTar().symlink("evil", out).build()));
    c.add(new Case("opaque marker through symlinked parent", Expect.APPLY,
        out -> new RawTar().symlink("evil", out).file("evil/.wh..wh..opq", "").build()));
    c.add(new Case("opaque marker above the root", Expect.REJECT, out -> new RawTar().file("../.wh..wh..opq", "").build()));
    c.add(new Case("opaque marker at the root", Expect.APPLY, out -> new RawTar().file(".wh..wh..opq", "").build()));
    c.add(new Case("symlink replaced by a directory, then written through", Expect.APPLY,
        out -> new RawTar().symlink("d", out).dir("d/").file("d/pwned", "x").build()));
    c.add(new Case("directory replaced by symlink, then written through", Expect.APPLY,
        out -> new RawTar().dir("d/").symlink("d", out).file("d/pwned", "x").build()));
    c.add(new Case("symlink loop", Expect.REJECT, out -> new RawTar().symlink("a", "b").symlink("b", "a").file("a/x", "x").build()));
    c.add(new Case("character device", Expect.APPLY, out -> new RawTar().device("null", '3', 1, 3).build()));
    c.add(new Case("block device of the host disk", Expect.APPLY, out -> new RawTar().device("disk", '4', 8, 0).build()));
    c.add(new Case("oversized PAX header", Expect.REJECT,
        out -> new RawTar().pax(Map.of("comment", new byte[2 << 20])).file("f", "x").build()));
    c.add(new Case("PAX path with NUL", Expect.REJECT,
        out -> new RawTar().pax(Map.of("path", "ok\0/../../outside/pwned".getBytes(StandardCharsets.UTF_8))).file("f", "x").build()));
    c.add(new Case("PAX path climbing out", Expect.REJECT,
        out -> new RawTar().pax(Map.of("path", "../outside/pwned".getBytes(StandardCharsets.UTF_8))).file("harmless", "x").build()));
    c.add(new Case("PAX linkpath of hard link climbing out", Expect.REJECT,
        out -> new RawTar().pax(Map.of("linkpath", "../../outside/keep".getBytes(StandardCharsets.UTF_8))).hardlink("h", "x").build()));
    c.add(new Case("GNU long name climbing out", Expect.REJECT,
        out -> new RawTar().entry("././@LongLink", 'L', "../outside/pwned\0".getBytes(StandardCharsets.UTF_8), "").file("short", "x").build()));
    c.add(new Case("malformed PAX record", Expect.REJECT,
        out -> new RawTar().entry("PaxHeader", 'x', "99999 path=x\n".getBytes(StandardCharsets.UTF_8), "").file("f", "x").build()));
    c.add(new Case("ustar name with NUL", Expect.APPLY,
        out -> new RawTar().file("safe\0../../outside/pwned", "x").build()));
    c.add(new Case("size claims more than the archive holds", Expect.REJECT,
        out -> new RawTar().header("f".getBytes(StandardCharsets.US_ASCII), '0', 1L << 33, "", 0644, 0, 0).raw(new byte[1024]).build()));
    c.add(new Case("file where a parent should be", Expect.REJECT,
        out -> new RawTar().file("f", "x").file("f/g", "y").build()));
    c.add(new Case("unknown entry type", Expect.REJECT, out -> new RawTar().entry("v", 'V', new byte[0], "").build()));
    c.add(new Case("sparse entry", Expect.REJECT, out -> new RawTar().entry("s", 'S', new byte[0], "").build()));
    c.add(new Case("fifo over a symlink pointing out", Expect.APPLY,
        out -> new RawTar().symlink("p", out + "/keep").entry("p", '6', new byte[0], "").build()));
    return c;
  }

  static Stream<Arguments> casesInBothForms() {
    return cases().stream().flatMap(c -> Stream.of(
        Arguments.of(c, LayerApplier.Form.FLATTENED), Arguments.of(c, LayerApplier.Form.OVERLAY_LOWER)));
  }

  @ParameterizedTest(name = "{0} ({1})")
  @MethodSource("casesInBothForms")
  void nothingOutsideTheTargetChanges(Case c, LayerApplier.Form form) throws Exception {
    Path outside = Files.createDirectory(tmp.resolve("outside"));
    Files.writeString(outside.resolve("keep"), "keep");
    Files.createDirectory(outside.resolve("sub"));
    Files.writeString(outside.resolve("sub/inner"), "inner");
    Path target = Files.createDirectory(tmp.resolve("target"));
    Map<String, String> before = snapshot(tmp);
    byte[] tar = c.tar().apply(outside.toString());
    LayerApplier applier = new LayerApplier(new LayerApplier.Options(form,
        Whiteouts.USER_OVERLAY_OPAQUE, false, true));

    if (c.expect() == Expect.REJECT) {
      assertThatThrownBy(() -> applier.apply(new ByteArrayInputStream(tar), target))
          .isInstanceOf(IOException.class);
    } else {
      try {
        ApplyResult r = applier.apply(new ByteArrayInputStream(tar), target);
        if (c.name().contains("device")) {
          assertThat(r.devicesSkipped()).isEqualTo(1);
        }
      } catch (IOException e) {
        if (c.expect() == Expect.APPLY) {
          throw e;
        }
      }
    }

    Map<String, String> after = snapshot(tmp);
    assertThat(after).as("outside the target").isEqualTo(before);
    try (Stream<Path> s = Files.walk(target)) {
      s.forEach(p -> assertThat(isDevice(p)).as("device %s", p).isFalse());
    }
  }

  private static boolean isDevice(Path p) {
    try {
      int mode = (Integer) Files.getAttribute(p, "unix:mode", LinkOption.NOFOLLOW_LINKS);
      int fmt = mode & Posix.S_IFMT;
      long rdev = (Long) Files.getAttribute(p, "unix:rdev", LinkOption.NOFOLLOW_LINKS);
      return (fmt == Posix.S_IFBLK || fmt == Posix.S_IFCHR) && rdev != 0; // 0/0 is a whiteout
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  /** Path → type, mode, link count, mtime and content of everything beside the target. */
  static Map<String, String> snapshot(Path root) throws IOException {
    Map<String, String> m = new TreeMap<>();
    Path target = root.resolve("target");
    Files.walkFileTree(root, new java.nio.file.SimpleFileVisitor<>() {
      @Override
      public java.nio.file.FileVisitResult preVisitDirectory(Path dir,
          java.nio.file.attribute.BasicFileAttributes attrs) throws IOException {
        if (dir.equals(target)) {
          return java.nio.file.FileVisitResult.SKIP_SUBTREE; // the layer's own business
        }
        record(dir);
        return java.nio.file.FileVisitResult.CONTINUE;
      }

      @Override
      public java.nio.file.FileVisitResult visitFile(Path p,
          java.nio.file.attribute.BasicFileAttributes attrs) throws IOException {
        record(p);
        return java.nio.file.FileVisitResult.CONTINUE;
      }

      private void record(Path p) throws IOException {
        Map<String, Object> a = Files.readAttributes(p, "unix:mode,nlink,lastModifiedTime,size",
            LinkOption.NOFOLLOW_LINKS);
        String content = Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS) ? Files.readString(p)
            : Files.isSymbolicLink(p) ? "-> " + Files.readSymbolicLink(p) : "";
        m.put(root.relativize(p).toString(), a.get("mode") + " " + a.get("nlink") + " "
            + a.get("lastModifiedTime") + " " + a.get("size") + " " + content);
      }
    });
    return m;
  }
}
