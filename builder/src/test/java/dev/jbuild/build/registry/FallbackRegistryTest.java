package dev.jbuild.build.registry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.jbuild.build.event.BuildEvent;
import dev.jbuild.oci.Digest;
import dev.jbuild.oci.MediaTypes;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.LongConsumer;
import org.junit.jupiter.api.Test;

class FallbackRegistryTest {

  /** A registry that serves one manifest, or fails every request with a status. */
  private static final class FakeRegistry implements Registry {
    final String name;
    final int failStatus;
    final List<String> calls = new ArrayList<>();

    FakeRegistry(String name, int failStatus) {
      this.name = name;
      this.failStatus = failStatus;
    }

    private void maybeFail(String call) {
      calls.add(call);
      if (failStatus > 0) {
        throw new RegistryException(name, "repo", failStatus, name + " failed with " + failStatus);
      }
    }

    @Override
    public String name() {
      return name;
    }

    @Override
    public RemoteManifest pullManifest(String tagOrDigest) {
      maybeFail("manifest " + tagOrDigest);
      byte[] bytes = ("{\"from\":\"" + name + "\"}").getBytes(StandardCharsets.UTF_8);
      return new RemoteManifest(bytes, MediaTypes.OCI_MANIFEST, Digest.of(bytes));
    }

    @Override
    public Optional<Long> checkBlob(Digest digest) {
      maybeFail("check");
      return Optional.of(1L);
    }

    @Override
    public void pullBlob(Digest digest, Path target, LongConsumer progress) {
      maybeFail("blob");
    }

    @Override
    public boolean pushBlob(Digest digest, Path file, Optional<String> mountFrom, LongConsumer progress) {
      maybeFail("push blob");
      return false;
    }

    @Override
    public Digest pushManifest(byte[] manifest, String mediaType, String tagOrDigest) {
      maybeFail("push manifest");
      return Digest.of(manifest);
    }

    @Override
    public void close() {}
  }

  @Test
  void brokenMirrorFallsBackOnceWithAWarning() {
    FakeRegistry mirror = new FakeRegistry("mirror", 503);
    FakeRegistry origin = new FakeRegistry("origin", 0);
    List<BuildEvent> events = new ArrayList<>();
    FallbackRegistry r =
        new FallbackRegistry(
            "origin/repo",
            List.of(
                new FallbackRegistry.Candidate("mirror/repo", () -> mirror),
                new FallbackRegistry.Candidate("origin/repo", () -> origin)),
            events::add);
    assertThat(new String(r.pullManifest("1").bytes(), StandardCharsets.UTF_8)).contains("origin");
    r.pullBlob(Digest.of(new byte[0]), Path.of("x"), n -> {});
    assertThat(mirror.calls).containsExactly("manifest 1");
    assertThat(origin.calls).containsExactly("manifest 1", "blob");
    assertThat(events).singleElement().isInstanceOf(BuildEvent.Warning.class);
    assertThat(((BuildEvent.Warning) events.get(0)).message())
        .contains("mirror mirror/repo failed")
        .contains("falling back to origin/repo");
  }

  @Test
  void healthyMirrorServesEverythingAndPushesGoToTheRegistry() {
    FakeRegistry mirror = new FakeRegistry("mirror", 0);
    FakeRegistry origin = new FakeRegistry("origin", 0);
    FallbackRegistry r =
        new FallbackRegistry(
            "origin/repo",
            List.of(
                new FallbackRegistry.Candidate("mirror/repo", () -> mirror),
                new FallbackRegistry.Candidate("origin/repo", () -> origin)),
            e -> {});
    r.pullManifest("1");
    r.pushManifest(new byte[] {'{', '}'}, MediaTypes.OCI_MANIFEST, "1");
    assertThat(mirror.calls).containsExactly("manifest 1");
    assertThat(origin.calls).containsExactly("push manifest");
  }

  @Test
  void theRegistrysOwnErrorIsTheOneReported() {
    FallbackRegistry r =
        new FallbackRegistry(
            "origin/repo",
            List.of(
                new FallbackRegistry.Candidate("mirror/repo", () -> new FakeRegistry("mirror", 500)),
                new FallbackRegistry.Candidate("origin/repo", () -> new FakeRegistry("origin", 404))),
            e -> {});
    assertThatThrownBy(() -> r.pullManifest("1")).hasMessage("origin failed with 404");
  }
}
