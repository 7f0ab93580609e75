package dev.jbuild.build;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.io.TempDir;

/**
 * Builds every corpus case ({@code testdata/build}) with jbuild and with buildah (vfs storage in
 * a temp dir, {@code --format docker --timestamp}, no RUN so no isolation is involved) and
 * compares the file
 * trees (type, mode, owner, content, link target; not times) and the runtime config fields.
 * Every difference must be listed in {@code testdata/build/KNOWN-DIFFERENCES.md} with both
 * values; an unlisted one fails the case, and so does a listed one that no longer occurs.
 */
class BuildahDifferentialIT {

  /** The config fields compared; buildah's own {@code io.buildah.version} label is dropped. */
  static final List<String> FIELDS = List.of("Env", "Cmd", "Entrypoint", "WorkingDir", "User",
      "Labels", "ExposedPorts", "Volumes", "StopSignal", "Healthcheck", "Shell", "OnBuild");

  static final ObjectMapper COMPACT = new ObjectMapper();

  @TempDir static Path tmp;

  static Path storage;
  static Map<String, Known> known;
  static final Set<String> used = new TreeSet<>();

  /** One row of KNOWN-DIFFERENCES.md; case {@code *} applies to every case. */
  record Known(String caseName, String field, String jbuild, String buildah) {
    String key() {
      return caseName + "\t" + field;
    }
  }

  @BeforeAll
  static void setUp() throws IOException {
    storage = tmp.resolve("buildah");
    known = readKnown(BuildCorpusTest.corpus().resolve("KNOWN-DIFFERENCES.md"));
  }

  @AfterAll
  static void cleanUp() throws Exception {
    // vfs layers of the image store hold root-owned read-only dirs: let buildah remove them
    if (storage != null && Files.exists(storage)) {
      run(List.of("buildah", "--root", storage.resolve("root").toString(), "--runroot",
          storage.resolve("run").toString(), "--storage-driver", "vfs", "rm", "--all"));
      run(List.of("buildah", "--root", storage.resolve("root").toString(), "--runroot",
          storage.resolve("run").toString(), "--storage-driver", "vfs", "rmi", "--all",
          "--force"));
    }
  }

  static Map<String, Known> readKnown(Path md) throws IOException {
    Map<String, Known> out = new LinkedHashMap<>();
    for (String line : Files.readAllLines(md, StandardCharsets.UTF_8)) {
      if (!line.startsWith("| ") || line.startsWith("| case ") || line.startsWith("|--")
          || line.startsWith("| ---")) {
        continue;
      }
      String[] cells = line.substring(1).split(" \\| ", -1);
      if (cells.length < 5) {
        throw new IllegalStateException(md + ": a row needs case | field | jbuild | buildah |"
            + " reason: " + line);
      }
      Known k = new Known(cell(cells[0]), cell(cells[1]), cell(cells[2]), cell(cells[3]));
      out.put(k.key(), k);
    }
    return out;
  }

  private static String cell(String s) {
    String t = s.trim();
    if (t.startsWith("`") && t.endsWith("`") && t.length() >= 2) {
      t = t.substring(1, t.length() - 1);
    }
    return t.replace("\\|", "|");
  }

  @TestFactory
  Stream<DynamicTest> sameImageAsBuildah() throws IOException {
    return BuildCorpusTest.cases().stream()
        .map(c -> DynamicTest.dynamicTest(c.getFileName().toString(), () -> compare(c)));
  }

  private void compare(Path caseDir) throws Exception {
    String name = caseDir.getFileName().toString();
    Path work = tmp.resolve(name);
    Path ctx = BuildCorpusTest.context(caseDir, work.resolve("ctx"));
    Path ours = work.resolve("jbuild-oci");
    BuildCorpusTest.build(caseDir, ctx, work.resolve("root"), ours);
    ImageDump a = ImageDump.read(ours);

    Map<String, String[]> diffs = new LinkedHashMap<>();
    Path theirs = work.resolve("buildah-oci");
    String failure = buildah(caseDir, ctx, name, theirs);
    if (failure != null) {
      diffs.put("build", new String[] {"ok", "fails"});
    } else {
      ImageDump b = ImageDump.read(theirs);
      compareConfig(a.config(), dockerConfig(name), diffs);
      compareFiles(a, b, diffs);
    }
    List<String> unexplained = new ArrayList<>();
    for (Map.Entry<String, String[]> d : diffs.entrySet()) {
      String jb = d.getValue()[0];
      String bh = d.getValue()[1];
      Known k = known.get(name + "\t" + d.getKey());
      if (k == null) {
        k = known.get("*\t" + d.getKey());
      }
      if (k != null && k.jbuild().equals(jb) && k.buildah().equals(bh)) {
        synchronized (used) {
          used.add(k.key());
        }
        continue;
      }
      unexplained.add("| " + name + " | " + d.getKey() + " | `" + jb.replace("|", "\\|") + "` | `"
          + bh.replace("|", "\\|") + "` | ? |");
    }
    for (Known k : known.values()) {
      if (k.caseName().equals(name) && !diffs.containsKey(k.field())) {
        unexplained.add("listed but gone: " + k.key().replace('\t', ' '));
      }
    }
    assertThat(unexplained)
        .as("differences from buildah not in KNOWN-DIFFERENCES.md"
            + (failure == null ? "" : "; buildah said:\n" + failure))
        .isEmpty();
  }

  static void compareConfig(JsonNode ours, JsonNode theirs, Map<String, String[]> diffs)
      throws IOException {
    JsonNode a = ours.path("config");
    JsonNode b = theirs.path("config");
    for (String f : FIELDS) {
      JsonNode va = normal(f, a.get(f));
      JsonNode vb = normal(f, b.get(f));
      if (!va.equals(vb)) {
        diffs.put("config." + f, new String[] {compact(va), compact(vb)});
      }
    }
  }

  /** Absent, null and empty mean the same; buildah's version label is its own stamp. */
  private static JsonNode normal(String field, JsonNode v) {
    if (v == null || v.isNull() || (v.isContainerNode() && v.isEmpty())
        || (v.isTextual() && v.asText().isEmpty())) {
      return COMPACT.nullNode();
    }
    if (field.equals("Labels") && v.isObject()) {
      ObjectNode copy = ((ObjectNode) v).deepCopy();
      copy.remove("io.buildah.version");
      return copy.isEmpty() ? COMPACT.nullNode() : copy;
    }
    return v;
  }

  private static String compact(JsonNode v) throws IOException {
    return v.isNull() ? "absent" : COMPACT.writeValueAsString(
        ImageDump.JSON.convertValue(v, Object.class));
  }

  static void compareFiles(ImageDump a, ImageDump b, Map<String, String[]> diffs) {
    Set<String> paths = new LinkedHashSet<>(a.files().keySet());
    paths.addAll(b.files().keySet());
    for (String p : new TreeSet<>(paths)) {
      ImageDump.FileRow fa = a.files().get(p);
      ImageDump.FileRow fb = b.files().get(p);
      String ta = fa == null ? "absent" : fa.text();
      String tb = fb == null ? "absent" : fb.text();
      if (!ta.equals(tb)) {
        diffs.put("/" + p, new String[] {ta, tb});
      }
    }
  }

  /** Builds with buildah and pushes to an OCI layout; the error output when it fails. */
  private static String buildah(Path caseDir, Path ctx, String name, Path oci) throws Exception {
    List<String> storageFlags = List.of("--root", storage.resolve("root").toString(),
        "--runroot", storage.resolve("run").toString(), "--storage-driver", "vfs");
    List<String> bud = new ArrayList<>(List.of("buildah"));
    bud.addAll(storageFlags);
    bud.addAll(List.of("bud", "--format", "docker", "--layers=false", "--pull=never",
        "--timestamp", Long.toString(BuildCorpusTest.EPOCH.getEpochSecond()), "-t",
        "corpus-" + name, "-f", ctx.resolve("Dockerfile").toString()));
    for (String[] kv : BuildCorpusTest.buildArgs(caseDir)) {
      bud.add("--build-arg");
      bud.add(kv[0] + "=" + kv[1]);
    }
    BuildCorpusTest.target(caseDir).ifPresent(t -> {
      bud.add("--target");
      bud.add(t);
    });
    bud.add(ctx.toString());
    String out = run(bud);
    if (out != null) {
      return out;
    }
    List<String> push = new ArrayList<>(List.of("buildah"));
    push.addAll(storageFlags);
    push.addAll(List.of("push", "corpus-" + name, "oci:" + oci + ":latest"));
    String pushed = run(push);
    if (pushed != null) {
      throw new IllegalStateException("buildah push failed: " + pushed);
    }
    return null;
  }

  /**
   * buildah's config in Docker format ({@code buildah inspect}): its OCI config has no
   * Healthcheck, Shell or OnBuild, while BuildKit writes them into OCI images too.
   */
  private static JsonNode dockerConfig(String name) throws Exception {
    List<String> cmd = new ArrayList<>(List.of("buildah", "--root",
        storage.resolve("root").toString(), "--runroot", storage.resolve("run").toString(),
        "--storage-driver", "vfs", "inspect", "--type", "image", "corpus-" + name));
    Process p = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.DISCARD).start();
    byte[] out = p.getInputStream().readAllBytes();
    if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
      throw new IllegalStateException("buildah inspect failed: " + cmd);
    }
    return COMPACT.readTree(out).path("Docker");
  }

  /** Runs a command; null on success, else its output. */
  static String run(List<String> cmd) throws Exception {
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    byte[] output = p.getInputStream().readAllBytes();
    if (!p.waitFor(120, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      return "timed out: " + cmd;
    }
    return p.exitValue() == 0 ? null : new String(output, StandardCharsets.UTF_8);
  }
}
