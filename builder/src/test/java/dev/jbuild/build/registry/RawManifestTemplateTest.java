package dev.jbuild.build.registry;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.cloud.tools.jib.blob.Blobs;
import com.google.cloud.tools.jib.hash.Digests;
import dev.jbuild.oci.Digest;
import dev.jbuild.oci.MediaTypes;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** Jib serialises the template to exactly our bytes, so the registry sees our digest. */
class RawManifestTemplateTest {

  @Test
  void jibWritesTheRawBytes() throws Exception {
    byte[] bytes =
        ("{ \"schemaVersion\" : 2,\n\t\"mediaType\": \"" + MediaTypes.OCI_MANIFEST + "\","
                + " \"annotations\": {\"z\": \"\\u00e9\", \"a\": \"é\"}, \"layers\": [] }\n")
            .getBytes(StandardCharsets.UTF_8);
    RawManifestTemplate template = new RawManifestTemplate(bytes, MediaTypes.OCI_MANIFEST);
    assertThat(Blobs.writeToByteArray(Blobs.from(template))).isEqualTo(bytes);
    assertThat(Digests.computeJsonDigest(template).toString()).isEqualTo(Digest.of(bytes).toString());
    assertThat(template.getManifestMediaType()).isEqualTo(MediaTypes.OCI_MANIFEST);
  }
}
