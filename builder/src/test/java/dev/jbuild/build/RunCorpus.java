package dev.jbuild.build;

import dev.jbuild.build.registry.testing.TestImages;
import dev.jbuild.cache.BlobStore;
import dev.jbuild.cache.ImageStore;
import dev.jbuild.cache.JbuildRoot;
import dev.jbuild.dockerfile.Diagnostic;
import dev.jbuild.dockerfile.DiagnosticRenderer;
import dev.jbuild.dockerfile.DockerfileException;
import dev.jbuild.layer.EntryType;
import dev.jbuild.layer.LayerEntry;
import dev.jbuild.layer.LayerReader;
import dev.jbuild.layer.Whiteouts;
import dev.jbuild.oci.Descriptor;
import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Stream;

/**
 * The RUN corpus ({@code testdata/run/CASE}): the cases, the busybox base image every case's
 * {@code FROM busybox} finds in the local store, and the golden text of a built image.
 *
 * <p>A case directory holds a {@code Dockerfile} with its context, and optionally {@code args}
 * (one {@code NAME=VALUE} build argument a line) and {@code target}, as in {@code
 * testdata/build}, and {@code secrets} (one {@code --secret} value a line, {@code src}
 * relative to the case directory). Its {@code expected} golden is either {@code # error} and the error as the
 * CLI renders it, or the image: config and flattened file tree ({@link ImageDump}), then every
 * entry of the layers the build added (whiteouts, mtimes and xattrs included), then the
 * content of the small text files that differ from the base image.
 */
final class RunCorpus {

  /** The name the cases' {@code FROM} uses for {@link TestImages#busyboxTar()}. */
  static final String BASE = "busybox";

  /** Text files up to this size have their content in the golden. */
  static final int SHOWN_SIZE = 512;

  /** At most this many contents per golden (the many-files case has thousands). */
  static final int SHOWN_FILES = 60;

  private RunCorpus() {}

  static Path dir() {
    return Path.of(System.getProperty("jbuild.testdata.dir", "../testdata")).resolve("run");
  }

  static List<Path> cases() throws IOException {
    try (Stream<Path> s = Files.list(dir())) {
      return s.filter(Files::isDirectory).sorted().toList();
    }
  }

  /** Stores the busybox test image in {@code root}'s local store under {@link #BASE}. */
  static Descriptor storeBase(JbuildRoot root) {
    TestImages.Image image = TestImages.busybox(Builder.defaultPlatform());
    BlobStore blobs = BlobStore.open(root);
    for (TestImages.Blob b : image.blobs()) {
      blobs.put(b.bytes());
    }
    blobs.put(image.manifest().bytes());
    Descriptor manifest = image.manifest().descriptor();
    new ImageStore(blobs).tag(BASE, manifest);
    return manifest;
  }

  /**
   * Deletes a jbuild root. Unprivileged, its extracted layers belong to subordinate ids, so the
   * removal runs in a user namespace with the user's whole range mapped, as {@code jbuild
   * prune} does.
   */
  static void deleteRoot(Path dir) throws IOException, InterruptedException {
    if (!Files.exists(dir)) {
      return;
    }
    List<String> cmd = "root".equals(System.getProperty("user.name"))
        ? List.of("rm", "-rf", dir.toString())
        : List.of("unshare", "--user", "--map-root-user", "--map-auto", "rm", "-rf", dir.toString());
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (p.waitFor() != 0 || Files.exists(dir)) {
      throw new IOException("cannot delete " + dir + ": " + cmd + ": " + out);
    }
  }

  /** The diffIDs of the base image's layers: the golden lists only the layers after them. */
  static Set<String> baseDiffIds() {
    return Set.of(dev.jbuild.oci.Digest.of(TestImages.busyboxTar()).toString());
  }

  /** The golden text of a failed build: the error as {@code jbuild build} prints it. */
  static String errorText(RuntimeException e, Path dockerfile) throws IOException {
    List<String> lines = Files.readAllLines(dockerfile, StandardCharsets.UTF_8);
    StringBuilder sb = new StringBuilder("# error\n");
    if (e instanceof DockerfileException) {
      for (Diagnostic d : ((DockerfileException) e).diagnostics()) {
        sb.append(DiagnosticRenderer.render(d, lines));
      }
    } else if (e instanceof BuildStepException) {
      BuildStepException b = (BuildStepException) e;
      sb.append(DiagnosticRenderer.render(Diagnostic.error(b.getMessage(), b.span()), lines));
    } else if (e instanceof JbuildException) {
      sb.append("error: ").append(e.getMessage()).append('\n');
    } else {
      throw e;
    }
    return sb.toString();
  }

  /** The golden text of the image in an OCI layout. */
  static String imageText(Path layout) throws IOException {
    ImageDump dump = ImageDump.read(layout);
    String full = dump.text();
    StringBuilder sb = new StringBuilder(full.substring(0, full.indexOf("# files")));
    JsonNode manifest = manifest(layout);
    JsonNode config = ImageDump.JSON.readTree(blob(layout, manifest.get("config").get("digest").asText()).toFile());
    JsonNode diffIds = config.path("rootfs").path("diff_ids");
    Set<String> base = baseDiffIds();
    boolean onBase = diffIds.size() > 0 && base.contains(diffIds.get(0).asText());
    sb.append(onBase
        ? "# files (type mode uid:gid size sha256-prefix [-> link]; the base image's unchanged"
            + " ones left out, its removed ones absent)\n"
        : "# files (type mode uid:gid size sha256-prefix [-> link])\n");
    Map<String, ImageDump.FileRow> baseRows = onBase ? baseRows() : Map.of();
    java.util.TreeSet<String> paths = new java.util.TreeSet<>(dump.files().keySet());
    paths.addAll(baseRows.keySet());
    for (String path : paths) {
      ImageDump.FileRow row = dump.files().get(path);
      ImageDump.FileRow before = baseRows.get(path);
      if (row == null) {
        sb.append('/').append(path).append(" absent\n");
      } else if (before == null || !before.text().equals(row.text())) {
        sb.append('/').append(path).append(' ').append(row.text()).append('\n');
      }
    }
    sb.append("# layers after the base image (path type mode uid:gid size mtime [-> link] [xattrs])\n");
    Map<String, String> texts = new TreeMap<>();
    JsonNode layers = manifest.get("layers");
    for (int i = 0; i < layers.size(); i++) {
      Path p = blob(layout, layers.get(i).get("digest").asText());
      boolean show = !base.contains(diffIds.path(i).asText());
      if (show) {
        sb.append("## layer ").append(i).append('\n');
      }
      try (LayerReader r = LayerReader.open(p)) {
        LayerEntry e;
        while ((e = r.next()) != null) {
          track(e, texts);
          if (show) {
            sb.append(entryText(e)).append('\n');
          }
        }
      }
    }
    sb.append("# contents (text files up to ").append(SHOWN_SIZE).append(" bytes, base image's unchanged ones left out)\n");
    Map<String, String> baseTexts = onBase ? baseTexts() : Map.of();
    int shown = 0;
    int left = 0;
    for (Map.Entry<String, String> t : texts.entrySet()) {
      if (t.getValue().equals(baseTexts.get(t.getKey()))) {
        continue;
      }
      if (shown++ < SHOWN_FILES) {
        sb.append('/').append(t.getKey()).append(": ").append(quote(t.getValue())).append('\n');
      } else {
        left++;
      }
    }
    if (left > 0) {
      sb.append("… and ").append(left).append(" more\n");
    }
    return sb.toString();
  }

  private static Map<String, String> baseTexts;
  private static Map<String, ImageDump.FileRow> baseRows;

  /** The base image's flattened tree, as {@link ImageDump} reads it from a layout. */
  private static synchronized Map<String, ImageDump.FileRow> baseRows() throws IOException {
    if (baseRows == null) {
      Path layout = Files.createTempDirectory("jbuild-base-layout");
      try {
        writeLayout(TestImages.busybox(Builder.defaultPlatform()), layout);
        baseRows = ImageDump.read(layout).files();
      } finally {
        try (Stream<Path> s = Files.walk(layout)) {
          for (Path p : s.sorted(java.util.Comparator.reverseOrder()).toList()) {
            Files.delete(p);
          }
        }
      }
    }
    return baseRows;
  }

  /** Writes an image as an OCI layout directory (tagged {@code latest}). */
  static void writeLayout(TestImages.Image image, Path layout) throws IOException {
    Files.createDirectories(layout.resolve("blobs/sha256"));
    List<TestImages.Blob> blobs = new ArrayList<>(image.blobs());
    blobs.add(image.manifest());
    for (TestImages.Blob b : blobs) {
      Files.write(layout.resolve("blobs/sha256").resolve(b.digest().hex()), b.bytes());
    }
    Files.writeString(layout.resolve("oci-layout"), "{\"imageLayoutVersion\":\"1.0.0\"}");
    Files.writeString(layout.resolve("index.json"),
        "{\"schemaVersion\":2,\"manifests\":[{\"mediaType\":\"" + image.manifest().mediaType()
            + "\",\"digest\":\"" + image.digest() + "\",\"size\":" + image.manifest().bytes().length
            + ",\"annotations\":{\"org.opencontainers.image.ref.name\":\"latest\"}}]}");
  }

  private static synchronized Map<String, String> baseTexts() throws IOException {
    if (baseTexts == null) {
      Map<String, String> m = new TreeMap<>();
      try (LayerReader r = LayerReader.open(new java.io.ByteArrayInputStream(TestImages.busyboxTar()))) {
        LayerEntry e;
        while ((e = r.next()) != null) {
          track(e, m);
        }
      }
      baseTexts = m;
    }
    return baseTexts;
  }

  /** Applies one entry to the path → text map (whiteouts remove, small text files are read). */
  private static void track(LayerEntry e, Map<String, String> texts) throws IOException {
    String path = e.path();
    int slash = path.lastIndexOf('/');
    String dir = slash < 0 ? "" : path.substring(0, slash + 1);
    Whiteouts.Kind kind = e.whiteoutKind();
    if (kind == Whiteouts.Kind.OPAQUE) {
      texts.keySet().removeIf(k -> k.startsWith(dir));
      return;
    }
    if (kind == Whiteouts.Kind.WHITEOUT) {
      String gone = dir + path.substring(slash + 1 + 4);
      texts.keySet().removeIf(k -> k.equals(gone) || k.startsWith(gone + "/"));
      return;
    }
    if (kind != Whiteouts.Kind.NONE) {
      return;
    }
    texts.remove(path);
    if (e.type() != EntryType.DIRECTORY) {
      texts.keySet().removeIf(k -> k.startsWith(path + "/"));
    }
    if (e.type() == EntryType.FILE && e.size() <= SHOWN_SIZE) {
      byte[] bytes;
      try (InputStream in = e.content().open()) {
        bytes = in.readAllBytes();
      }
      String text = utf8(bytes);
      if (text != null) {
        texts.put(path, text);
      }
    } else if (e.type() == EntryType.HARDLINK && texts.containsKey(e.linkTarget())) {
      texts.put(path, texts.get(e.linkTarget()));
    }
  }

  private static String utf8(byte[] bytes) {
    try {
      String s = StandardCharsets.UTF_8.newDecoder()
          .onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT)
          .decode(ByteBuffer.wrap(bytes)).toString();
      for (int i = 0; i < s.length(); i++) {
        char c = s.charAt(i);
        if (c < 0x20 && c != '\n' && c != '\t') {
          return null;
        }
      }
      return s;
    } catch (CharacterCodingException e) {
      return null;
    }
  }

  /** A string as one line: newlines and tabs escaped, in double quotes. */
  static String quote(String s) {
    return '"' + s.replace("\\", "\\\\").replace("\"", "\\\"").replace("\n", "\\n")
        .replace("\t", "\\t") + '"';
  }

  /** One layer entry as a golden line. */
  static String entryText(LayerEntry e) {
    StringBuilder sb = new StringBuilder("/").append(e.path()).append(' ');
    sb.append(typeName(e)).append(' ').append(String.format("%04o", e.mode()))
        .append(' ').append(e.uid()).append(':').append(e.gid())
        .append(' ').append(e.size()).append(' ').append(e.mtime().getEpochSecond());
    if (!e.linkTarget().isEmpty()) {
      sb.append(" -> ").append(e.linkTarget());
    }
    if (e.type().isDevice()) {
      sb.append(' ').append(e.devMajor()).append(',').append(e.devMinor());
    }
    for (Map.Entry<String, byte[]> x : new TreeMap<>(e.xattrs()).entrySet()) {
      String v = utf8(x.getValue());
      sb.append(' ').append(x.getKey()).append('=')
          .append(v != null ? quote(v) : "0x" + HexFormat.of().formatHex(x.getValue()));
    }
    return sb.toString();
  }

  private static String typeName(LayerEntry e) {
    switch (e.whiteoutKind()) {
      case WHITEOUT:
        return "whiteout";
      case OPAQUE:
        return "opaque";
      default:
        break;
    }
    switch (e.type()) {
      case FILE:
        return "file";
      case DIRECTORY:
        return "dir";
      case SYMLINK:
        return "symlink";
      case HARDLINK:
        return "hardlink";
      case FIFO:
        return "fifo";
      case CHAR_DEVICE:
        return "chardev";
      case BLOCK_DEVICE:
        return "blockdev";
      default:
        throw new IllegalStateException(e.type().toString());
    }
  }

  /** The layer digests of the layout's image, bottom first. */
  static List<String> layerDigests(Path layout) throws IOException {
    List<String> out = new ArrayList<>();
    for (JsonNode l : manifest(layout).get("layers")) {
      out.add(l.get("digest").asText());
    }
    return out;
  }

  private static JsonNode manifest(Path layout) throws IOException {
    JsonNode index = ImageDump.JSON.readTree(layout.resolve("index.json").toFile());
    JsonNode m = ImageDump.JSON.readTree(blob(layout, index.get("manifests").get(0).get("digest").asText()).toFile());
    if (m.has("manifests")) {
      m = ImageDump.JSON.readTree(blob(layout, m.get("manifests").get(0).get("digest").asText()).toFile());
    }
    return m;
  }

  private static Path blob(Path layout, String digest) {
    int colon = digest.indexOf(':');
    return layout.resolve("blobs").resolve(digest.substring(0, colon)).resolve(digest.substring(colon + 1));
  }
}
