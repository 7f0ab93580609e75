package dev.jbuild.maven;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.jbuild.build.JbuildException;
import dev.jbuild.cache.AtomicFile;
import dev.jbuild.oci.Digest;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The files a build leaves in {@code target/}, as Jib leaves {@code jib-image.*}: {@code
 * jbuild-image.digest} (the manifest or index digest), {@code jbuild-image.id} (the image ID,
 * the config digest) and {@code jbuild-image.json} ({@code image}, {@code imageId}, {@code
 * imageDigest}, {@code tags}, {@code imagePushed}). Each is written whole or not at all.
 */
final class ImageFiles {

  static final String DIGEST = "jbuild-image.digest";
  static final String ID = "jbuild-image.id";
  static final String JSON = "jbuild-image.json";

  private static final ObjectMapper MAPPER =
      new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

  private ImageFiles() {}

  /**
   * @param image the primary name
   * @param tags every tag of that repository, in order
   */
  static void write(
      Path dir, String image, Digest imageId, Digest digest, List<String> tags, boolean pushed) {
    Map<String, Object> json = new LinkedHashMap<>();
    json.put("image", image);
    json.put("imageId", imageId.toString());
    json.put("imageDigest", digest.toString());
    json.put("tags", tags);
    json.put("imagePushed", pushed);
    try {
      Files.createDirectories(dir);
      AtomicFile.write(dir.resolve(DIGEST), digest.toString().getBytes(StandardCharsets.UTF_8));
      AtomicFile.write(dir.resolve(ID), imageId.toString().getBytes(StandardCharsets.UTF_8));
      AtomicFile.write(dir.resolve(JSON), (MAPPER.writeValueAsString(json) + "\n").getBytes(StandardCharsets.UTF_8));
    } catch (IOException e) {
      throw new JbuildException("cannot write " + dir.resolve(JSON) + ": " + e.getMessage(), e);
    }
  }
}
