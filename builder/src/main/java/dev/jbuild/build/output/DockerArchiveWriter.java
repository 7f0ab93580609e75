package dev.jbuild.build.output;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.github.luben.zstd.ZstdInputStream;
import dev.jbuild.cache.AtomicFile;
import dev.jbuild.cache.BlobStore;
import dev.jbuild.cache.CacheException;
import dev.jbuild.cache.CorruptBlobException;
import dev.jbuild.oci.Descriptor;
import dev.jbuild.oci.Digest;
import dev.jbuild.oci.ImageConfig;
import dev.jbuild.oci.ImageIndex;
import dev.jbuild.oci.ImageManifest;
import dev.jbuild.oci.MediaTypes;
import dev.jbuild.oci.RawJson;
import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.DigestOutputStream;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.zip.GZIPInputStream;

/**
 * Writes a docker-archive as Docker 25+ {@code docker save} does: {@code manifest.json} and
 * {@code repositories} for {@code docker load}, {@code podman load} and {@code skopeo
 * docker-archive:}, over an OCI layout ({@code oci-layout}, {@code index.json},
 * {@code blobs/sha256/…}) so the same file also reads as an OCI archive. Layers are stored
 * uncompressed, named by diffID, as docker-archive readers expect them; each is checked
 * against the config's diffID while it is decompressed.
 */
final class DockerArchiveWriter {

  private static final ObjectMapper JSON = new ObjectMapper();

  private final BlobStore store;

  DockerArchiveWriter(BlobStore store) {
    this.store = store;
  }

  void write(Descriptor manifestDesc, List<String> fullNames, Path dest) {
    Path target = dest.toAbsolutePath().normalize();
    if (Files.isDirectory(target)) {
      throw new ExportException(dest, dest + " is a directory; a docker-archive is a file.");
    }
    try {
      Files.createDirectories(target.getParent());
    } catch (IOException e) {
      throw new ExportException(dest, "cannot create " + target.getParent() + ": " + e, e);
    }
    // layers are uncompressed into temp files beside the destination (same filesystem)
    try (AtomicFile f = AtomicFile.create(target)) {
      write(manifestDesc, fullNames, f.stream(), target.getParent(), dest);
      f.commit();
    } catch (CacheException e) {
      throw new ExportException(dest, e.getMessage(), e);
    }
  }

  /**
   * Writes the archive to {@code out} (not closed), uncompressing layers into temporary files
   * in {@code tempDir} first; {@code dest} only names the destination in errors.
   */
  void write(Descriptor manifestDesc, List<String> fullNames, OutputStream out, Path tempDir,
      Path dest) {
    List<Path> temps = new ArrayList<>();
    try {
      ImageManifest manifest = store.readManifest(manifestDesc.digest()).value();
      RawJson<ImageConfig> config = store.readConfig(manifest.config().digest());
      List<Digest> diffIds = config.value().rootfs().diffIds();
      if (diffIds.size() != manifest.layers().size()) {
        throw new ExportException(dest, "image " + manifestDesc.digest() + " has "
            + manifest.layers().size() + " layers but its config lists " + diffIds.size()
            + " diffIDs; the image is inconsistent and cannot be saved as a docker-archive.");
      }
      Map<Digest, Path> layerFiles = new LinkedHashMap<>();
      for (int i = 0; i < diffIds.size(); i++) {
        Digest diffId = diffIds.get(i);
        if (layerFiles.containsKey(diffId)) {
          continue;
        }
        Path temp = Files.createTempFile(tempDir, ".docker-archive.layer-", ".tmp");
        temps.add(temp);
        uncompress(manifest.layers().get(i), diffId, temp, dest);
        layerFiles.put(diffId, temp);
      }
      writeTar(out, config, diffIds, layerFiles, fullNames);
    } catch (CacheException e) {
      throw new ExportException(dest, e.getMessage(), e);
    } catch (IOException e) {
      throw new ExportException(dest, "cannot write the docker-archive " + dest + ": " + e
          + ". Nothing was written.", e);
    } finally {
      for (Path t : temps) {
        try {
          Files.deleteIfExists(t);
        } catch (IOException ignored) {
          // a leftover temp file is harmless next to the reported failure
        }
      }
    }
  }

  private void uncompress(Descriptor layer, Digest diffId, Path temp, Path dest)
      throws IOException {
    MessageDigest sha = Digest.newSha256();
    try (InputStream raw = store.open(layer.digest());
        InputStream in = decompressor(layer, raw);
        OutputStream out = new DigestOutputStream(Files.newOutputStream(temp), sha)) {
      in.transferTo(out);
      // drain the compressed stream too, so the store verifies the blob at its end
      raw.transferTo(OutputStream.nullOutputStream());
    } catch (CorruptBlobException e) {
      throw new ExportException(dest, e.getMessage(), e);
    } catch (IOException e) {
      // a decompressor failing on damaged data: check the blob to say which one and why
      try {
        store.verify(layer.digest());
      } catch (CacheException corrupt) {
        throw new ExportException(dest, corrupt.getMessage(), corrupt);
      }
      throw new ExportException(dest, "layer " + layer.digest() + " (" + layer.mediaType()
          + ", " + store.path(layer.digest()) + ") cannot be decompressed: " + e.getMessage()
          + ". The image is damaged; rebuild or pull it again.", e);
    }
    Digest actual = Digest.sha256(sha.digest());
    if (!actual.equals(diffId)) {
      throw new ExportException(dest, "layer " + layer.digest() + " uncompresses to " + actual
          + " but the image config says " + diffId + ". The image is inconsistent; rebuild it.");
    }
  }

  private static InputStream decompressor(Descriptor layer, InputStream raw) throws IOException {
    String type = layer.mediaType();
    BufferedInputStream in = new BufferedInputStream(raw, 64 * 1024);
    if (type.endsWith("gzip")) {
      return new GZIPInputStream(in, 64 * 1024);
    }
    if (type.endsWith("zstd")) {
      return new ZstdInputStream(in);
    }
    if (type.equals(MediaTypes.OCI_LAYER) || type.endsWith(".tar")) {
      return in;
    }
    // unknown media type: go by the magic bytes
    in.mark(4);
    byte[] magic = in.readNBytes(4);
    in.reset();
    if (magic.length >= 2 && (magic[0] & 0xff) == 0x1f && (magic[1] & 0xff) == 0x8b) {
      return new GZIPInputStream(in, 64 * 1024);
    }
    if (magic.length == 4 && (magic[0] & 0xff) == 0x28 && (magic[1] & 0xff) == 0xb5
        && (magic[2] & 0xff) == 0x2f && (magic[3] & 0xff) == 0xfd) {
      return new ZstdInputStream(in);
    }
    return in;
  }

  private void writeTar(OutputStream out, RawJson<ImageConfig> config, List<Digest> diffIds,
      Map<Digest, Path> layerFiles, List<String> fullNames) throws IOException {
    List<Descriptor> layerDescs = new ArrayList<>();
    for (Digest id : diffIds) {
      layerDescs.add(Descriptor.of(MediaTypes.OCI_LAYER, id, Files.size(layerFiles.get(id))));
    }
    Descriptor configDesc = config.descriptor(MediaTypes.OCI_CONFIG);
    RawJson<ImageManifest> ociManifest =
        RawJson.of(ImageManifest.oci(configDesc, layerDescs));

    // blobs, sorted by digest
    TreeMap<Digest, Object> blobs = new TreeMap<>();
    blobs.put(configDesc.digest(), config.bytes());
    blobs.put(ociManifest.digest(), ociManifest.bytes());
    layerFiles.forEach(blobs::put);

    DeterministicTar tar = new DeterministicTar(new OciLayoutWriter.NonClosing(out));
    tar.directory("blobs");
    tar.directory("blobs/sha256");
    for (Map.Entry<Digest, Object> e : blobs.entrySet()) {
      String name = "blobs/sha256/" + e.getKey().hex();
      if (e.getValue() instanceof byte[]) {
        tar.file(name, (byte[]) e.getValue());
      } else {
        Path file = (Path) e.getValue();
        try (InputStream in = Files.newInputStream(file)) {
          tar.file(name, Files.size(file), in);
        }
      }
    }
    tar.file("index.json", ImageIndex.oci(Names.layoutEntries(ociManifest.descriptor(),
        fullNames)).toJson());
    tar.file("manifest.json", manifestJson(configDesc, diffIds, fullNames));
    tar.file("oci-layout", OciLayoutWriter.OCI_LAYOUT);
    byte[] repositories = repositoriesJson(diffIds, fullNames);
    if (repositories != null) {
      tar.file("repositories", repositories);
    }
    tar.close();
  }

  /** {@code [{"Config":…,"RepoTags":[…],"Layers":[…]}]}, docker save's manifest.json. */
  private static byte[] manifestJson(Descriptor config, List<Digest> diffIds,
      List<String> fullNames) throws IOException {
    ByteArrayOutputStream buf = new ByteArrayOutputStream();
    try (JsonGenerator g = JSON.getFactory().createGenerator(buf)) {
      g.writeStartArray();
      g.writeStartObject();
      g.writeStringField("Config", "blobs/sha256/" + config.digest().hex());
      g.writeArrayFieldStart("RepoTags");
      for (String tag : repoTags(fullNames)) {
        g.writeString(tag);
      }
      g.writeEndArray();
      g.writeArrayFieldStart("Layers");
      for (Digest id : diffIds) {
        g.writeString("blobs/sha256/" + id.hex());
      }
      g.writeEndArray();
      g.writeEndObject();
      g.writeEndArray();
    }
    return buf.toByteArray();
  }

  static List<String> repoTags(List<String> fullNames) {
    LinkedHashSet<String> tags = new LinkedHashSet<>();
    for (String n : fullNames) {
      String familiar = Names.familiar(n);
      if (familiar != null) {
        tags.add(familiar);
      }
    }
    return new ArrayList<>(tags);
  }

  /** {@code {"repo":{"tag":"<top layer>"}}}, the legacy file docker load still reads. */
  private static byte[] repositoriesJson(List<Digest> diffIds, List<String> fullNames)
      throws IOException {
    List<String> tags = repoTags(fullNames);
    if (tags.isEmpty() || diffIds.isEmpty()) {
      return null;
    }
    Map<String, Map<String, String>> repos = new TreeMap<>();
    String top = diffIds.get(diffIds.size() - 1).hex();
    for (String t : tags) {
      int colon = t.lastIndexOf(':');
      repos.computeIfAbsent(t.substring(0, colon), k -> new TreeMap<>())
          .put(t.substring(colon + 1), top);
    }
    return JSON.writeValueAsBytes(repos);
  }
}
