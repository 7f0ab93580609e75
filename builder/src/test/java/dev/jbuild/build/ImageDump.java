package dev.jbuild.build;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.Map;
import java.util.TreeMap;
import java.util.zip.GZIPInputStream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;

/**
 * The image in an OCI layout directory (one manifest) as a comparable value: its config
 * (canonical JSON, sorted keys) and its flattened file tree, whiteouts applied. Used by the
 * corpus golden test and by the buildah differential test on both tools' output.
 *
 * @param config the image config without {@code created}, {@code architecture}, {@code os},
 *     {@code variant} and {@code rootfs}; history keeps {@code created_by} and {@code empty_layer}
 * @param files path (no leading slash) to its entry, in path order
 */
record ImageDump(JsonNode config, Map<String, FileRow> files) {

  static final ObjectMapper JSON =
      new ObjectMapper().enable(SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS)
          .enable(SerializationFeature.INDENT_OUTPUT);

  /** One file of the flattened tree. */
  record FileRow(String type, int mode, long uid, long gid, long size, String sha256,
      String link) {
    String text() {
      return String.format("%s %04o %d:%d %d %s%s", type, mode, uid, gid, size,
          sha256.isEmpty() ? "-" : sha256.substring(0, 16), link.isEmpty() ? "" : " -> " + link);
    }
  }

  /** Reads the layout's single image (the first manifest of {@code index.json}). */
  static ImageDump read(Path layout) throws IOException {
    JsonNode index = JSON.readTree(layout.resolve("index.json").toFile());
    JsonNode manifest = blob(layout, index.get("manifests").get(0).get("digest").asText());
    if (manifest.has("manifests")) {
      manifest = blob(layout, manifest.get("manifests").get(0).get("digest").asText());
    }
    ObjectNode config = (ObjectNode) blob(layout, manifest.get("config").get("digest").asText());
    for (String f : new String[] {"created", "architecture", "os", "variant", "rootfs"}) {
      config.remove(f);
    }
    if (config.has("history")) {
      for (JsonNode h : config.get("history")) {
        ObjectNode o = (ObjectNode) h;
        o.remove("created");
        o.remove("comment");
      }
    }
    Map<String, FileRow> files = new TreeMap<>();
    for (JsonNode layer : manifest.get("layers")) {
      Path p = path(layout, layer.get("digest").asText());
      String media = layer.get("mediaType").asText();
      InputStream raw = new BufferedInputStream(Files.newInputStream(p));
      InputStream in = media.endsWith("gzip") ? new GZIPInputStream(raw, 65536) : raw;
      if (media.endsWith("zstd")) {
        raw.close();
        throw new IOException("zstd layers are not read by ImageDump: " + layer);
      }
      try (TarArchiveInputStream tar = new TarArchiveInputStream(in)) {
        apply(tar, files);
      }
    }
    return new ImageDump(sorted(config), files);
  }

  private static void apply(TarArchiveInputStream tar, Map<String, FileRow> files)
      throws IOException {
    TarArchiveEntry e;
    while ((e = tar.getNextTarEntry()) != null) {
      String path = clean(e.getName());
      if (path.isEmpty()) {
        continue;
      }
      int slash = path.lastIndexOf('/');
      String dir = slash < 0 ? "" : path.substring(0, slash);
      String base = path.substring(slash + 1);
      if (base.equals(".wh..wh..opq")) {
        files.keySet().removeIf(k -> k.startsWith(dir + "/"));
        continue;
      }
      if (base.startsWith(".wh.")) {
        String gone = (dir.isEmpty() ? "" : dir + "/") + base.substring(4);
        files.remove(gone);
        files.keySet().removeIf(k -> k.startsWith(gone + "/"));
        continue;
      }
      String type;
      String link = "";
      long size = 0;
      String sha = "";
      if (e.isDirectory()) {
        type = "dir";
      } else if (e.isSymbolicLink()) {
        type = "symlink";
        link = e.getLinkName();
      } else if (e.isLink()) {
        type = "hardlink";
        link = clean(e.getLinkName());
        FileRow target = files.get(link);
        if (target != null) {
          size = target.size();
          sha = target.sha256();
        }
      } else if (e.isFIFO()) {
        // before isFile(): commons-compress calls any entry not ending in "/" a file
        type = "fifo";
      } else if (e.isCharacterDevice() || e.isBlockDevice()) {
        type = e.isCharacterDevice() ? "chardev" : "blockdev";
      } else if (e.isFile()) {
        type = "file";
        size = e.getSize();
        sha = sha256(tar);
      } else {
        type = "other";
      }
      if (!type.equals("dir")) {
        String prefix = path + "/";
        files.keySet().removeIf(k -> k.startsWith(prefix));
      }
      files.put(path, new FileRow(type, e.getMode() & 07777, e.getLongUserId(),
          e.getLongGroupId(), size, sha, link));
    }
  }

  private static String clean(String name) {
    String s = name;
    while (s.startsWith("./") || s.startsWith("/")) {
      s = s.startsWith("./") ? s.substring(2) : s.substring(1);
    }
    while (s.endsWith("/")) {
      s = s.substring(0, s.length() - 1);
    }
    return s.equals(".") ? "" : s;
  }

  private static String sha256(InputStream in) throws IOException {
    try {
      MessageDigest md = MessageDigest.getInstance("SHA-256");
      byte[] buf = new byte[65536];
      int n;
      while ((n = in.read(buf)) > 0) {
        md.update(buf, 0, n);
      }
      return HexFormat.of().formatHex(md.digest());
    } catch (NoSuchAlgorithmException ex) {
      throw new IllegalStateException(ex);
    }
  }

  private static Path path(Path layout, String digest) {
    int colon = digest.indexOf(':');
    return layout.resolve("blobs").resolve(digest.substring(0, colon))
        .resolve(digest.substring(colon + 1));
  }

  private static JsonNode blob(Path layout, String digest) throws IOException {
    return JSON.readTree(path(layout, digest).toFile());
  }

  private static JsonNode sorted(JsonNode n) {
    return JSON.valueToTree(JSON.convertValue(n, Object.class));
  }

  /** The golden text: config JSON, then one line per file. */
  String text() throws IOException {
    StringBuilder sb = new StringBuilder("# config\n");
    sb.append(JSON.writeValueAsString(JSON.convertValue(config, Object.class))
        .replace("\r\n", "\n")).append('\n');
    sb.append("# files (type mode uid:gid size sha256-prefix [-> link])\n");
    for (Iterator<Map.Entry<String, FileRow>> it = files.entrySet().iterator(); it.hasNext(); ) {
      Map.Entry<String, FileRow> e = it.next();
      sb.append('/').append(e.getKey()).append(' ').append(e.getValue().text()).append('\n');
    }
    return sb.toString();
  }
}
