package dev.jbuild.cache;

import dev.jbuild.oci.Descriptor;
import dev.jbuild.oci.Digest;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * The local build cache: {@link CacheKey} to the layer a step produced, and the key of a whole
 * image to the manifest built for it. One small text file per entry under {@code
 * ROOT/cache/steps/} and {@code ROOT/cache/images/}, written whole under a temporary name and
 * renamed, so any number of concurrent builds may read and write entries (the last writer of a
 * key wins; both wrote the same meaning). The blobs live in the {@link BlobStore}; an entry
 * whose blob is gone (pruned) is a miss. {@link #gcRoots()} keeps the cached blobs alive.
 */
public final class BuildCache {

  private static final String MAGIC = "jbuild-build-cache v1";

  private final BlobStore blobs;
  private final Path steps;
  private final Path images;

  /**
   * The layer of one cached step.
   *
   * @param layer the layer blob as the manifest lists it
   * @param diffId the digest of the uncompressed tar, for the config's rootfs
   * @param created when the step first ran (its history time)
   */
  public record CachedLayer(Descriptor layer, Digest diffId, Instant created) {
    public CachedLayer {
      Objects.requireNonNull(layer, "layer");
      Objects.requireNonNull(diffId, "diffId");
      Objects.requireNonNull(created, "created");
    }
  }

  private BuildCache(BlobStore blobs) {
    this.blobs = blobs;
    Path dir = blobs.root().buildCache();
    this.steps = dir.resolve("steps");
    this.images = dir.resolve("images");
  }

  /** The build cache beside the store's blobs. */
  public static BuildCache open(BlobStore blobs) {
    return new BuildCache(blobs);
  }

  public BlobStore blobs() {
    return blobs;
  }

  /** The layer recorded for {@code key}, if its blob is still in the store. */
  public Optional<CachedLayer> layer(CacheKey key) {
    Map<String, String> f = read(steps, key);
    if (f == null) {
      return Optional.empty();
    }
    try {
      Descriptor d =
          Descriptor.of(
              f.get("mediaType"), Digest.parse(f.get("digest")), Long.parseLong(f.get("size")));
      CachedLayer layer =
          new CachedLayer(d, Digest.parse(f.get("diffId")), parseInstant(f.get("created")));
      Path blob = blobs.path(d.digest());
      if (!Files.isRegularFile(blob)) {
        return Optional.empty();
      }
      blobs.touch(blob);
      return Optional.of(layer);
    } catch (RuntimeException e) {
      // a damaged entry is a miss; the next build rewrites it
      return Optional.empty();
    }
  }

  /** Records the layer {@code key} produced. */
  public void putLayer(CacheKey key, CachedLayer layer) {
    Map<String, String> f = new LinkedHashMap<>();
    f.put("mediaType", layer.layer().mediaType());
    f.put("digest", layer.layer().digest().toString());
    f.put("size", Long.toString(layer.layer().size()));
    f.put("diffId", layer.diffId().toString());
    f.put("created", formatInstant(layer.created()));
    write(steps, key, f);
  }

  /** The manifest recorded for an image key, if it and its config are still in the store. */
  public Optional<Descriptor> image(CacheKey key) {
    Map<String, String> f = read(images, key);
    if (f == null) {
      return Optional.empty();
    }
    try {
      Descriptor d =
          Descriptor.of(
              f.get("mediaType"), Digest.parse(f.get("digest")), Long.parseLong(f.get("size")));
      Path blob = blobs.path(d.digest());
      if (!Files.isRegularFile(blob)) {
        return Optional.empty();
      }
      blobs.touch(blob);
      return Optional.of(d);
    } catch (RuntimeException e) {
      return Optional.empty();
    }
  }

  /** Records the manifest built for an image key. */
  public void putImage(CacheKey key, Descriptor manifest) {
    Map<String, String> f = new LinkedHashMap<>();
    f.put("mediaType", manifest.mediaType());
    f.put("digest", manifest.digest().toString());
    f.put("size", Long.toString(manifest.size()));
    write(images, key, f);
  }

  /**
   * Every blob the cache refers to: layers of cached steps and manifests of cached images (a
   * manifest root keeps its config and layers), for {@link ImageStore#collectGarbage}.
   */
  public GcRoots gcRoots() {
    return () -> {
      List<Descriptor> out = new ArrayList<>();
      collect(steps, out);
      collect(images, out);
      return out;
    };
  }

  /** Deletes every entry (the blobs stay until GC). Returns how many were removed. */
  public int clear() {
    int n = 0;
    for (Path dir : List.of(steps, images)) {
      try (DirectoryStream<Path> files = Files.newDirectoryStream(dir)) {
        for (Path p : files) {
          if (Files.deleteIfExists(p)) {
            n++;
          }
        }
      } catch (NoSuchFileException e) {
        // nothing cached yet
      } catch (IOException e) {
        throw new CacheException("cannot clear the build cache in " + dir + ": " + e, dir, e);
      }
    }
    return n;
  }

  private void collect(Path dir, List<Descriptor> out) {
    try (DirectoryStream<Path> files = Files.newDirectoryStream(dir)) {
      for (Path p : files) {
        if (p.getFileName().toString().startsWith(".")) {
          continue;
        }
        Map<String, String> f = parse(readFile(p));
        if (f == null) {
          continue;
        }
        try {
          out.add(
              Descriptor.of(
                  f.get("mediaType"),
                  Digest.parse(f.get("digest")),
                  Long.parseLong(f.get("size"))));
        } catch (RuntimeException e) {
          // damaged entry: keeps nothing
        }
      }
    } catch (NoSuchFileException e) {
      // nothing cached yet
    } catch (IOException e) {
      throw new CacheException("cannot list the build cache in " + dir + ": " + e, dir, e);
    }
  }

  private static Path file(Path dir, CacheKey key) {
    return dir.resolve(key.digest().hex());
  }

  private static Map<String, String> read(Path dir, CacheKey key) {
    return parse(readFile(file(dir, key)));
  }

  private static String readFile(Path p) {
    try {
      return Files.readString(p, StandardCharsets.UTF_8);
    } catch (NoSuchFileException e) {
      return null;
    } catch (IOException e) {
      // unreadable entry: a miss, not a failed build
      return null;
    }
  }

  private static Map<String, String> parse(String text) {
    if (text == null) {
      return null;
    }
    String[] lines = text.split("\n");
    if (lines.length == 0 || !lines[0].equals(MAGIC)) {
      return null;
    }
    Map<String, String> out = new LinkedHashMap<>();
    for (int i = 1; i < lines.length; i++) {
      int sp = lines[i].indexOf(' ');
      if (sp > 0) {
        out.put(lines[i].substring(0, sp), lines[i].substring(sp + 1));
      }
    }
    return out;
  }

  private void write(Path dir, CacheKey key, Map<String, String> fields) {
    StringBuilder out = new StringBuilder(MAGIC).append('\n');
    fields.forEach((k, v) -> out.append(k).append(' ').append(v).append('\n'));
    try {
      Files.createDirectories(dir);
    } catch (IOException e) {
      throw new CacheException(
          "cannot create the build cache directory " + dir + ": " + e
              + ". Make it writable, or build with --no-cache.",
          dir,
          e);
    }
    try (AtomicFile f = AtomicFile.createIn(file(dir, key), blobs.root().tmp())) {
      f.stream().write(out.toString().getBytes(StandardCharsets.UTF_8));
      f.commit();
    } catch (IOException e) {
      throw new CacheException("cannot write a build cache entry in " + dir + ": " + e, dir, e);
    }
  }

  private static String formatInstant(Instant t) {
    return t.getEpochSecond() + "." + t.getNano();
  }

  private static Instant parseInstant(String s) {
    int dot = s.indexOf('.');
    return Instant.ofEpochSecond(
        Long.parseLong(s.substring(0, dot)), Long.parseLong(s.substring(dot + 1)));
  }
}
