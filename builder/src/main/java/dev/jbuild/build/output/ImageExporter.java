package dev.jbuild.build.output;

import dev.jbuild.cache.BlobStore;
import dev.jbuild.cache.CacheException;
import dev.jbuild.oci.Descriptor;
import dev.jbuild.oci.Digest;
import dev.jbuild.oci.ImageIndex;
import dev.jbuild.oci.ImageManifest;
import dev.jbuild.oci.MediaTypes;
import dev.jbuild.oci.Platform;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Writes an image from the local store to an {@link ExportTarget}. The image is a manifest or
 * an index in the store; names are image references ({@code app:1}), normalised as Docker
 * does. Nothing is left half-written: archives are written under a temporary name and renamed,
 * a new layout directory is assembled beside its destination and renamed into place, and an
 * existing layout only gains complete blobs before its {@code index.json} is atomically
 * replaced.
 */
public final class ImageExporter {

  private final BlobStore store;

  public ImageExporter(BlobStore store) {
    this.store = Objects.requireNonNull(store, "store");
  }

  /**
   * Writes {@code image} to {@code target}.
   *
   * @param image a manifest or index descriptor whose blob is in the store
   * @param names the references to record (may be empty)
   * @param platform for a docker-archive of an index: which platform's manifest to write;
   *     null means the host's
   */
  public void export(Descriptor image, List<String> names, Platform platform,
      ExportTarget target) {
    List<String> fullNames = Names.normalize(names, target.dest());
    Descriptor root = withoutNames(image);
    target.accept(new ExportTarget.Visitor<Void>() {
      @Override
      public Void visit(ExportTarget.OciDirectory t) {
        new OciLayoutWriter(store).writeDirectory(root, closure(root, t.dest()), fullNames,
            t.dest());
        return null;
      }

      @Override
      public Void visit(ExportTarget.OciArchive t) {
        new OciLayoutWriter(store).writeArchive(root, closure(root, t.dest()), fullNames,
            t.dest());
        return null;
      }

      @Override
      public Void visit(ExportTarget.DockerArchive t) {
        Descriptor manifest = singleManifest(root, platform, t.dest());
        new DockerArchiveWriter(store).write(manifest, fullNames, t.dest());
        return null;
      }
    });
  }

  /** The archive formats that can be streamed. */
  public enum ArchiveFormat {
    OCI_ARCHIVE,
    DOCKER_ARCHIVE
  }

  /**
   * Streams an archive of {@code image} to {@code out} (standard output for {@code jbuild save
   * -o -}, a pipe into {@code docker load}). The stream is not closed. A docker-archive needs
   * its layers uncompressed first; they go to temporary files under the store's {@code tmp/}.
   * A failure midway leaves a truncated stream: use {@link #export} for files.
   */
  public void exportTo(Descriptor image, List<String> names, Platform platform,
      ArchiveFormat format, java.io.OutputStream out) {
    Path label = Path.of("-");
    List<String> fullNames = Names.normalize(names, label);
    Descriptor root = withoutNames(image);
    if (format == ArchiveFormat.OCI_ARCHIVE) {
      try {
        new OciLayoutWriter(store).writeArchive(root, closure(root, label), fullNames, out);
      } catch (java.io.IOException e) {
        throw new ExportException(label, "cannot write the OCI archive: " + e, e);
      }
    } else {
      Path tmp = store.root().tmp();
      new DockerArchiveWriter(store).write(singleManifest(root, platform, label), fullNames, out,
          tmp, label);
    }
  }

  private static Descriptor withoutNames(Descriptor d) {
    Map<String, String> a = new LinkedHashMap<>(d.annotations());
    a.remove(Descriptor.REF_NAME);
    a.remove(Descriptor.CONTAINERD_IMAGE_NAME);
    return d.withAnnotations(a);
  }

  /**
   * Every blob the image consists of, root first, each once. A missing blob is an error: a
   * layout that points at absent blobs is not an image anyone can read.
   */
  List<Descriptor> closure(Descriptor root, Path dest) {
    Map<Digest, Descriptor> seen = new LinkedHashMap<>();
    Deque<Descriptor> work = new ArrayDeque<>();
    work.add(root);
    while (!work.isEmpty()) {
      Descriptor d = work.pop();
      if (seen.containsKey(d.digest())) {
        continue;
      }
      if (!store.has(d.digest())) {
        throw new ExportException(dest, "cannot write the image to " + dest + ": blob "
            + d.digest() + " (" + d.mediaType() + ") is not in the local store"
            + (MediaTypes.isManifest(d.mediaType()) && d.platform() != null
                ? " (platform " + d.platform() + " was not pulled)" : "")
            + ". Pull or build the image again.");
      }
      seen.put(d.digest(), d);
      try {
        if (MediaTypes.isIndex(d.mediaType())) {
          ImageIndex index = store.readIndex(d.digest()).value();
          work.addAll(index.manifests());
        } else if (MediaTypes.isManifest(d.mediaType())) {
          ImageManifest m = store.readManifest(d.digest()).value();
          work.add(m.config());
          work.addAll(m.layers());
        }
      } catch (CacheException e) {
        throw new ExportException(dest, e.getMessage(), e);
      }
    }
    return new ArrayList<>(seen.values());
  }

  private Descriptor singleManifest(Descriptor root, Platform platform, Path dest) {
    if (MediaTypes.isManifest(root.mediaType())) {
      return root;
    }
    if (!MediaTypes.isIndex(root.mediaType())) {
      throw new ExportException(dest, root.digest() + " is a " + root.mediaType()
          + ", not an image");
    }
    Platform wanted = platform != null ? platform : Platform.host();
    ImageIndex index = store.readIndex(root.digest()).value();
    return index.select(wanted).orElseThrow(() -> new ExportException(dest,
        "a docker-archive holds one platform and the image has none for " + wanted
            + " (it has " + index.platforms().stream().map(Platform::toString).toList()
            + "). Choose one with --platform."));
  }
}
