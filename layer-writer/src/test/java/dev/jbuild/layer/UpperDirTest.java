package dev.jbuild.layer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** An overlayfs upper dir, made by hand, turned into a layer. */
class UpperDirTest {
  @TempDir Path tmp;

  @Test
  void whiteoutsOpaqueDirsLinksAndXattrsBecomeOciEntries() throws Exception {
    Path upper = Files.createDirectory(tmp.resolve("upper"));
    Path d = Files.createDirectories(upper.resolve("d"));
    Posix.lsetxattr(d, Whiteouts.USER_OVERLAY_OPAQUE, new byte[] {'y'});
    Files.writeString(d.resolve("new"), "n");
    Files.writeString(upper.resolve("a"), "shared");
    Files.createLink(upper.resolve("z"), upper.resolve("a"));
    Posix.lsetxattr(upper.resolve("a"), "user.overlay.origin", new byte[] {0, 1});
    Posix.lsetxattr(upper.resolve("a"), "user.keep", new byte[] {(byte) 0xc3, 0x28});
    Files.createSymbolicLink(upper.resolve("s"), Path.of("a"));
    boolean devices = true;
    try {
      Posix.mknod(upper.resolve("gone"), Posix.S_IFCHR, 0);
      Posix.mknod(d.resolve("was-here"), Posix.S_IFCHR, 0); // redundant inside an opaque dir
    } catch (Posix.PosixException e) {
      devices = false; // unprivileged: no whiteout devices to read
    }
    try (ServerSocketChannel sock = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
      sock.bind(UnixDomainSocketAddress.of(upper.resolve("sock")));

      List<LayerEntry> entries = Layers.read(Layers.tar(upper));
      List<String> names = entries.stream().map(e -> e.path() + ":" + e.type()).collect(Collectors.toList());
      List<String> expected = new java.util.ArrayList<>(List.of("a:FILE", "d:DIRECTORY",
          "d/.wh..wh..opq:FILE", "d/new:FILE"));
      if (devices) {
        expected.add(".wh.gone:FILE");
      }
      expected.addAll(List.of("s:SYMLINK", "z:HARDLINK"));
      expected.sort((x, y) -> LayerPaths.compare(x.substring(0, x.indexOf(':')), y.substring(0, y.indexOf(':'))));
      assertThat(names).containsExactlyElementsOf(expected);
      Map<String, LayerEntry> byPath = entries.stream().collect(Collectors.toMap(LayerEntry::path, e -> e));
      LayerEntry a = byPath.get("a");
      assertThat(a.xattrs()).containsOnlyKeys("user.keep");
      assertThat(a.xattrs().get("user.keep")).containsExactly(0xc3, 0x28);
      assertThat(byPath.get("d").xattrs()).isEmpty(); // the opaque xattr itself is not copied
    }
  }

  @Test
  void aRealFileNamedLikeAWhiteoutIsRefused() throws Exception {
    Path upper = Files.createDirectory(tmp.resolve("upper"));
    Files.writeString(upper.resolve(".wh.sneaky"), "x");
    assertThatThrownBy(() -> Layers.tar(upper)).hasMessageContaining(".wh.sneaky");
  }

  @Test
  void metacopyUpperDirsAreRefused() throws Exception {
    Path upper = Files.createDirectory(tmp.resolve("upper"));
    Files.writeString(upper.resolve("f"), "");
    Posix.lsetxattr(upper.resolve("f"), "user.overlay.metacopy", new byte[0]);
    assertThatThrownBy(() -> Layers.tar(upper)).hasMessageContaining("metacopy=off");
  }

  @Test
  void aSnapshotDirectoryKeepsDevicesAndOverlayXattrsAsTheyAre() throws Exception {
    Path dir = Files.createDirectory(tmp.resolve("snap"));
    Files.writeString(dir.resolve(".wh.literal"), "x");
    Posix.lsetxattr(dir.resolve(".wh.literal"), "user.overlay.opaque", new byte[] {'y'});
    java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
    Layers.PLAIN.writeDirectory(dir, false, out);
    LayerEntry e = Layers.read(out.toByteArray()).get(0);
    assertThat(e.path()).isEqualTo(".wh.literal");
    assertThat(e.xattrs()).containsKey("user.overlay.opaque");
    assertThat(new String(Layers.contentOf(e), StandardCharsets.UTF_8)).isEqualTo("x");
  }

  @Test
  void sameTreeTwiceGivesTheSameDigest() throws Exception {
    Path upper = Files.createDirectory(tmp.resolve("upper"));
    for (int i = 0; i < 50; i++) {
      Files.createDirectories(upper.resolve("m" + (i % 7)));
      Files.writeString(upper.resolve("m" + (i % 7)).resolve("f" + i), "content " + i);
    }
    LayerWriter w = new LayerWriter(LayerWriter.Options.of(Compression.GZIP));
    LayerBlob one = w.writeDirectory(upper, java.io.OutputStream.nullOutputStream());
    LayerBlob two = w.writeDirectory(upper, java.io.OutputStream.nullOutputStream());
    assertThat(two).isEqualTo(one);
  }
}
