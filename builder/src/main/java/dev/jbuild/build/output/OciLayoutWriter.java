package dev.jbuild.build.output;

import dev.jbuild.build.TempTrees;
import dev.jbuild.cache.AtomicFile;
import dev.jbuild.cache.BlobStore;
import dev.jbuild.cache.CacheException;
import dev.jbuild.oci.Descriptor;
import dev.jbuild.oci.Digest;
import dev.jbuild.oci.ImageIndex;
import dev.jbuild.oci.InvalidDocumentException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/** Writes an OCI image layout as a directory or as a tar archive. */
final class OciLayoutWriter {

  static final byte[] OCI_LAYOUT =
      "{\"imageLayoutVersion\":\"1.0.0\"}".getBytes(StandardCharsets.UTF_8);

  private final BlobStore store;

  OciLayoutWriter(BlobStore store) {
    this.store = store;
  }

  // ---- directory ----

  void writeDirectory(Descriptor root, List<Descriptor> blobs, List<String> names, Path dest) {
    Path target = dest.toAbsolutePath().normalize();
    List<Descriptor> entries = Names.layoutEntries(root, names);
    try {
      if (Files.isDirectory(target) && Files.exists(target.resolve("oci-layout"))) {
        addToLayout(target, blobs, entries);
      } else if (!Files.exists(target) || isEmptyDirectory(target)) {
        createLayout(target, blobs, entries);
      } else {
        throw new ExportException(dest, dest + " exists and is not an OCI image layout (no"
            + " oci-layout file). Choose a new or empty directory.");
      }
    } catch (IOException e) {
      throw new ExportException(dest, "cannot write the OCI layout " + dest + ": " + e
          + ". Nothing was changed there.", e);
    } catch (CacheException e) {
      throw new ExportException(dest, e.getMessage(), e);
    }
  }

  private static boolean isEmptyDirectory(Path dir) throws IOException {
    if (!Files.isDirectory(dir)) {
      return false;
    }
    try (Stream<Path> s = Files.list(dir)) {
      return s.findAny().isEmpty();
    }
  }

  /** Assembles the layout in a sibling temporary directory, then renames it into place. */
  private void createLayout(Path target, List<Descriptor> blobs, List<Descriptor> entries)
      throws IOException {
    Path parent = target.getParent();
    Files.createDirectories(parent);
    Path temp = parent.resolve("." + target.getFileName() + ".tmp-"
        + Long.toHexString(ThreadLocalRandom.current().nextLong() & Long.MAX_VALUE));
    Files.createDirectory(temp);
    boolean moved = false;
    try {
      Path sha = Files.createDirectories(temp.resolve("blobs/sha256"));
      for (Descriptor d : blobs) {
        copyBlob(d.digest(), sha.resolve(d.digest().hex()));
      }
      writeSynced(temp.resolve("oci-layout"), OCI_LAYOUT);
      writeSynced(temp.resolve("index.json"), ImageIndex.oci(entries).toJson());
      fsync(sha);
      fsync(temp.resolve("blobs"));
      fsync(temp);
      try {
        // rename(2) replaces an empty directory and fails on a non-empty one
        Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE);
      } catch (DirectoryNotEmptyException | FileAlreadyExistsException e) {
        throw new ExportException(target, target + " was filled by someone else while the"
            + " image was being written. Choose a new or empty directory.", e);
      }
      moved = true;
      fsync(parent);
    } finally {
      if (!moved) {
        TempTrees.deleteQuietly(temp);
      }
    }
  }

  /** Adds blobs (each atomically), then replaces index.json: readers never see a gap. */
  private void addToLayout(Path target, List<Descriptor> blobs, List<Descriptor> entries)
      throws IOException {
    Path indexFile = target.resolve("index.json");
    ImageIndex existing;
    try {
      existing = Files.exists(indexFile) ? ImageIndex.parse(Files.readAllBytes(indexFile))
          : ImageIndex.oci(List.of());
    } catch (InvalidDocumentException e) {
      throw new ExportException(target, indexFile + " is not a valid image index ("
          + e.getMessage() + "). Repair it or choose another directory.", e);
    }
    Path sha = Files.createDirectories(target.resolve("blobs/sha256"));
    for (Descriptor d : blobs) {
      Path file = sha.resolve(d.digest().hex());
      if (!Files.exists(file)) {
        copyBlob(d.digest(), file);
      }
    }
    fsync(sha);
    Set<String> newRefs = entries.stream().map(e -> e.annotation(Descriptor.REF_NAME))
        .filter(r -> r != null).collect(Collectors.toSet());
    List<Descriptor> merged = new ArrayList<>();
    for (Descriptor old : existing.manifests()) {
      String ref = old.annotation(Descriptor.REF_NAME);
      boolean replaced = ref != null && newRefs.contains(ref);
      boolean duplicateUnnamed = ref == null && newRefs.isEmpty()
          && old.digest().equals(entries.get(0).digest());
      if (!replaced && !duplicateUnnamed) {
        merged.add(old);
      }
    }
    merged.addAll(entries);
    ImageIndex next = existing.mediaType() == null
        ? ImageIndex.oci(merged) : existing.withManifests(merged);
    AtomicFile.write(indexFile, next.toJson());
  }

  private void copyBlob(Digest digest, Path file) throws IOException {
    try (AtomicFile f = AtomicFile.create(file); InputStream in = store.open(digest)) {
      in.transferTo(f.stream());
      f.commit();
    } catch (CacheException e) {
      throw new IOException(e.getMessage(), e);
    }
  }

  private static void writeSynced(Path file, byte[] content) {
    AtomicFile.write(file, content);
  }

  private static void fsync(Path dir) {
    try (var ch = java.nio.channels.FileChannel.open(dir, java.nio.file.StandardOpenOption.READ)) {
      ch.force(true);
    } catch (IOException ignored) {
      // not every filesystem can fsync a directory; the renames are atomic regardless
    }
  }

  // ---- archive ----

  void writeArchive(Descriptor root, List<Descriptor> blobs, List<String> names, Path dest) {
    Path target = dest.toAbsolutePath().normalize();
    if (Files.isDirectory(target)) {
      throw new ExportException(dest, dest + " is a directory; an OCI archive is a file."
          + " Name a file, or use type=oci for a layout directory.");
    }
    try {
      Files.createDirectories(target.getParent());
    } catch (IOException e) {
      throw new ExportException(dest, "cannot create " + target.getParent() + ": " + e, e);
    }
    try (AtomicFile f = AtomicFile.create(target)) {
      writeArchive(root, blobs, names, f.stream());
      f.commit();
    } catch (IOException e) {
      throw new ExportException(dest, "cannot write the OCI archive " + dest + ": " + e
          + ". Nothing was written.", e);
    } catch (CacheException e) {
      throw new ExportException(dest, e.getMessage(), e);
    }
  }

  /** The archive to a stream (stdout, say); the stream is not closed. */
  void writeArchive(Descriptor root, List<Descriptor> blobs, List<String> names,
      OutputStream out) throws IOException {
    DeterministicTar tar = new DeterministicTar(new NonClosing(out));
    tar.file("oci-layout", OCI_LAYOUT);
    tar.file("index.json", ImageIndex.oci(Names.layoutEntries(root, names)).toJson());
    tar.directory("blobs");
    tar.directory("blobs/sha256");
    List<Descriptor> sorted = new ArrayList<>(blobs);
    sorted.sort(Comparator.comparing(Descriptor::digest));
    for (Descriptor d : sorted) {
      try (InputStream in = store.open(d.digest())) {
        tar.file("blobs/sha256/" + d.digest().hex(), store.size(d.digest()), in);
      }
    }
    tar.close();
  }

  /** Lets the tar finish without closing the caller's stream. */
  static final class NonClosing extends java.io.FilterOutputStream {
    NonClosing(OutputStream out) {
      super(out);
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
      out.write(b, off, len);
    }

    @Override
    public void close() throws IOException {
      flush();
    }
  }
}
