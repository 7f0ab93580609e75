package dev.jbuild.cache;

import dev.jbuild.oci.Descriptor;
import dev.jbuild.oci.Digest;
import dev.jbuild.oci.ImageIndex;
import dev.jbuild.oci.ImageManifest;
import dev.jbuild.oci.InvalidDocumentException;
import dev.jbuild.oci.MediaTypes;
import dev.jbuild.oci.OciDocument;
import dev.jbuild.oci.RawJson;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The local image store: tags in the store's {@code index.json}, one descriptor per tag with
 * the full normalised reference in {@code org.opencontainers.image.ref.name} (and containerd's
 * {@code io.containerd.image.name}), so that {@code skopeo copy
 * oci:ROOT:docker.io/library/app:1 …} reads an image straight from it. Every change to
 * {@code index.json} happens under a file lock and lands by atomic rename, so concurrent
 * processes never lose a tag.
 */
public final class ImageStore {

  /** Unreferenced blobs younger than this survive GC: a concurrent build may still tag them. */
  public static final Duration DEFAULT_GRACE = Duration.ofHours(1);

  private static final Pattern HEX_PREFIX = Pattern.compile("[a-f0-9]{1,64}");
  private static final int MIN_SHORT_ID = 4;

  private final BlobStore blobs;

  public ImageStore(BlobStore blobs) {
    this.blobs = blobs;
  }

  public static ImageStore open(JbuildRoot root) {
    return new ImageStore(BlobStore.open(root));
  }

  public BlobStore blobs() {
    return blobs;
  }

  /** Every tag, in index.json order. Entries without a ref.name annotation are left out. */
  public List<TaggedImage> list() {
    List<TaggedImage> out = new ArrayList<>();
    for (Descriptor d : readIndex().manifests()) {
      String name = d.annotation(Descriptor.REF_NAME);
      if (name != null) {
        out.add(new TaggedImage(name, d));
      }
    }
    return out;
  }

  /**
   * Points {@code name} at {@code target} (a manifest or index that must be in the store),
   * replacing what the tag pointed at before.
   */
  public TaggedImage tag(String name, Descriptor target) {
    String full = normalizeName(name);
    if (!MediaTypes.isManifest(target.mediaType()) && !MediaTypes.isIndex(target.mediaType())) {
      throw new IllegalArgumentException("only manifests and indexes can be tagged, not "
          + target.mediaType());
    }
    if (!blobs.has(target.digest())) {
      throw new CacheException("cannot tag " + full + ": " + target.digest()
          + " is not in the store (" + blobs.path(target.digest()) + ")",
          blobs.path(target.digest()));
    }
    Map<String, String> annotations = new HashMap<>(target.annotations());
    annotations.put(Descriptor.REF_NAME, full);
    annotations.put(Descriptor.CONTAINERD_IMAGE_NAME, full);
    Descriptor entry = new Descriptor(target.mediaType(), target.digest(), target.size(),
        target.urls(), annotations, target.platform(), target.artifactType(), target.unknown());
    updateIndex(manifests -> {
      // re-tagging the same image (every no-change rebuild) leaves index.json as it is: no
      // rewrite, no fsync
      if (manifests.stream().filter(d -> full.equals(d.annotation(Descriptor.REF_NAME)))
          .collect(java.util.stream.Collectors.toList()).equals(List.of(entry))) {
        return false;
      }
      boolean replaced = false;
      for (int i = 0; i < manifests.size(); i++) {
        if (full.equals(manifests.get(i).annotation(Descriptor.REF_NAME))) {
          if (!replaced) {
            manifests.set(i, entry);
            replaced = true;
          } else {
            manifests.remove(i--);
          }
        }
      }
      if (!replaced) {
        manifests.add(entry);
      }
      return true;
    });
    return new TaggedImage(full, entry);
  }

  /** Removes a tag; the blobs stay until GC. Returns whether the tag existed. */
  public boolean untag(String name) {
    String full = normalizeName(name);
    boolean[] removed = {false};
    updateIndex(manifests -> {
      removed[0] = manifests.removeIf(d -> full.equals(d.annotation(Descriptor.REF_NAME)));
      return removed[0];
    });
    return removed[0];
  }

  /**
   * Finds an image by tag ({@code app:1}, normalised as Docker does), by digest
   * ({@code sha256:…}, {@code name@sha256:…}) or by a unique prefix (at least 4 hex digits) of
   * a tagged image's manifest digest or image ID (its config digest). A digest resolves only
   * if the blob is in the store. Throws {@link CacheException} for an ambiguous prefix.
   */
  public Optional<Descriptor> resolve(String text) {
    String t = text.trim();
    int at = t.indexOf('@');
    if (t.startsWith("sha256:") || t.startsWith("sha512:") || at >= 0) {
      Digest digest;
      try {
        digest = Digest.parse(at >= 0 ? t.substring(at + 1) : t);
      } catch (IllegalArgumentException e) {
        return Optional.empty();
      }
      return byDigest(digest);
    }
    List<TaggedImage> tags = list();
    String full;
    try {
      full = normalizeName(t);
    } catch (IllegalArgumentException e) {
      full = null;
    }
    for (TaggedImage ti : tags) {
      if (ti.name().equals(full)) {
        return Optional.of(stripNames(ti.target()));
      }
    }
    String prefix = t.toLowerCase(Locale.ROOT);
    if (prefix.length() >= MIN_SHORT_ID && HEX_PREFIX.matcher(prefix).matches()) {
      return byPrefix(prefix, tags);
    }
    return Optional.empty();
  }

  private Optional<Descriptor> byDigest(Digest digest) {
    for (Descriptor d : readIndex().manifests()) {
      if (d.digest().equals(digest)) {
        return Optional.of(stripNames(d));
      }
    }
    if (!blobs.has(digest)) {
      return Optional.empty();
    }
    RawJson<? extends OciDocument> doc;
    try {
      doc = blobs.readManifestOrIndex(digest, null);
    } catch (CacheException notAManifest) {
      return Optional.empty();
    }
    return Optional.of(doc.descriptor());
  }

  private Optional<Descriptor> byPrefix(String prefix, List<TaggedImage> tags) {
    Map<Digest, Descriptor> found = new HashMap<>();
    for (TaggedImage ti : tags) {
      Descriptor d = ti.target();
      if (d.digest().hex().startsWith(prefix)) {
        found.put(d.digest(), d);
        continue;
      }
      imageId(d).filter(id -> id.hex().startsWith(prefix)).ifPresent(id -> found.put(d.digest(),
          d));
    }
    if (found.size() > 1) {
      throw new CacheException("\"" + prefix + "\" matches " + found.size() + " images ("
          + found.keySet().stream().map(Digest::shortHex).sorted().toList()
          + "): give more digits", blobs.root().indexJson());
    }
    return found.values().stream().findFirst().map(ImageStore::stripNames);
  }

  /** The image ID of a manifest (its config digest), as {@code docker images} shows it. */
  public Optional<Digest> imageId(Descriptor target) {
    if (!MediaTypes.isManifest(target.mediaType()) || !blobs.has(target.digest())) {
      return Optional.empty();
    }
    return Optional.of(blobs.readManifest(target.digest()).value().config().digest());
  }

  /** The target without the store's own name annotations, as a plain descriptor. */
  private static Descriptor stripNames(Descriptor d) {
    Map<String, String> a = new HashMap<>(d.annotations());
    a.remove(Descriptor.REF_NAME);
    a.remove(Descriptor.CONTAINERD_IMAGE_NAME);
    return d.withAnnotations(a);
  }

  /**
   * Deletes every blob not reachable from a tag or from {@code extraRoots} and older than
   * {@code grace}, and stale partial writes in {@code tmp/}. Holds the index lock throughout,
   * so no tag changes while it runs; blobs written by a concurrent build are protected by the
   * grace period (reusing a blob refreshes its time).
   */
  public GcReport collectGarbage(GcRoots extraRoots, Duration grace) {
    Instant cutoff = Instant.now().minus(grace);
    try (StoreLock lock = StoreLock.acquire(lockFile())) {
      List<Descriptor> roots = new ArrayList<>(readIndex().manifests());
      roots.addAll(extraRoots.roots());
      Set<Digest> live = mark(roots);
      int removed = 0;
      long freed = 0;
      int keptReferenced = 0;
      int keptRecent = 0;
      for (Digest d : blobs.list()) {
        if (live.contains(d)) {
          keptReferenced++;
          continue;
        }
        Path p = blobs.path(d);
        try {
          if (blobs.lastUsed(d).isAfter(cutoff)) {
            keptRecent++;
            continue;
          }
          long size = Files.size(p);
          Files.deleteIfExists(blobs.headersPath(d)); // a layer's header index goes with it
          if (Files.deleteIfExists(p)) {
            removed++;
            freed += size;
          }
        } catch (NoSuchFileException gone) {
          // deleted by someone else meanwhile
        } catch (IOException e) {
          throw new CacheException("cannot remove " + p + ": " + e, p, e);
        }
      }
      int temps = sweepTemp(cutoff);
      return new GcReport(removed, freed, keptReferenced, keptRecent, temps);
    }
  }

  /** Everything reachable from the roots; missing children (not pulled) are tolerated. */
  private Set<Digest> mark(List<Descriptor> roots) {
    Set<Digest> live = new HashSet<>();
    Deque<Descriptor> work = new ArrayDeque<>(roots);
    while (!work.isEmpty()) {
      Descriptor d = work.pop();
      if (!live.add(d.digest()) || !blobs.has(d.digest())) {
        continue;
      }
      String type = d.mediaType();
      if (MediaTypes.isIndex(type)) {
        ImageIndex index = blobs.readIndex(d.digest()).value();
        work.addAll(index.manifests());
        if (index.subject() != null) {
          work.add(index.subject());
        }
      } else if (MediaTypes.isManifest(type)) {
        ImageManifest m = blobs.readManifest(d.digest()).value();
        work.add(m.config());
        work.addAll(m.layers());
        if (m.subject() != null) {
          work.add(m.subject());
        }
      }
    }
    return live;
  }

  private int sweepTemp(Instant cutoff) {
    int removed = 0;
    Path tmp = blobs.root().tmp();
    try (DirectoryStream<Path> files = Files.newDirectoryStream(tmp)) {
      for (Path f : files) {
        try {
          if (Files.isRegularFile(f)
              && (Files.getLastModifiedTime(f).toInstant().isBefore(cutoff)
                  || AtomicFile.writerGone(f))
              && Files.deleteIfExists(f)) {
            removed++;
          }
        } catch (IOException ignored) {
          // a temp file that vanished or cannot be removed is not worth failing GC for
        }
      }
    } catch (NoSuchFileException e) {
      return 0;
    } catch (IOException e) {
      throw new CacheException("cannot list " + tmp + ": " + e, tmp, e);
    }
    return removed;
  }

  // ---- index.json ----

  private Path lockFile() {
    return blobs.root().locks().resolve("index.lock");
  }

  /** The current index.json. Reads need no lock: writers replace the file atomically. */
  public ImageIndex readIndex() {
    Path file = blobs.root().indexJson();
    byte[] bytes;
    try {
      bytes = Files.readAllBytes(file);
    } catch (NoSuchFileException e) {
      return ImageIndex.oci(List.of());
    } catch (IOException e) {
      throw new CacheException("cannot read " + file + ": " + e, file, e);
    }
    try {
      return ImageIndex.parse(bytes);
    } catch (InvalidDocumentException e) {
      throw new CacheException(file + " is damaged (" + e.getMessage() + "). Restore it, or"
          + " delete it to start with no tags (the blobs stay).", file, e);
    }
  }

  /** Reads, changes and atomically rewrites index.json under the lock. */
  private void updateIndex(IndexChange change) {
    try (StoreLock lock = StoreLock.acquire(lockFile())) {
      ImageIndex current = readIndex();
      List<Descriptor> manifests = new ArrayList<>(current.manifests());
      if (!change.apply(manifests)) {
        return;
      }
      ImageIndex next = current.mediaType() == null
          ? new ImageIndex(2, dev.jbuild.oci.MediaTypes.OCI_INDEX, current.artifactType(),
              manifests, current.subject(), current.annotations(), current.unknown())
          : current.withManifests(manifests);
      try (AtomicFile f = AtomicFile.createIn(blobs.root().indexJson(), blobs.root().tmp())) {
        f.stream().write(next.toJson());
        f.commit();
      } catch (IOException e) {
        throw new CacheException("cannot write " + blobs.root().indexJson() + ": " + e,
            blobs.root().indexJson(), e);
      }
    }
  }

  @FunctionalInterface
  private interface IndexChange {
    /** Changes the list in place; false means nothing changed. */
    boolean apply(List<Descriptor> manifests);
  }

  // ---- names ----

  /**
   * Normalises a name as Docker does: {@code app} → {@code docker.io/library/app:latest},
   * {@code host:5000/x/y:1} unchanged. Throws IllegalArgumentException for an empty or
   * malformed name.
   */
  public static String normalizeName(String name) {
    String t = name == null ? "" : name.trim();
    if (t.isEmpty() || t.contains(" ") || t.startsWith("/") || t.endsWith("/")
        || t.endsWith(":") || t.contains("//")) {
      throw new IllegalArgumentException("invalid image name \"" + name + "\"");
    }
    String digest = null;
    int at = t.indexOf('@');
    if (at >= 0) {
      digest = t.substring(at);
      t = t.substring(0, at);
    }
    String tag = null;
    int colon = t.lastIndexOf(':');
    if (colon > t.lastIndexOf('/')) {
      tag = t.substring(colon + 1);
      t = t.substring(0, colon);
    }
    int slash = t.indexOf('/');
    String first = slash < 0 ? "" : t.substring(0, slash);
    boolean hasDomain = slash >= 0 && (first.contains(".") || first.contains(":")
        || first.equals("localhost") || !first.equals(first.toLowerCase(Locale.ROOT)));
    String domain = hasDomain ? first : "docker.io";
    String path = hasDomain ? t.substring(slash + 1) : t;
    if (domain.equals("index.docker.io")) {
      domain = "docker.io";
    }
    if (domain.equals("docker.io") && !path.contains("/")) {
      path = "library/" + path;
    }
    if (path.isEmpty() || !path.equals(path.toLowerCase(Locale.ROOT))) {
      throw new IllegalArgumentException("invalid image name \"" + name
          + "\": the repository must be lower case");
    }
    if (tag == null && digest == null) {
      tag = "latest";
    }
    return domain + "/" + path + (tag == null ? "" : ":" + tag) + (digest == null ? "" : digest);
  }
}
