package dev.jbuild.cache;

import dev.jbuild.oci.Descriptor;
import dev.jbuild.oci.Digest;
import dev.jbuild.oci.ImageConfig;
import dev.jbuild.oci.ImageIndex;
import dev.jbuild.oci.ImageManifest;
import dev.jbuild.oci.InvalidDocumentException;
import dev.jbuild.oci.OciDocument;
import dev.jbuild.oci.RawJson;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileTime;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

/**
 * The content-addressed store: an OCI image layout whose {@code blobs/<alg>/<hex>} hold every
 * pulled, built and cached blob. Writes stream through {@link BlobWriter} (temp file, sha256,
 * fsync, rename; an existing blob wins), so any number of threads and processes may write the
 * same blob at once. Reads are verified against the digest as they stream.
 */
public final class BlobStore {

  static final byte[] OCI_LAYOUT = "{\"imageLayoutVersion\":\"1.0.0\"}".getBytes(
      StandardCharsets.UTF_8);
  static final byte[] EMPTY_INDEX = "{\"schemaVersion\":2,\"manifests\":[]}".getBytes(
      StandardCharsets.UTF_8);

  private final JbuildRoot root;

  private BlobStore(JbuildRoot root) {
    this.root = root;
  }

  /**
   * Opens the store at {@code root}, creating the layout ({@code oci-layout}, an empty
   * {@code index.json}, {@code blobs/sha256}, {@code tmp}) if it is not there.
   */
  public static BlobStore open(JbuildRoot root) {
    Path dir = root.dir();
    refuseForeignDirectory(root);
    try {
      Files.createDirectories(root.blobs().resolve("sha256"));
      Files.createDirectories(root.tmp());
      createIfAbsent(root, root.ociLayoutFile(), OCI_LAYOUT);
      createIfAbsent(root, root.indexJson(), EMPTY_INDEX);
    } catch (IOException e) {
      throw new CacheException("cannot create jbuild's store in " + dir + ": " + e
          + ". Make the directory writable, or choose another with --root DIR or "
          + JbuildRoot.ENV + ".", dir, e);
    }
    checkLayoutVersion(root);
    return new BlobStore(root);
  }

  /** Opens a store directly on a directory (an image layout somewhere). */
  public static BlobStore open(Path dir) {
    return open(new JbuildRoot(dir));
  }

  /** What a store's root holds; anything else means the directory is someone else's. */
  private static final java.util.Set<String> LAYOUT_NAMES =
      java.util.Set.of("oci-layout", "index.json", "blobs", "tmp", "locks", "cache", "layers");

  /**
   * A typo in {@code --root} must not scatter {@code blobs/} and {@code index.json} into a
   * directory that holds something else. A directory without {@code oci-layout} is accepted
   * only while everything in it is part of a store (another process may be creating the
   * layout right now).
   */
  private static void refuseForeignDirectory(JbuildRoot root) {
    Path dir = root.dir();
    if (!Files.isDirectory(dir) || Files.exists(root.ociLayoutFile())) {
      return;
    }
    try (DirectoryStream<Path> entries = Files.newDirectoryStream(dir)) {
      for (Path entry : entries) {
        if (!LAYOUT_NAMES.contains(entry.getFileName().toString())) {
          throw new CacheException(dir + " is not empty and is not a jbuild store (it has no"
              + " oci-layout file, and holds " + entry.getFileName() + "). Choose an empty or"
              + " new directory with --root DIR or " + JbuildRoot.ENV + ".", dir);
        }
      }
    } catch (IOException e) {
      throw new CacheException("cannot read " + dir + ": " + e, dir, e);
    }
  }

  private static void createIfAbsent(JbuildRoot root, Path file, byte[] content)
      throws IOException {
    if (Files.exists(file)) {
      return;
    }
    Path temp = AtomicFile.tempName(root.tmp(), file.getFileName().toString());
    try {
      Files.write(temp, content, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE,
          StandardOpenOption.SYNC);
      AtomicFile.moveKeepingExisting(temp, file);
      AtomicFile.fsyncDirectory(file.getParent());
    } finally {
      Files.deleteIfExists(temp);
    }
  }

  private static void checkLayoutVersion(JbuildRoot root) {
    Path file = root.ociLayoutFile();
    String text;
    try {
      text = Files.readString(file, StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new CacheException("cannot read " + file + ": " + e, file, e);
    }
    if (!text.replace(" ", "").contains("\"imageLayoutVersion\":\"1.0.0\"")) {
      throw new CacheException(file + " does not declare OCI image layout 1.0.0 (it says "
          + text.strip() + "). " + root.dir() + " is not a jbuild store: choose another"
          + " directory with --root DIR or " + JbuildRoot.ENV + ".", file);
    }
  }

  public JbuildRoot root() {
    return root;
  }

  /** Where a blob lives (whether or not it exists). */
  public Path path(Digest digest) {
    return root.blobs().resolve(digest.algorithm()).resolve(digest.hex());
  }

  /** Where the header index of a layer blob lives (see {@code LayerStack.of}); deleted with it. */
  public Path headersPath(Digest digest) {
    return root.layerHeaders().resolve(digest.algorithm()).resolve(digest.hex());
  }

  public boolean has(Digest digest) {
    return Files.isRegularFile(path(digest));
  }

  /** The blob's size; throws {@link CacheException} if it is not in the store. */
  public long size(Digest digest) {
    Path p = path(digest);
    try {
      return Files.size(p);
    } catch (NoSuchFileException e) {
      throw missing(digest);
    } catch (IOException e) {
      throw new CacheException("cannot read " + p + ": " + e, p, e);
    }
  }

  /**
   * Opens a blob for reading. The stream throws {@link CorruptBlobException} at end of file if
   * the content does not match the digest.
   */
  public InputStream open(Digest digest) {
    Path p = path(digest);
    try {
      InputStream in = Files.newInputStream(p);
      return new VerifyingInputStream(new BufferedInputStream(in, 64 * 1024), p, digest);
    } catch (NoSuchFileException e) {
      throw missing(digest);
    } catch (IOException e) {
      throw new CacheException("cannot read " + p + ": " + e, p, e);
    }
  }

  /** Reads a whole blob, verified. Meant for manifests and configs, not layers. */
  public byte[] read(Digest digest) {
    Path p = path(digest);
    try (InputStream in = open(digest)) {
      return in.readAllBytes();
    } catch (CorruptBlobException e) {
      throw new CacheException(e.getMessage(), p, e);
    } catch (IOException e) {
      throw new CacheException("cannot read " + p + ": " + e, p, e);
    }
  }

  /** Reads and fully hashes a blob; throws {@link CacheException} if it is corrupted. */
  public void verify(Digest digest) {
    Path p = path(digest);
    try (InputStream in = open(digest)) {
      in.transferTo(java.io.OutputStream.nullOutputStream());
    } catch (CorruptBlobException e) {
      throw new CacheException(e.getMessage(), p, e);
    } catch (IOException e) {
      throw new CacheException("cannot read " + p + ": " + e, p, e);
    }
  }

  /** Stores bytes; returns their digest and size. */
  public StoredBlob put(byte[] content) {
    try (BlobWriter w = writer(null)) {
      w.write(content);
      return w.commit();
    } catch (IOException e) {
      throw new CacheException("cannot write to " + root.tmp() + ": " + e, root.tmp(), e);
    }
  }

  /**
   * Stores a stream. With {@code expectedDigest} the content is checked and nothing is stored
   * if it differs; if the blob is already there the stream is not read at all.
   */
  public StoredBlob put(InputStream in, Digest expectedDigest) {
    if (expectedDigest != null && has(expectedDigest)) {
      touch(path(expectedDigest));
      return new StoredBlob(expectedDigest, size(expectedDigest));
    }
    try (BlobWriter w = writer(expectedDigest)) {
      in.transferTo(w);
      return w.commit();
    } catch (IOException e) {
      throw new CacheException("cannot store blob" + (expectedDigest == null ? ""
          : " " + expectedDigest) + ": reading the source failed: " + e, root.tmp(), e);
    }
  }

  /** Stores a document's exact bytes and returns its descriptor. */
  public Descriptor put(RawJson<?> document) {
    StoredBlob b = put(document.bytes());
    return b.descriptor(document.value().effectiveMediaType());
  }

  /**
   * A stream to write one blob to; call {@link BlobWriter#commit()} to store it and close it
   * in all cases (try-with-resources). {@code expectedDigest} may be null.
   */
  public BlobWriter writer(Digest expectedDigest) {
    if (expectedDigest != null && !expectedDigest.algorithm().equals("sha256")) {
      throw new IllegalArgumentException("only sha256 blobs can be written: " + expectedDigest);
    }
    return writer(expectedDigest, true);
  }

  /**
   * A stream for a blob whose sha256 its writer computes over the same bytes as it writes them
   * (the layer writer does): no second hash of every byte here (0.2 s of CPU for a 330 MB
   * layer). Store it with {@link BlobWriter#commitAs}.
   */
  public BlobWriter writerNamedByCaller() {
    return writer(null, false);
  }

  private BlobWriter writer(Digest expectedDigest, boolean hashing) {
    Path temp = AtomicFile.tempName(root.tmp(), "blob");
    try {
      Files.createDirectories(root.tmp());
      FileChannel ch = FileChannel.open(temp, StandardOpenOption.CREATE_NEW,
          StandardOpenOption.WRITE);
      return new BlobWriter(this, temp, ch, expectedDigest, hashing);
    } catch (IOException e) {
      throw new CacheException("cannot create a temporary file in " + root.tmp() + ": " + e
          + ". Check free space and permissions.", root.tmp(), e);
    }
  }

  /** Deletes a blob; returns whether it was there. */
  public boolean delete(Digest digest) {
    Path p = path(digest);
    try {
      Files.deleteIfExists(headersPath(digest));
      return Files.deleteIfExists(p);
    } catch (IOException e) {
      throw new CacheException("cannot delete " + p + ": " + e, p, e);
    }
  }

  /** Every blob in the store (any algorithm), in no particular order. */
  public List<Digest> list() {
    List<Digest> out = new ArrayList<>();
    Path blobs = root.blobs();
    try (DirectoryStream<Path> algs = Files.newDirectoryStream(blobs)) {
      for (Path alg : algs) {
        if (!Files.isDirectory(alg)) {
          continue;
        }
        try (DirectoryStream<Path> files = Files.newDirectoryStream(alg)) {
          for (Path f : files) {
            try {
              out.add(new Digest(alg.getFileName().toString(), f.getFileName().toString()));
            } catch (IllegalArgumentException notABlob) {
              // stray files in blobs/ are not ours to judge; GC leaves them alone
            }
          }
        }
      }
    } catch (NoSuchFileException e) {
      return out;
    } catch (IOException e) {
      throw new CacheException("cannot list " + blobs + ": " + e, blobs, e);
    }
    return out;
  }

  /** Reads a manifest blob; a corrupt or invalid one is a {@link CacheException}. */
  public RawJson<ImageManifest> readManifest(Digest digest) {
    return readDocument(digest, RawJson::manifest, "image manifest");
  }

  public RawJson<ImageIndex> readIndex(Digest digest) {
    return readDocument(digest, RawJson::index, "image index");
  }

  public RawJson<ImageConfig> readConfig(Digest digest) {
    return readDocument(digest, RawJson::config, "image config");
  }

  /** A manifest or an index, told apart by {@code mediaType} (null: by content). */
  public RawJson<? extends OciDocument> readManifestOrIndex(Digest digest, String mediaType) {
    return readDocument(digest, b -> RawJson.manifestOrIndex(b, mediaType), "manifest");
  }

  private <T> T readDocument(Digest digest, Function<byte[], T> parser, String what) {
    byte[] bytes = read(digest);
    try {
      return parser.apply(bytes);
    } catch (InvalidDocumentException e) {
      Path p = path(digest);
      throw new CacheException(p + ": " + e.getMessage() + ". The store holds a blob that is"
          + " not a valid " + what + "; delete it (or run `jbuild prune`).", p, e);
    }
  }

  /**
   * Refreshes a blob's time, as reusing it by {@code put} does: a build that refers to a blob
   * it found with {@link #has} (a cache hit) calls this so that a concurrent GC keeps the blob
   * for the grace period. Returns whether the blob exists.
   */
  public boolean markUsed(Digest digest) {
    if (!has(digest)) {
      return false;
    }
    touch(path(digest));
    return true;
  }

  /** Marks a blob as recently used, so that GC's grace period protects it. */
  void touch(Path blob) {
    try {
      Files.setLastModifiedTime(blob, FileTime.from(Instant.now()));
    } catch (IOException ignored) {
      // a read-only store still works; the blob is only less protected from GC
    }
  }

  /** The last time a blob was written or reused. */
  Instant lastUsed(Digest digest) throws IOException {
    return Files.getLastModifiedTime(path(digest)).toInstant();
  }

  private CacheException missing(Digest digest) {
    Path p = path(digest);
    return new CacheException("blob " + digest + " is not in the store (" + p + "). It may have"
        + " been removed by `jbuild prune`; build or pull again.", p);
  }

  static MessageDigest newDigest(String algorithm) {
    try {
      return MessageDigest.getInstance(algorithm.equals("sha512") ? "SHA-512" : "SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
