package dev.jbuild.build.registry;

import dev.jbuild.cache.AtomicFile;
import dev.jbuild.cache.JbuildRoot;
import dev.jbuild.oci.Digest;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * Which registry repositories a blob is known to live in, so that a push to another repository
 * of the same registry can mount it instead of uploading it. One small text file per blob under
 * {@code ROOT/registry-sources/sha256/HEX}, one {@code registry/repository} per line, written
 * atomically. A lost line (two writers at once) only costs an upload, never correctness.
 */
public final class BlobSources {

  private static final int MAX_SOURCES = 16;

  private final Path dir;

  public BlobSources(JbuildRoot root) {
    this.dir = root.dir().resolve("registry-sources");
  }

  /** The repositories ({@code registry/repository}) that had this blob, most recent first. */
  public List<String> sources(Digest digest) {
    Path file = file(digest);
    try {
      return Files.readAllLines(file, StandardCharsets.UTF_8).stream()
          .filter(l -> !l.isBlank())
          .toList();
    } catch (NoSuchFileException e) {
      return List.of();
    } catch (IOException e) {
      // a mount is an optimisation: an unreadable record just means an upload
      return List.of();
    }
  }

  /** Records that {@code registry/repository} has the blob. */
  public void add(Digest digest, String registry, String repository) {
    String entry = registry + "/" + repository;
    List<String> existing = sources(digest);
    if (!existing.isEmpty() && existing.get(0).equals(entry)) {
      return;
    }
    Set<String> lines = new LinkedHashSet<>();
    lines.add(entry);
    lines.addAll(existing);
    String text =
        String.join("\n", lines.stream().limit(MAX_SOURCES).toList()) + "\n";
    try {
      Files.createDirectories(file(digest).getParent());
    } catch (IOException e) {
      return;
    }
    AtomicFile.write(file(digest), text.getBytes(StandardCharsets.UTF_8));
  }

  /**
   * A repository of {@code registry}, other than {@code repository}, that has the blob, to mount
   * from.
   */
  public java.util.Optional<String> mountSource(Digest digest, String registry, String repository) {
    String prefix = registry + "/";
    return sources(digest).stream()
        .filter(s -> s.startsWith(prefix))
        .map(s -> s.substring(prefix.length()))
        .filter(repo -> !repo.equals(repository))
        .findFirst();
  }

  private Path file(Digest digest) {
    return dir.resolve(digest.algorithm()).resolve(digest.hex());
  }
}
