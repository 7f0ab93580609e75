package dev.jbuild.layer;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.io.TempDir;

/** Archives written by GNU tar in its own formats read like ours: long names, xattrs, links. */
class GnuTarInteropTest {
  @TempDir Path tmp;

  @ParameterizedTest
  @ValueSource(strings = {"gnu", "posix", "ustar"})
  void readsWhatGnuTarWrites(String format) throws Exception {
    Path src = Files.createDirectories(tmp.resolve("src"));
    String longName = format.equals("ustar") ? "n".repeat(90) : "n".repeat(180);
    Files.createDirectories(src.resolve("deep/" + "d".repeat(60)));
    Files.writeString(src.resolve("deep/" + "d".repeat(60) + "/" + longName), "long");
    Files.writeString(src.resolve("plain"), "plain");
    Files.createLink(src.resolve("hard"), src.resolve("plain"));
    Files.createSymbolicLink(src.resolve("sym"), Path.of("plain"));
    Files.writeString(src.resolve("ünï"), "utf8");
    Posix.lsetxattr(src.resolve("plain"), "user.bin", new byte[] {(byte) 0xff, 0, 1});
    Path archive = tmp.resolve("a.tar");
    Process p = new ProcessBuilder("tar", "--format=" + format, "--xattrs", "--xattrs-include=user.*",
        "--sort=name", "-cf", archive.toString(), "-C", src.toString(), ".").redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor()).as(out).isZero();

    Map<String, LayerEntry> read = new TreeMap<>();
    List<String> contents = new ArrayList<>();
    try (LayerReader r = LayerReader.open(archive)) {
      for (LayerEntry e = r.next(); e != null; e = r.next()) {
        read.put(e.path(), e);
        contents.add(e.path() + "=" + new String(e.content().open().readAllBytes(), StandardCharsets.UTF_8));
      }
    }
    assertThat(read).containsKeys("deep/" + "d".repeat(60) + "/" + longName, "plain", "hard", "sym", "ünï");
    assertThat(contents).contains("deep/" + "d".repeat(60) + "/" + longName + "=long", "ünï=utf8");
    LayerEntry plain = read.get("plain");
    LayerEntry hard = read.get("hard");
    LayerEntry first = plain.type() == EntryType.FILE ? plain : hard;
    LayerEntry second = first == plain ? hard : plain;
    assertThat(second.type()).isEqualTo(EntryType.HARDLINK);
    assertThat(second.linkTarget()).isEqualTo(first.path());
    assertThat(read.get("sym").linkTarget()).isEqualTo("plain");
    if (format.equals("posix")) {
      assertThat(first.xattrs().get("user.bin")).containsExactly(0xff, 0, 1);
    }

    Path target = Files.createDirectory(tmp.resolve("target"));
    new LayerApplier(LayerApplier.Options.flattened()).apply(archive, target);
    assertThat(Files.readString(target.resolve("deep/" + "d".repeat(60) + "/" + longName))).isEqualTo("long");
    assertThat(Files.isSameFile(target.resolve("plain"), target.resolve("hard"))).isTrue();
  }
}
