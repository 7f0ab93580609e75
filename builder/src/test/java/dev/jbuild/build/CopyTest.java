package dev.jbuild.build;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.jbuild.build.event.BuildEvent;
import dev.jbuild.build.registry.RegistryOptions;
import dev.jbuild.build.sandbox.Sandbox;
import dev.jbuild.cache.BlobStore;
import dev.jbuild.cache.JbuildRoot;
import dev.jbuild.dockerfile.DockerfileException;
import dev.jbuild.layer.EntryType;
import dev.jbuild.layer.LayerEntry;
import dev.jbuild.layer.LayerStack;
import dev.jbuild.oci.ContainerConfig;
import dev.jbuild.oci.Descriptor;
import dev.jbuild.oci.ImageManifest;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import java.util.function.Consumer;
import java.util.zip.GZIPOutputStream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** COPY and ADD semantics (spec §2.5) and their build cache, checked on the image's files. */
class CopyTest {

  @TempDir Path tmp;

  private Path ctx;
  private final List<BuildEvent> events = Collections.synchronizedList(new ArrayList<>());

  @BeforeEach
  void context() throws IOException {
    ctx = tmp.resolve("ctx");
    Files.createDirectories(ctx.resolve("dir/sub"));
    write("app.jar", "jar");
    write("dir/a.txt", "a");
    write("dir/sub/b.txt", "b");
    write("x.txt", "x");
    write("y.txt", "y");
    Files.setPosixFilePermissions(ctx.resolve("dir/a.txt"), PosixFilePermissions.fromString("rwxr-x---"));
    // files older than the stat cache's racy window, as a real context's are
    try (var files = Files.walk(ctx)) {
      for (Path p : files.toList()) {
        Files.setLastModifiedTime(p, FileTime.from(Instant.ofEpochSecond(1600000000)));
      }
    }
  }

  private void write(String name, String content) throws IOException {
    Files.writeString(ctx.resolve(name), content);
  }

  private JbuildRoot root() {
    return new JbuildRoot(tmp.resolve("root"));
  }

  private BuildResult build(String dockerfile) throws IOException {
    return build(dockerfile, b -> {});
  }

  private BuildResult build(String dockerfile, Consumer<BuildRequest.Builder> options)
      throws IOException {
    Files.writeString(ctx.resolve("Dockerfile"), dockerfile);
    BuildRequest.Builder b = BuildRequest.builder(ctx).pull(PullPolicy.NEVER);
    options.accept(b);
    return new Builder(root(), RegistryOptions.defaults(), Sandbox.unavailable(), events::add)
        .build(b.build());
  }

  /** The image's merged filesystem. */
  private LayerStack fs(BuildResult r) throws IOException {
    BlobStore blobs = BlobStore.open(root());
    ImageManifest m = blobs.readManifest(r.manifest().digest()).value();
    List<Path> paths = new ArrayList<>();
    for (Descriptor d : m.layers()) {
      paths.add(blobs.path(d.digest()));
    }
    return LayerStack.of(paths);
  }

  private static LayerEntry stat(LayerStack fs, String path) throws IOException {
    Optional<LayerEntry> e = fs.stat(path);
    assertThat(e).as(path).isPresent();
    return e.get();
  }

  private static String read(LayerStack fs, String path) throws IOException {
    try (InputStream in = fs.open(path)) {
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
  }

  @Test
  void directorySourceCopiesItsContents() throws IOException {
    // checklist 1
    LayerStack fs = fs(build("FROM scratch\nCOPY dir /d\nCOPY dir/ /e/\nCOPY dir/. /f\n"));
    for (String d : List.of("d", "e", "f")) {
      assertThat(read(fs, d + "/a.txt")).isEqualTo("a");
      assertThat(read(fs, d + "/sub/b.txt")).isEqualTo("b");
      assertThat(fs.stat(d + "/dir")).isEmpty();
    }
  }

  @Test
  void destinationRules() throws IOException {
    // checklist 2: a trailing slash is a directory; an existing directory receives the file
    LayerStack fs =
        fs(build("FROM scratch\nCOPY x.txt /new/\nCOPY x.txt /asfile\nWORKDIR /exists\nCOPY y.txt /exists\nCOPY y.txt rel.txt\n"));
    assertThat(read(fs, "new/x.txt")).isEqualTo("x");
    assertThat(stat(fs, "asfile").type()).isEqualTo(EntryType.FILE);
    assertThat(read(fs, "exists/y.txt")).isEqualTo("y");
    assertThat(read(fs, "exists/rel.txt")).isEqualTo("y");
  }

  @Test
  void multipleSourcesAndWildcards() throws IOException {
    // checklists 3, 4: sources copied in turn; a wildcard matching nothing is fine
    LayerStack fs = fs(build("FROM scratch\nCOPY x.txt y.txt /m/\nCOPY *.txt nothing-* /w/\n"));
    assertThat(read(fs, "m/x.txt")).isEqualTo("x");
    assertThat(read(fs, "m/y.txt")).isEqualTo("y");
    assertThat(read(fs, "w/x.txt")).isEqualTo("x");
    assertThat(read(fs, "w/y.txt")).isEqualTo("y");
  }

  @Test
  void sourcesAreClampedToTheContext() throws IOException {
    // checklist 5
    LayerStack fs = fs(build("FROM scratch\nCOPY ../../x.txt /a/\nCOPY /y.txt /b/\n"));
    assertThat(read(fs, "a/x.txt")).isEqualTo("x");
    assertThat(read(fs, "b/y.txt")).isEqualTo("y");
  }

  @Test
  void ownershipModesAndTimes() throws IOException {
    // checklists 7, 8, 9, 11: context files 0:0 with their mode and mtime; USER changes
    // nothing; --chmod sets created parents too; existing directories keep their metadata
    StoreImages.put(root(), "users:1", StoreImages.withUsers(), ContainerConfig.empty());
    LayerStack fs =
        fs(
            build(
                "FROM users:1\nUSER app\nCOPY dir /d\nCOPY --chmod=770 x.txt /parent/sub/x.txt\n"
                    + "COPY --chown=app x.txt /srv/owned\nCOPY --chown=app:staff y.txt /made/here/\n"
                    + "COPY --chmod=u+x,go-rwx y.txt /sym/\n"));
    LayerEntry a = stat(fs, "d/a.txt");
    assertThat(a.uid()).isZero();
    assertThat(a.mode()).isEqualTo(0750);
    assertThat(stat(fs, "parent").mode()).isEqualTo(0770);
    assertThat(stat(fs, "parent/sub").mode()).isEqualTo(0770);
    assertThat(stat(fs, "parent/sub/x.txt").mode()).isEqualTo(0770);
    assertThat(stat(fs, "parent/sub/x.txt").mtime()).isEqualTo(Instant.ofEpochSecond(1600000000));
    LayerEntry owned = stat(fs, "srv/owned");
    assertThat(owned.uid()).isEqualTo(1000);
    assertThat(owned.gid()).isEqualTo(1001);
    LayerEntry srv = stat(fs, "srv");
    assertThat(srv.uid()).isEqualTo(7);
    assertThat(srv.mode()).isEqualTo(0750);
    assertThat(stat(fs, "made").uid()).isEqualTo(1000);
    assertThat(stat(fs, "made/here").gid()).isEqualTo(50);
    assertThat(stat(fs, "made/here/y.txt").gid()).isEqualTo(50);
    assertThat(stat(fs, "sym/y.txt").mode()).isEqualTo(0700);
  }

  @Test
  void fromAStageKeepsOwnersAndReadsItsLayers() throws IOException {
    StoreImages.put(root(), "users:1", StoreImages.withUsers(), ContainerConfig.empty());
    LayerStack fs =
        fs(
            build(
                "FROM users:1 AS b\nCOPY --chown=1000:1001 x.txt /out/x.txt\nFROM scratch\n"
                    + "COPY --from=b /out /copied\nCOPY --from=b /etc/pass* /etc/\nCOPY --from=0 /link/ /srv-copy/\n"));
    assertThat(stat(fs, "copied/x.txt").uid()).isEqualTo(1000);
    assertThat(stat(fs, "copied").uid()).isZero();
    assertThat(read(fs, "etc/passwd")).contains("app:x:1000");
    assertThat(fs.stat("srv-copy")).isPresent();
  }

  @Test
  void symlinksOnTheDestinationPathAreFollowedInsideTheImage() throws IOException {
    StoreImages.put(root(), "users:1", StoreImages.withUsers(), ContainerConfig.empty());
    LayerStack fs = fs(build("FROM users:1\nCOPY x.txt /link/\n"));
    assertThat(read(fs, "srv/x.txt")).isEqualTo("x");
    assertThat(stat(fs, "link").type()).isEqualTo(EntryType.SYMLINK);
  }

  @Test
  void conflictsAreErrors() throws IOException {
    assertThatThrownBy(() -> build("FROM scratch\nCOPY x.txt /f\nCOPY dir /f\n"))
        .isInstanceOf(BuildStepException.class)
        .hasMessageContaining("cannot copy to non-directory");
    Files.createDirectories(ctx.resolve("other"));
    write("other/sub", "file named sub");
    assertThatThrownBy(() -> build("FROM scratch\nCOPY dir /d/\nCOPY other/sub /d/\n"))
        .isInstanceOf(BuildStepException.class)
        .hasMessageContaining("cannot replace to directory");
    assertThatThrownBy(() -> build("FROM scratch\nCOPY --chmod=999 x.txt /\n"))
        .isInstanceOf(DockerfileException.class)
        .hasMessageContaining("invalid chmod parameter: '999'");
  }

  @Test
  void excludeParentsAndHeredocs() throws IOException {
    LayerStack fs =
        fs(
            build(
                "FROM scratch\nARG NAME=world\nCOPY --exclude=*.txt --exclude=sub/b.txt dir /ex/\n"
                    + "COPY --parents dir/sub/b.txt x.txt /p/\n"
                    + "COPY <<EOF <<'RAW' /h/\nhello $NAME\nEOF\nkeep $NAME\nRAW\n"));
    assertThat(fs.stat("ex/a.txt")).isEmpty();
    assertThat(fs.stat("ex/sub/b.txt")).isEmpty();
    assertThat(read(fs, "p/dir/sub/b.txt")).isEqualTo("b");
    assertThat(read(fs, "p/x.txt")).isEqualTo("x");
    assertThat(read(fs, "h/EOF")).isEqualTo("hello world\n");
    assertThat(read(fs, "h/RAW")).isEqualTo("keep $NAME\n");
    assertThat(stat(fs, "h/EOF").mode()).isEqualTo(0644);
  }

  @Test
  void parentsFromAStageAreRelativeToItsRootOrThePivot() throws IOException {
    // spec 2.5 --parents: COPY --from=base --parents /test/a/b/./c/d /out/ gives /out/c/d/...
    LayerStack fs =
        fs(
            build(
                "FROM scratch AS base\nCOPY dir /test/a/b/c/d/\nCOPY x.txt y.txt /test/other/\n"
                    + "FROM scratch\nCOPY --from=base --parents /test/a/b/./c/d /out/\n"
                    + "COPY --from=base --parents test/other/x.txt /full/\n"
                    + "COPY --from=base --parents /test/**/b.txt /glob/\n"));
    assertThat(read(fs, "out/c/d/a.txt")).isEqualTo("a");
    assertThat(read(fs, "out/c/d/sub/b.txt")).isEqualTo("b");
    assertThat(fs.stat("out/test")).isEmpty();
    assertThat(read(fs, "full/test/other/x.txt")).isEqualTo("x");
    assertThat(fs.stat("full/test/other/y.txt")).isEmpty();
    assertThat(read(fs, "glob/test/a/b/c/d/sub/b.txt")).isEqualTo("b");
    assertThat(fs.stat("glob/test/a/b/c/d/a.txt")).isEmpty();
    assertThat(fs.stat("glob/test/other")).isEmpty();
    // a literal path must exist (BuildKit's RequiredPaths); a wildcard may match nothing
    assertThatThrownBy(
            () -> build("FROM scratch AS base\nCOPY x.txt /t/\nFROM scratch\nCOPY --from=base --parents /t/nope.txt /o/\n"))
        .isInstanceOf(BuildStepException.class)
        .hasMessageContaining("\"/t/nope.txt\": not found");
    assertThatThrownBy(() -> build("FROM scratch\nCOPY --parents dir/nope.txt /o/\n"))
        .isInstanceOf(BuildStepException.class)
        .hasMessageContaining("not found");
    build("FROM scratch AS base\nCOPY x.txt /t/\nFROM scratch\nCOPY --from=base --parents /t/*.none /o/\n");
  }

  @Test
  void linkLayerIsReusedWhenTheBaseChanges() throws IOException {
    // BuildKit: COPY --link runs on scratch and is merged on top, so its cache key leaves
    // out the base and the layer blob stays the same when the base image changes
    StoreImages.put(root(), "base:1", StoreImages.withUsers(), ContainerConfig.empty());
    String df = "FROM base:1\nCOPY --link dir /srv/data/\nCOPY x.txt /after/\n";
    ImageManifest first = manifest(build(df));
    events.clear();
    List<LayerEntry> changed = new ArrayList<>(StoreImages.withUsers());
    changed.add(LayerEntry.file("base-v2", 0644, "2".getBytes(StandardCharsets.UTF_8)));
    StoreImages.put(root(), "base:1", changed, ContainerConfig.empty());
    BuildResult second = build(df);
    ImageManifest m = manifest(second);
    assertThat(m.layers().get(0).digest()).isNotEqualTo(first.layers().get(0).digest());
    assertThat(m.layers().get(1).digest()).isEqualTo(first.layers().get(1).digest());
    // the linked step is a hit; the plain COPY after it depends on the new base: a miss
    assertThat(events)
        .filteredOn(e -> e instanceof BuildEvent.StepCached)
        .extracting(e -> ((BuildEvent.StepCached) e).step().text())
        .containsExactly("COPY --link dir /srv/data/");
    assertThat(read(fs(second), "after/x.txt")).isEqualTo("x");
  }

  @Test
  void linkCopiesOntoAnEmptyFilesystem() throws IOException {
    // /link is a symlink to /srv (0750 7:8) in the base: --link neither follows it nor keeps
    // /srv's metadata, and its created parents replace the existing ones in the merged image
    StoreImages.put(root(), "users:1", StoreImages.withUsers(), ContainerConfig.empty());
    BuildResult r =
        build("FROM users:1\nCOPY --link --chmod=600 x.txt /link/\nCOPY --link x.txt /link/\n"
            + "COPY --link --chown=5 y.txt /srv/in/\n");
    LayerStack fs = fs(r);
    LayerStack linked = LayerStack.of(List.of(BlobStore.open(root()).path(manifest(r).layers().get(2).digest())));
    assertThat(stat(linked, "link").type()).isEqualTo(EntryType.DIRECTORY);
    assertThat(read(linked, "link/x.txt")).isEqualTo("x");
    assertThat(linked.stat("srv")).isEmpty();
    LayerEntry srv = stat(fs, "srv");
    assertThat(srv.mode()).isEqualTo(0755);
    assertThat(srv.uid()).isEqualTo(5);
    assertThat(stat(fs, "srv/in/y.txt").uid()).isEqualTo(5);
    // with --chmod BuildKit ignores --link: the copy follows /link into /srv again
    assertThat(stat(fs, "srv/x.txt").mode()).isEqualTo(0600);
    assertThatThrownBy(() -> build("FROM users:1\nCOPY --link --chown=app x.txt /x\n"))
        .isInstanceOf(DockerfileException.class)
        .hasMessageContaining("names cannot be resolved with --link");
  }

  private ImageManifest manifest(BuildResult r) throws IOException {
    return BlobStore.open(root()).readManifest(r.manifest().digest()).value();
  }

  @Test
  void addExtractsLocalArchivesByContentOnly() throws IOException {
    // checklist 12
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (TarArchiveOutputStream t = new TarArchiveOutputStream(new GZIPOutputStream(bytes))) {
      byte[] data = "inside".getBytes(StandardCharsets.UTF_8);
      TarArchiveEntry e = new TarArchiveEntry("pkg/file.txt");
      e.setSize(data.length);
      e.setUserId(5);
      t.putArchiveEntry(e);
      t.write(data);
      t.closeArchiveEntry();
    }
    Files.write(ctx.resolve("archive.bin"), bytes.toByteArray());
    LayerStack fs =
        fs(build("FROM scratch\nADD archive.bin /x/\nCOPY archive.bin /c/\nADD --unpack=false archive.bin /n/\n"));
    assertThat(read(fs, "x/pkg/file.txt")).isEqualTo("inside");
    assertThat(stat(fs, "x/pkg/file.txt").uid()).isEqualTo(5);
    assertThat(stat(fs, "c/archive.bin").type()).isEqualTo(EntryType.FILE);
    assertThat(stat(fs, "n/archive.bin").type()).isEqualTo(EntryType.FILE);
    assertThatThrownBy(() -> build("FROM scratch\nADD https://example.invalid/x.git /x/\n"))
        .isInstanceOf(BuildStepException.class)
        .hasMessageContaining("ADD https://example.invalid/x.git: git ls-remote failed");
    assertThatThrownBy(() -> build("FROM scratch\nADD --checksum=sha256:00 x.txt /x/\n"))
        .isInstanceOf(DockerfileException.class)
        .hasMessageContaining("checksum requires HTTP(S) or Git sources");
  }

  @Test
  void addOfAUrlIsMode0600WithLastModifiedAndAChecksum() throws Exception {
    byte[] body = "downloaded".getBytes(StandardCharsets.UTF_8);
    com.sun.net.httpserver.HttpServer server =
        com.sun.net.httpserver.HttpServer.create(new java.net.InetSocketAddress("127.0.0.1", 0), 0);
    server.createContext(
        "/files/tool.bin",
        ex -> {
          ex.getResponseHeaders().add("Last-Modified", "Wed, 21 Oct 2015 07:28:00 GMT");
          ex.sendResponseHeaders(200, body.length);
          ex.getResponseBody().write(body);
          ex.close();
        });
    server.start();
    try {
      String url = "http://127.0.0.1:" + server.getAddress().getPort() + "/files/tool.bin";
      String sum = dev.jbuild.oci.Digest.of(body).toString();
      LayerStack fs =
          fs(build("FROM scratch\nADD " + url + " /opt/\nADD --checksum=" + sum + " " + url + " /pinned\n"));
      LayerEntry e = stat(fs, "opt/tool.bin");
      assertThat(e.mode()).isEqualTo(0600);
      assertThat(e.mtime()).isEqualTo(Instant.parse("2015-10-21T07:28:00Z"));
      assertThat(read(fs, "pinned")).isEqualTo("downloaded");
      assertThatThrownBy(
              () -> build("FROM scratch\nADD --checksum=sha256:" + "0".repeat(64) + " " + url + " /x\n"))
          .isInstanceOf(BuildStepException.class)
          .hasMessageContaining("digest mismatch");
    } finally {
      server.stop(0);
    }
  }

  @Test
  void rebuildReadsNoContextFileAndOneChangeInvalidatesOnlyItsSteps() throws IOException {
    String df = "FROM scratch\nCOPY dir /d\nCOPY x.txt /x\nCOPY y.txt /y\nLABEL l=1\n";
    BuildResult first = build(df, b -> b.tag("c:1"));
    assertThat(first.contextFilesRead()).isPositive();
    events.clear();
    BuildResult second = build(df, b -> b.tag("c:1"));
    assertThat(second.contextFilesRead()).isZero();
    assertThat(second.imageId()).isEqualTo(first.imageId());
    assertThat(events).filteredOn(e -> e instanceof BuildEvent.StepCached).hasSize(3);
    assertThat(events).noneMatch(e -> e instanceof BuildEvent.LayerWritten);
    // an mtime change alone keeps every step cached
    Files.setLastModifiedTime(ctx.resolve("dir/a.txt"), FileTime.from(Instant.ofEpochSecond(1)));
    events.clear();
    build(df);
    assertThat(events).filteredOn(e -> e instanceof BuildEvent.StepCached).hasSize(3);
    // new content in x.txt: its step and the ones after it run again
    write("x.txt", "changed");
    Files.setLastModifiedTime(ctx.resolve("x.txt"), FileTime.from(Instant.ofEpochSecond(1600000100)));
    events.clear();
    build(df);
    assertThat(events)
        .filteredOn(e -> e instanceof BuildEvent.StepCached)
        .extracting(e -> ((BuildEvent.StepCached) e).step().text())
        .containsExactly("COPY dir /d");
  }

  /** Overwrites every layer blob of the images with bytes that are no layer, keeping sizes. */
  private void spoilLayerBlobs(BuildResult... results) throws IOException {
    BlobStore blobs = BlobStore.open(root());
    for (BuildResult r : results) {
      for (Descriptor d : manifest(r).layers()) {
        Path p = blobs.path(d.digest());
        Files.write(p, new byte[(int) Files.size(p)]);
      }
    }
  }

  @Test
  void cachedRebuildReadsNoLayerBlob() throws IOException {
    // design: a hit reuses the stored layer without reading anything else, so the rebuild
    // succeeds with every layer blob unreadable as a tar and no header index left
    StoreImages.put(root(), "users:1", StoreImages.withUsers(), ContainerConfig.empty());
    String df =
        "FROM users:1 AS b\nCOPY --chown=app:staff x.txt /out/x.txt\nUSER app\nWORKDIR /srv/w\n"
            + "FROM users:1\nWORKDIR /work\nCOPY --from=b /out /copied\nUSER app\n"
            + "COPY --chown=app y.txt /y\nWORKDIR /home/app/sub\n";
    BuildResult first = build(df, b -> b.tag("c:1"));
    spoilLayerBlobs(first);
    deleteTree(root().layerHeaders());
    events.clear();
    BuildResult second = build(df, b -> b.tag("c:1"));
    assertThat(second.imageId()).isEqualTo(first.imageId());
    assertThat(events).filteredOn(e -> e instanceof BuildEvent.StepCached).hasSize(6);
    assertThat(events).noneMatch(e -> e instanceof BuildEvent.LayerWritten);
  }

  @Test
  void changedRebuildReadsUnchangedLayersFromTheirHeaderIndex() throws IOException {
    StoreImages.put(root(), "users:1", StoreImages.withUsers(), ContainerConfig.empty());
    String df = "FROM users:1\nCOPY x.txt /srv/x\nWORKDIR /srv/w\n";
    BuildResult first = build(df);
    assertThat(root().layerHeaders()).isDirectory();
    // the layers below the changed step are no tars any more: only their indexes can tell
    // WORKDIR that /srv exists with its owner
    LayerEntry srv = stat(fs(first), "srv");
    spoilLayerBlobs(first);
    events.clear();
    BuildResult second = build("FROM users:1\nCOPY x.txt /srv/x\nWORKDIR /srv/w2\n");
    assertThat(events).filteredOn(e -> e instanceof BuildEvent.StepCached).hasSize(1);
    BlobStore blobs = BlobStore.open(root());
    List<Descriptor> layers = manifest(second).layers();
    LayerStack top = LayerStack.of(List.of(blobs.path(layers.get(layers.size() - 1).digest())));
    assertThat(stat(top, "srv").uid()).isEqualTo(srv.uid());
    assertThat(stat(top, "srv").mode()).isEqualTo(srv.mode());
    assertThat(stat(top, "srv/w2").type()).isEqualTo(EntryType.DIRECTORY);
  }

  @Test
  void aCopyReadsOnlyItsPartOfTheStageLayersAndTheWholeWhenALinkIsInIt() throws IOException {
    // a hard link to nothing under /lib: indexing the whole filesystem refuses the layer
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (TarArchiveOutputStream t = new TarArchiveOutputStream(bytes)) {
      for (String dir : List.of("app/", "lib/")) {
        t.putArchiveEntry(new TarArchiveEntry(dir));
        t.closeArchiveEntry();
      }
      byte[] data = "old".getBytes(StandardCharsets.UTF_8);
      TarArchiveEntry old = new TarArchiveEntry("app/old.txt");
      old.setSize(data.length);
      old.setUserId(9);
      t.putArchiveEntry(old);
      t.write(data);
      t.closeArchiveEntry();
      TarArchiveEntry link = new TarArchiveEntry("lib/h", TarArchiveEntry.LF_LINK);
      link.setLinkName("lib/missing");
      t.putArchiveEntry(link);
      t.closeArchiveEntry();
    }
    StoreImages.putTar(root(), "odd:1", bytes.toByteArray());
    // COPY into /app reads /app and its parents only, and keeps what is there
    BuildResult r = build("FROM odd:1\nCOPY dir/ /app/\nCOPY --chown=7:7 x.txt /app/new/\n");
    BlobStore blobs = BlobStore.open(root());
    List<Path> layers = new ArrayList<>();
    for (Descriptor d : manifest(r).layers()) {
      layers.add(blobs.path(d.digest()));
    }
    LayerStack fs = LayerStack.ofPaths(layers, java.util.Arrays.asList(new Path[layers.size()]),
        List.of(), List.of("app")).orElseThrow();
    assertThat(read(fs, "app/a.txt")).isEqualTo("a");
    assertThat(stat(fs, "app/old.txt").uid()).isEqualTo(9);
    assertThat(stat(fs, "app/new/x.txt").uid()).isEqualTo(7);
    // a link in its part could lead anywhere: the copy reads the whole filesystem, here refused
    assertThatThrownBy(() -> build("FROM odd:1\nCOPY x.txt /lib/\n"))
        .isInstanceOf(BuildStepException.class)
        .hasMessageContaining("hard link");
  }

  private static void deleteTree(Path dir) throws IOException {
    if (!Files.exists(dir)) {
      return;
    }
    try (var files = Files.walk(dir)) {
      for (Path p : files.sorted(java.util.Comparator.reverseOrder()).toList()) {
        Files.delete(p);
      }
    }
  }
}
