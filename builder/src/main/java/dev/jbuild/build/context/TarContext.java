package dev.jbuild.build.context;

import dev.jbuild.build.TempTrees;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributeView;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.GZIPInputStream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.apache.commons.compress.archivers.tar.TarConstants;
import org.apache.commons.compress.archivers.tar.TarUtils;
import org.apache.commons.compress.compressors.bzip2.BZip2CompressorInputStream;

/**
 * Extracts a build context sent as a tar stream into a private directory, refusing anything
 * that could write outside it: names and hard-link targets that climb above the root, and
 * entries whose parent is a symbolic link (which a previous entry could have aimed anywhere).
 * Devices, FIFOs and sockets are skipped. Modes an unprivileged reader could not use are
 * widened on disk and the archive's modes kept aside.
 */
final class TarContext {

  private TarContext() {}

  /**
   * Extracts {@code in} into the empty directory {@code dir}.
   *
   * @return the archive's permission bits for entries whose mode on disk was widened
   * @throws ContextException for a malformed or hostile archive
   */
  static Map<String, Integer> extract(InputStream in, Path dir) throws IOException {
    BufferedInputStream stream =
        new BufferedInputStream(decompress(new BufferedInputStream(in, 1 << 16)), 1 << 16);
    checkFirstHeader(stream);
    Map<String, Integer> modes = new HashMap<>();
    List<Object[]> dirs = new ArrayList<>(); // {rel, mode, mtime}
    TarArchiveInputStream tar = new TarArchiveInputStream(stream, "UTF-8");
    TarArchiveEntry e;
    boolean first = true;
    while (true) {
      try {
        e = tar.getNextEntry();
      } catch (IOException | IllegalArgumentException ex) {
        throw new ContextException(
            first
                ? "the build context is not a tar archive (" + ex.getMessage() + ")"
                : "the build context archive is corrupt: " + ex.getMessage(),
            ex);
      }
      if (e == null) {
        break;
      }
      first = false;
      String rel = safeName(e.getName());
      int mode = e.getMode() & 07777;
      FileTime mtime = FileTime.from(e.getLastModifiedTime().toInstant());
      if (rel.isEmpty()) {
        if (e.isDirectory()) {
          dirs.add(new Object[] {rel, mode, mtime});
        }
        continue;
      }
      Path target = dir.resolve(rel);
      makeParents(dir, rel);
      if (e.isDirectory()) {
        if (!Files.isDirectory(target, LinkOption.NOFOLLOW_LINKS)) {
          remove(target);
          Files.createDirectory(target);
        }
        dirs.add(new Object[] {rel, mode, mtime});
        continue;
      }
      if (e.isSymbolicLink()) {
        remove(target);
        Files.createSymbolicLink(target, Path.of(e.getLinkName()));
        setTime(target, mtime);
      } else if (e.isLink()) {
        String sourceRel = safeName(e.getLinkName());
        Path source = dir.resolve(sourceRel);
        if (sourceRel.isEmpty()
            || !realParents(dir, sourceRel)
            || !Files.isRegularFile(source, LinkOption.NOFOLLOW_LINKS)) {
          throw new ContextException(
              "tar entry \""
                  + e.getName()
                  + "\" is a hard link to \""
                  + e.getLinkName()
                  + "\", which is not a file extracted before it");
        }
        remove(target);
        Files.createLink(target, source);
      } else if (e.isFile()) {
        remove(target);
        try (OutputStream out =
            Files.newOutputStream(
                target,
                StandardOpenOption.CREATE_NEW,
                StandardOpenOption.WRITE,
                LinkOption.NOFOLLOW_LINKS)) {
          tar.transferTo(out);
        }
        int onDisk = mode | 0400; // we must read it to hash and copy it
        Files.setAttribute(target, "unix:mode", onDisk);
        if (onDisk != mode) {
          modes.put(rel, mode);
        }
        Files.setLastModifiedTime(target, mtime);
      }
      // character and block devices, FIFOs: not creatable without privileges, skipped
    }
    // Directories last, deepest first, so that their times and modes stick.
    dirs.sort(Comparator.comparingInt((Object[] d) -> -((String) d[0]).length()));
    for (Object[] d : dirs) {
      Path p = d[0].equals("") ? dir : dir.resolve((String) d[0]);
      int mode = (Integer) d[1];
      int onDisk = mode | 0700;
      Files.setAttribute(p, "unix:mode", onDisk);
      if (onDisk != mode) {
        modes.put((String) d[0], mode);
      }
      Files.setLastModifiedTime(p, (FileTime) d[2]);
    }
    return modes;
  }

  /** Refuses input whose first block is not a tar header (a Dockerfile sent by mistake). */
  private static void checkFirstHeader(BufferedInputStream in) throws IOException {
    in.mark(TarConstants.DEFAULT_RCDSIZE);
    byte[] block = in.readNBytes(TarConstants.DEFAULT_RCDSIZE);
    in.reset();
    boolean zeros = true;
    for (byte b : block) {
      zeros &= b == 0;
    }
    if (block.length == 0) {
      throw new ContextException("the build context is not a tar archive (the input is empty)");
    }
    if (block.length < TarConstants.DEFAULT_RCDSIZE || (!zeros && !TarUtils.verifyCheckSum(block))) {
      throw new ContextException(
          "the build context is not a tar archive (send a tar, optionally gzip or bzip2)");
    }
  }

  private static InputStream decompress(BufferedInputStream in) throws IOException {
    in.mark(8);
    byte[] magic = in.readNBytes(6);
    in.reset();
    if (magic.length >= 2 && (magic[0] & 0xff) == 0x1f && (magic[1] & 0xff) == 0x8b) {
      return new GZIPInputStream(in, 1 << 16);
    }
    if (magic.length >= 3 && magic[0] == 'B' && magic[1] == 'Z' && magic[2] == 'h') {
      return new BZip2CompressorInputStream(in);
    }
    if (magic.length >= 4
        && (magic[0] & 0xff) == 0x28
        && (magic[1] & 0xff) == 0xb5
        && (magic[2] & 0xff) == 0x2f
        && (magic[3] & 0xff) == 0xfd) {
      throw new ContextException(
          "the build context archive is zstd-compressed: send it uncompressed, gzip or bzip2");
    }
    if (magic.length >= 6 && (magic[0] & 0xff) == 0xfd && magic[1] == '7' && magic[2] == 'z') {
      throw new ContextException(
          "the build context archive is xz-compressed: send it uncompressed, gzip or bzip2");
    }
    return in;
  }

  /** The entry name relative to the root ({@code ""} for the root), or an error if it escapes. */
  static String safeName(String name) {
    String n = name;
    while (n.startsWith("/")) {
      n = n.substring(1); // absolute names are read relative to the root, as tar -x does
    }
    String cleaned = SlashPath.clean(n);
    if (cleaned.equals("..") || cleaned.startsWith("../")) {
      throw new ContextException(
          "tar entry \"" + name + "\" points outside the build context; refusing the archive");
    }
    return cleaned.equals(".") ? "" : cleaned;
  }

  /** Creates missing parents of {@code rel}; every existing one must be a real directory. */
  private static void makeParents(Path dir, String rel) throws IOException {
    List<String> parts = SlashPath.split(rel);
    Path p = dir;
    for (int i = 0; i < parts.size() - 1; i++) {
      p = p.resolve(parts.get(i));
      if (Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)) {
        continue;
      }
      if (Files.exists(p, LinkOption.NOFOLLOW_LINKS)) {
        throw new ContextException(
            "tar entry \""
                + rel
                + "\" lies below \""
                + String.join("/", parts.subList(0, i + 1))
                + "\", which is not a directory; refusing the archive");
      }
      Files.createDirectory(p);
    }
  }

  private static boolean realParents(Path dir, String rel) {
    List<String> parts = SlashPath.split(rel);
    Path p = dir;
    for (int i = 0; i < parts.size() - 1; i++) {
      p = p.resolve(parts.get(i));
      if (!Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)) {
        return false;
      }
    }
    return true;
  }

  private static void remove(Path p) throws IOException {
    if (Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)) {
      TempTrees.deleteQuietly(p);
    } else {
      Files.deleteIfExists(p);
    }
  }

  private static void setTime(Path link, FileTime mtime) {
    try {
      Files.getFileAttributeView(link, BasicFileAttributeView.class, LinkOption.NOFOLLOW_LINKS)
          .setTimes(mtime, null, null);
    } catch (IOException | UnsupportedOperationException e) {
      // a link's own time is cosmetic: BuildKit's checksums ignore it too
    }
  }

}
