package dev.jbuild.build.output;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.jbuild.oci.Descriptor;
import dev.jbuild.oci.Digest;
import dev.jbuild.oci.MediaTypes;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

class NamesTest {

  @Test
  void layoutEntriesFollowContainerd() {
    Descriptor root = Descriptor.of(MediaTypes.OCI_MANIFEST, new Digest("sha256", "a".repeat(64)),
        10);
    List<Descriptor> entries = Names.layoutEntries(root,
        Names.normalize(List.of("app:1", "docker.io/library/app:1", "ghcr.io/o/app"), Path.of(".")));
    assertThat(entries).extracting(d -> d.annotation(Descriptor.REF_NAME))
        .containsExactly("1", "latest");
    assertThat(entries).extracting(d -> d.annotation(Descriptor.CONTAINERD_IMAGE_NAME))
        .containsExactly("docker.io/library/app:1", "ghcr.io/o/app:latest");
    assertThat(Names.layoutEntries(root, List.of())).containsExactly(root);
    assertThat(Names.ociRefName("localhost:5000/a/b:2")).isEqualTo("2");
    assertThat(Names.ociRefName("localhost:5000/a/b@sha256:" + "1".repeat(64)))
        .isEqualTo("localhost:5000/a/b@sha256:" + "1".repeat(64));
  }

  @Test
  void repoTagsAreFamiliar() {
    assertThat(DockerArchiveWriter.repoTags(List.of("docker.io/library/app:1",
        "docker.io/user/app:2", "localhost:5000/x:3", "quay.io/a/b@sha256:" + "2".repeat(64))))
        .containsExactly("app:1", "user/app:2", "localhost:5000/x:3");
  }

  @Test
  void targetsByType() {
    Path p = Path.of("out");
    assertThat(ExportTarget.of("oci", p)).isEqualTo(new ExportTarget.OciDirectory(p));
    assertThat(ExportTarget.of("oci-archive", p)).isEqualTo(new ExportTarget.OciArchive(p));
    assertThat(ExportTarget.of("docker-archive", p)).isEqualTo(new ExportTarget.DockerArchive(p));
    assertThatThrownBy(() -> ExportTarget.of("tarball", p))
        .hasMessageContaining("expected oci, oci-archive or docker-archive");
    assertThatThrownBy(() -> Names.normalize(List.of("Bad Name"), p))
        .isInstanceOf(ExportException.class);
  }
}
