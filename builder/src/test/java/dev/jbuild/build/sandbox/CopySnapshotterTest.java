package dev.jbuild.build.sandbox;

import static org.assertj.core.api.Assertions.assertThat;

import dev.jbuild.build.BuildRequest;
import dev.jbuild.build.BuildResult;
import dev.jbuild.build.Builder;
import dev.jbuild.build.PullPolicy;
import dev.jbuild.build.event.BuildEvent;
import dev.jbuild.build.registry.RegistryOptions;
import dev.jbuild.cache.BlobStore;
import dev.jbuild.cache.JbuildRoot;
import dev.jbuild.layer.EntryType;
import dev.jbuild.layer.LayerEntry;
import dev.jbuild.layer.LayerReader;
import dev.jbuild.oci.Descriptor;
import dev.jbuild.oci.ImageManifest;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The copy snapshotter against overlayfs through the whole sandbox: each Dockerfile is built
 * twice, in two jbuild roots (no shared cache), once per snapshotter, and every layer must
 * have the same digest. Runs as root; {@link CopySnapshotterRootlessTest} runs it unprivileged.
 */
@Tag("sandbox")
class CopySnapshotterTest {
  // New files clamp to it; the busybox layer's own times (1970) stay as they are.
  private static final Instant EPOCH = Instant.parse("2024-05-06T07:08:09Z");

  @TempDir static Path tmp;

  private static JbuildRoot overlayRoot;
  private static JbuildRoot copyRoot;
  private static NamespaceSandbox overlay;
  private static NamespaceSandbox copy;
  private static final List<BuildEvent> events = Collections.synchronizedList(new ArrayList<>());

  @BeforeAll
  static void setUp() throws IOException {
    overlayRoot = new JbuildRoot(tmp.resolve("overlay-root"));
    copyRoot = new JbuildRoot(tmp.resolve("copy-root"));
    SandboxTest.storeBusybox(overlayRoot, "busybox:test");
    SandboxTest.storeBusybox(copyRoot, "busybox:test");
    overlay = new NamespaceSandbox(overlayRoot, events::add, "overlay");
    copy = new NamespaceSandbox(copyRoot, events::add, "copy");
  }

  @AfterAll
  static void tearDown() {
    // extracted layers belong to ids of the worker's namespace: its prune deletes them
    for (NamespaceSandbox s : new NamespaceSandbox[] {overlay, copy}) {
      if (s != null) {
        try {
          s.prune(List.of(), Duration.ZERO, true);
        } finally {
          s.close();
        }
      }
    }
  }

  static Stream<Arguments> dockerfiles() {
    return Stream.of(
        Arguments.of("create", "RUN mkdir -p /opt/app/bin && echo hi > /opt/app/f"
            + " && ln -s f /opt/app/l && ln /opt/app/f /opt/app/h && chmod 4755 /opt/app/f"
            + " && mkfifo /opt/app/fifo\n"),
        Arguments.of("delete-and-recreate", "RUN mkdir -p /opt/d/e && echo 1 > /opt/d/e/f\n"
            + "RUN rm /bin/vi /bin/ls && rm -rf /opt/d/e && echo x >> /etc/passwd\n"
            + "RUN rm -rf /opt/d && mkdir /opt/d && echo new > /opt/d/n\n"),
        Arguments.of("users-and-owners", "RUN echo worker:x:1234:1234::/home/worker:/bin/sh >> /etc/passwd"
            + " && echo worker:x:1234: >> /etc/group && mkdir /data"
            + " && chown worker:worker /data && chmod 2770 /data\n"
            + "USER worker\nWORKDIR /data/w\nRUN echo mine > f && ls -ln > listing"
            + " && awk '{print $1, $3, $4, $5, $NF}' listing > l2 && mv l2 listing\n"),
        Arguments.of("many-files-long-paths", "RUN mkdir -p /m && cd /m && i=0 && while [ $i -lt 500 ];"
            + " do echo $i > f$i; i=$((i+1)); done && p=" + "directory-name-of-32-characters-/".repeat(9)
            + " && mkdir -p /long/$p && echo deep > /long/$p/file\n"
            + "RUN rm /m/f1* && echo changed > /m/f2 && touch -d @0 /m/f3\n"),
        // the next step sees the times the layer holds (whole seconds, clamped), as with overlayfs
        Arguments.of("times-seen-by-the-next-step", "RUN echo a > /a && touch -d '2023-11-14 22:13:20' /b\n"
            + "RUN stat -c '%n %Y %y' /a /b > /times\n"
            + "RUN ln /a /a2 && echo c >> /a\nRUN stat -c '%n %h %Y' /a /a2 > /links\n"),
        Arguments.of("copy-and-run", "COPY ctx.txt /etc/ctx.txt\nRUN cat /etc/ctx.txt >> /etc/motd"
            + " && rm /etc/ctx.txt\n"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("dockerfiles")
  void bothSnapshottersGiveTheSameLayers(String name, String steps) throws IOException {
    String dockerfile = "FROM busybox:test\n" + steps;
    List<String> fromOverlay = layers(overlayRoot, build(overlayRoot, overlay, name, dockerfile));
    List<String> fromCopy = layers(copyRoot, build(copyRoot, copy, name, dockerfile));
    assertThat(fromCopy).hasSize(fromOverlay.size());
    for (int i = 0; i < fromOverlay.size(); i++) {
      if (!fromOverlay.get(i).equals(fromCopy.get(i))) {
        assertThat(describe(copyRoot, fromCopy.get(i))).as("layer %d", i)
            .isEqualTo(describe(overlayRoot, fromOverlay.get(i)));
      }
    }
    assertThat(fromCopy).isEqualTo(fromOverlay);
  }

  @Test
  void eachStepTakesOverTheCopyOfTheStepBefore() throws IOException {
    JbuildRoot own = new JbuildRoot(tmp.resolve("reuse-root"));
    SandboxTest.storeBusybox(own, "busybox:test");
    try (NamespaceSandbox sandbox = new NamespaceSandbox(own, events::add, "copy")) {
      build(own, sandbox, "reuse", "FROM busybox:test\nRUN echo 1 > /one\nRUN echo 2 > /two\n"
          + "COPY ctx.txt /ctx.txt\nRUN cat /one /two /ctx.txt > /all\n");
      // Linear steps leave one kept copy (each step took over the one before); a copy that
      // nobody took would still be there beside it.
      assertThat(keptCopies(own)).hasSize(1);
      sandbox.prune(List.of(), Duration.ZERO, true);
    }
    assertThat(keptCopies(own)).isEmpty(); // the worker removes them when it exits
  }

  private static List<Path> keptCopies(JbuildRoot root) throws IOException {
    try (Stream<Path> s = Files.list(root.tmp())) {
      return s.filter(p -> p.getFileName().toString().matches("run-[0-9]+-k[0-9]+"))
          .collect(Collectors.toList());
    }
  }

  private static BuildResult build(JbuildRoot root, NamespaceSandbox sandbox, String name,
      String dockerfile) throws IOException {
    Path ctx = tmp.resolve(root.dir().getFileName() + "-" + name);
    Files.createDirectories(ctx);
    Files.writeString(ctx.resolve("Dockerfile"), dockerfile);
    Files.writeString(ctx.resolve("ctx.txt"), "from the context\n");
    return new Builder(root, RegistryOptions.defaults(), sandbox, events::add)
        .build(BuildRequest.builder(ctx).pull(PullPolicy.NEVER).sourceDateEpoch(EPOCH).build());
  }

  /** The image's layer digests, bottom first. */
  private static List<String> layers(JbuildRoot root, BuildResult r) throws IOException {
    ImageManifest m = BlobStore.open(root).readManifest(r.manifest().digest()).value();
    return m.layers().stream().map(Descriptor::digest).map(Object::toString)
        .collect(Collectors.toList());
  }

  /** A layer's entries, one line each, for a readable failure. */
  private static String describe(JbuildRoot root, String digest) throws IOException {
    Path blob = BlobStore.open(root).path(dev.jbuild.oci.Digest.parse(digest));
    StringBuilder sb = new StringBuilder();
    try (LayerReader reader = LayerReader.open(blob)) {
      for (LayerEntry e = reader.next(); e != null; e = reader.next()) {
        sb.append(e).append(" mtime=").append(e.mtime().getEpochSecond());
        if (e.type() == EntryType.FILE && e.size() < 200) {
          try (InputStream in = e.content().open()) {
            sb.append(' ').append(new String(in.readAllBytes(), StandardCharsets.UTF_8)
                .replace("\n", "\\n"));
          }
        }
        sb.append('\n');
      }
    }
    return sb.toString();
  }
}
