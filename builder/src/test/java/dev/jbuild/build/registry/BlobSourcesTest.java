package dev.jbuild.build.registry;

import static org.assertj.core.api.Assertions.assertThat;

import dev.jbuild.cache.JbuildRoot;
import dev.jbuild.oci.Digest;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BlobSourcesTest {

  @TempDir Path root;

  @Test
  void remembersRepositoriesMostRecentFirstAndPicksAnotherRepositoryOfTheSameRegistry() {
    BlobSources sources = new BlobSources(new JbuildRoot(root));
    Digest d = Digest.of(new byte[] {1});
    assertThat(sources.mountSource(d, "r:5000", "app")).isEmpty();
    sources.add(d, "other:1", "base");
    sources.add(d, "r:5000", "base/busybox");
    sources.add(d, "r:5000", "app");
    assertThat(sources.sources(d)).containsExactly("r:5000/app", "r:5000/base/busybox", "other:1/base");
    assertThat(sources.mountSource(d, "r:5000", "app")).contains("base/busybox");
    assertThat(sources.mountSource(d, "r:5000", "new")).contains("app");
    assertThat(sources.mountSource(d, "third", "app")).isEmpty();
  }
}
