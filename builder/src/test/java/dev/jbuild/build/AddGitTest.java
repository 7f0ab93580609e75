package dev.jbuild.build;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.sun.net.httpserver.HttpServer;
import dev.jbuild.build.event.BuildEvent;
import dev.jbuild.build.registry.RegistryOptions;
import dev.jbuild.build.sandbox.Sandbox;
import dev.jbuild.cache.BlobStore;
import dev.jbuild.cache.JbuildRoot;
import dev.jbuild.dockerfile.DockerfileException;
import dev.jbuild.layer.EntryType;
import dev.jbuild.layer.LayerEntry;
import dev.jbuild.layer.LayerStack;
import dev.jbuild.oci.Descriptor;
import dev.jbuild.oci.ImageManifest;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * ADD of git repositories against a real repository served over git's "dumb" HTTP protocol
 * by an in-test HTTP server (BuildKit takes {@code http://…/x.git} as git, {@code file://} not).
 */
class AddGitTest {

  private static final Instant EPOCH = Instant.ofEpochSecond(1700000000);

  @TempDir Path tmp;

  private Path work;
  private Path ctx;
  private HttpServer server;
  private String url;
  private final List<BuildEvent> events = Collections.synchronizedList(new ArrayList<>());

  @BeforeEach
  void repository() throws Exception {
    work = tmp.resolve("work");
    Files.createDirectories(work.resolve("bin"));
    Files.createDirectories(work.resolve("sub"));
    git(tmp, "init", "-q", "-b", "main", work.toString());
    Files.writeString(work.resolve("a.txt"), "one\n");
    Files.writeString(work.resolve("bin/run.sh"), "#!/bin/sh\n");
    Files.setPosixFilePermissions(work.resolve("bin/run.sh"), PosixFilePermissions.fromString("rwxr-xr-x"));
    Files.writeString(work.resolve("sub/s.txt"), "in sub\n");
    Files.createSymbolicLink(work.resolve("link"), Path.of("a.txt"));
    git(work, "add", "-A");
    git(work, "commit", "-q", "-m", "first");
    git(work, "tag", "-a", "v1", "-m", "version 1");
    Files.writeString(work.resolve("b.txt"), "two\n");
    git(work, "add", "-A");
    git(work, "commit", "-q", "-m", "second");
    Path srv = tmp.resolve("srv");
    Files.createDirectories(srv);
    git(tmp, "clone", "-q", "--bare", work.toString(), srv.resolve("repo.git").toString());
    git(srv.resolve("repo.git"), "update-server-info");
    server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    server.createContext(
        "/",
        ex -> {
          Path f = srv.resolve(ex.getRequestURI().getPath().substring(1)).normalize();
          if (!f.startsWith(srv) || !Files.isRegularFile(f)) {
            ex.sendResponseHeaders(404, -1);
          } else {
            byte[] body = Files.readAllBytes(f);
            ex.sendResponseHeaders(200, body.length);
            try (OutputStream o = ex.getResponseBody()) {
              o.write(body);
            }
          }
          ex.close();
        });
    server.start();
    url = "http://127.0.0.1:" + server.getAddress().getPort() + "/repo.git";
    ctx = tmp.resolve("ctx");
    Files.createDirectories(ctx);
  }

  @AfterEach
  void stop() {
    server.stop(0);
  }

  private static String git(Path dir, String... args) throws Exception {
    List<String> cmd = new ArrayList<>(List.of("git", "-c", "user.name=t", "-c", "user.email=t@e",
        "-c", "init.defaultBranch=main"));
    cmd.addAll(List.of(args));
    ProcessBuilder pb = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true);
    // commits older than SOURCE_DATE_EPOCH, which would clamp them
    pb.environment().put("GIT_AUTHOR_DATE", "1600000000 +0000");
    pb.environment().put("GIT_COMMITTER_DATE", "1600000000 +0000");
    Process p = pb.start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
    assertThat(p.exitValue()).as("git %s: %s", List.of(args), out).isZero();
    return out.trim();
  }

  private JbuildRoot root() {
    return new JbuildRoot(tmp.resolve("root"));
  }

  private BuildResult build(String dockerfile) throws IOException {
    Files.writeString(ctx.resolve("Dockerfile"), dockerfile);
    BuildRequest request =
        BuildRequest.builder(ctx).pull(PullPolicy.NEVER).sourceDateEpoch(EPOCH).build();
    return new Builder(root(), RegistryOptions.defaults(), Sandbox.unavailable(), events::add)
        .build(request);
  }

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
  void addsTheTreeOfTheDefaultBranchOwnedByRoot() throws Exception {
    LayerStack fs = fs(build("FROM scratch\nADD --chown=5:6 " + url + " /chowned\nADD " + url + " /src/\n"));
    assertThat(read(fs, "src/a.txt")).isEqualTo("one\n");
    assertThat(read(fs, "src/b.txt")).isEqualTo("two\n");
    LayerEntry a = stat(fs, "src/a.txt");
    assertThat(a.mode()).isEqualTo(0644);
    assertThat(a.uid()).isZero();
    assertThat(a.gid()).isZero();
    // mtime: BuildKit's checkout time, here the build's SOURCE_DATE_EPOCH
    assertThat(a.mtime()).isEqualTo(EPOCH);
    assertThat(stat(fs, "src/bin/run.sh").mode()).isEqualTo(0755);
    assertThat(stat(fs, "src/bin").mode()).isEqualTo(0755);
    assertThat(stat(fs, "src/link").type()).isEqualTo(EntryType.SYMLINK);
    assertThat(stat(fs, "src/link").linkTarget()).isEqualTo("a.txt");
    assertThat(fs.stat("src/.git")).isEmpty();
    assertThat(stat(fs, "chowned/sub/s.txt").uid()).isEqualTo(5);
    assertThat(stat(fs, "chowned/sub/s.txt").gid()).isEqualTo(6);
    assertThat(stat(fs, "chowned").uid()).isEqualTo(5);
    // the checkout is gone from the store's tmp/
    try (var left = Files.list(root().tmp())) {
      assertThat(left.filter(p -> p.getFileName().toString().startsWith("git-"))).isEmpty();
    }
  }

  @Test
  void refsSubdirectoriesAndQueries() throws Exception {
    String first = git(work, "rev-parse", "HEAD~1");
    LayerStack fs =
        fs(
            build(
                "FROM scratch\nADD " + url + "#v1 /v1/\nADD " + url + "#main:sub /frag\n"
                    + "ADD " + url + "?branch=main&subdir=sub /query/\n"
                    + "ADD " + url + "#" + first + " /bysha/\n"
                    + "ADD " + url + "?tag=v1&subdir=bin&mtime=commit /commit-time/\n"));
    assertThat(read(fs, "v1/a.txt")).isEqualTo("one\n");
    assertThat(fs.stat("v1/b.txt")).isEmpty();
    assertThat(read(fs, "frag/s.txt")).isEqualTo("in sub\n");
    assertThat(fs.stat("frag/a.txt")).isEmpty();
    assertThat(read(fs, "query/s.txt")).isEqualTo("in sub\n");
    assertThat(fs.stat("bysha/b.txt")).isEmpty();
    assertThat(read(fs, "bysha/a.txt")).isEqualTo("one\n");
    // mtime=commit: the commit time (clamped to SOURCE_DATE_EPOCH like every layer time)
    assertThat(stat(fs, "commit-time/run.sh").mtime()).isEqualTo(Instant.ofEpochSecond(1600000000));
  }

  @Test
  void keepGitDirChecksumAndErrors() throws Exception {
    String head = git(work, "rev-parse", "HEAD");
    LayerStack fs =
        fs(build("FROM scratch\nADD --keep-git-dir " + url + " /k/\n"
            + "ADD --checksum=" + head.substring(0, 12) + " " + url + "#main /c/\n"));
    assertThat(read(fs, "k/.git/HEAD")).isEqualTo(head + "\n");
    assertThat(read(fs, "k/.git/config")).contains(url);
    assertThat(read(fs, "c/b.txt")).isEqualTo("two\n");
    assertThatThrownBy(() -> build("FROM scratch\nADD --checksum=0123abcd " + url + " /c/\n"))
        .isInstanceOf(BuildStepException.class)
        .hasMessageContaining("expected checksum to match 0123abcd");
    assertThatThrownBy(() -> build("FROM scratch\nADD " + url + "#nope /c/\n"))
        .isInstanceOf(BuildStepException.class)
        .hasMessageContaining("does not contain ref nope");
    assertThatThrownBy(() -> build("FROM scratch\nADD " + url + "#main:missing /c/\n"))
        .isInstanceOf(BuildStepException.class)
        .hasMessageContaining("missing");
    assertThatThrownBy(() -> build("FROM scratch\nCOPY " + url + " /c/\n"))
        .isInstanceOf(DockerfileException.class)
        .hasMessageContaining("source can't be a git ref for COPY");
    assertThatThrownBy(() -> build("FROM scratch\nADD " + url + "?tag=a&branch=b /c/\n"))
        .isInstanceOf(DockerfileException.class)
        .hasMessageContaining("branch conflicts with tag");
    assertThatThrownBy(() -> build("FROM scratch\nCOPY https://example.invalid/f.txt /c/\n"))
        .isInstanceOf(DockerfileException.class)
        .hasMessageContaining("source can't be a URL for COPY");
  }

  @Test
  void cacheKeyIsTheResolvedCommit() throws Exception {
    String df = "FROM scratch\nADD " + url + " /src/\n";
    BuildResult first = build(df);
    events.clear();
    BuildResult again = build(df);
    assertThat(events).filteredOn(e -> e instanceof BuildEvent.StepCached).hasSize(1);
    assertThat(again.manifest().digest()).isEqualTo(first.manifest().digest());
    // the branch moves: same URL, new commit, so the step runs again
    Files.writeString(work.resolve("c.txt"), "three\n");
    git(work, "add", "-A");
    git(work, "commit", "-q", "-m", "third");
    git(work, "push", "-q", tmp.resolve("srv/repo.git").toString(), "main");
    git(tmp.resolve("srv/repo.git"), "update-server-info");
    events.clear();
    BuildResult moved = build(df);
    assertThat(events).filteredOn(e -> e instanceof BuildEvent.StepCached).isEmpty();
    assertThat(read(fs(moved), "src/c.txt")).isEqualTo("three\n");
  }

  @Test
  void withoutGitOnThePathTheErrorSaysToInstallIt() throws Exception {
    // a separate JVM whose PATH has no git, running the CLI
    Files.writeString(ctx.resolve("Dockerfile"), "FROM scratch\nADD " + url + " /src/\n");
    String java = ProcessHandle.current().info().command().orElseThrow();
    ProcessBuilder pb =
        new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"),
            "dev.jbuild.build.cli.Main", "build", "--root", tmp.resolve("root2").toString(),
            "--progress", "plain", ctx.toString());
    pb.environment().put("PATH", tmp.resolve("empty-bin").toString());
    pb.redirectErrorStream(true);
    Process p = pb.start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(120, TimeUnit.SECONDS)).isTrue();
    assertThat(p.exitValue()).as(out).isEqualTo(1);
    assertThat(out).contains("Dockerfile:2:").contains("needs the git command").contains("install git");
    assertThat(out).doesNotContain("Exception");
  }
}
