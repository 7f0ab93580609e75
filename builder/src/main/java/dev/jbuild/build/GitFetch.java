package dev.jbuild.build;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * ADD of a git repository through the {@code git} command, as BuildKit's git source does it:
 * the ref is resolved with {@code git ls-remote} (a full commit id needs no lookup; no ref
 * means the remote's default branch), and that commit — the cache key, not the URL — is
 * fetched into a fresh repository under the store's tmp/ and checked out with umask 022, so
 * files are 0644 or 0755 as git records them. Submodules are fetched unless {@code
 * submodules=false}. {@code --depth=1} is dropped where the transport has no shallow support
 * (the dumb HTTP protocol), as BuildKit retries.
 */
final class GitFetch {

  private static final Pattern DEFAULT_BRANCH = Pattern.compile("refs/heads/(\\S+)");

  private final Path git;

  private GitFetch(Path git) {
    this.git = git;
  }

  /**
   * A ref resolved on the remote.
   *
   * @param name the ref looked up (the default branch's name when none was given)
   * @param commit the object id it names now: a commit, or an annotated tag
   */
  record Resolved(GitRef ref, String name, String commit) {}

  /** A checked-out tree: {@code root} is the repository (or its subdirectory) to copy. */
  record Checkout(Path dir, Path root, String commit, Instant commitTime) {}

  /** The {@code git} executable found on {@code searchPath} (a PATH value), if any. */
  static Optional<GitFetch> find(String searchPath) {
    if (searchPath == null) {
      return Optional.empty();
    }
    for (String dir : searchPath.split(":")) {
      if (dir.isEmpty()) {
        continue;
      }
      Path p = Path.of(dir, "git");
      if (Files.isRegularFile(p) && Files.isExecutable(p)) {
        return Optional.of(new GitFetch(p));
      }
    }
    return Optional.empty();
  }

  /** Resolves the commit {@code ref} names now: what the cache key is made of. */
  Resolved resolve(GitRef ref) throws IOException {
    String name = ref.ref();
    if (GitRef.isCommit(name)) {
      checkChecksum(ref, name, null);
      return new Resolved(ref, name, name);
    }
    if (name.isEmpty()) {
      String out = run(null, "ls-remote", "--symref", ref.remote(), "HEAD");
      Matcher m = DEFAULT_BRANCH.matcher(out);
      if (!m.find()) {
        throw new IOException(
            "could not find the default branch of " + ref.redactedRemote() + ": name a ref with"
                + " #REF or ?branch=NAME");
      }
      name = m.group(1);
    }
    String out = run(null, "ls-remote", ref.remote(), name);
    int tab = out.indexOf('\t');
    if (tab < 0) {
      throw new IOException("repository " + ref.redactedRemote() + " does not contain ref " + name);
    }
    String sha = out.substring(0, tab).trim();
    if (!GitRef.isCommit(sha)) {
      throw new IOException("invalid commit sha \"" + sha + "\" from " + ref.redactedRemote());
    }
    checkChecksum(ref, sha, null);
    return new Resolved(ref, name, sha);
  }

  /**
   * Fetches and checks out {@code r.commit()} into a new directory under {@code tmp}; the
   * caller deletes {@link Checkout#dir()}.
   */
  Checkout checkout(Resolved r, Path tmp) throws IOException {
    GitRef ref = r.ref();
    Files.createDirectories(tmp);
    Path dir = Files.createTempDirectory(tmp, "git-");
    boolean ok = false;
    try {
      Path work = dir.resolve("checkout");
      run(null, "-c", "init.defaultBranch=master", "init", "-q", work.toString());
      run(work, "remote", "add", "origin", ref.remote());
      String commit = r.commit();
      if (GitRef.isCommit(ref.ref())) {
        // a commit asked for by id: fetch it alone where the server allows, else everything
        try {
          run(work, "fetch", "-q", "--depth=1", "--no-tags", "origin", commit);
        } catch (IOException e) {
          run(work, "fetch", "-q", "--no-tags", "origin");
        }
      } else {
        // the ref may have moved since ls-remote: fetch the ref, then insist on the commit
        fetchShallow(work, r.name());
        String fetched = run(work, "rev-parse", "FETCH_HEAD").trim();
        if (!fetched.equals(commit)) {
          fetchShallow(work, commit);
        }
      }
      run(work, "checkout", "-q", "--detach", commit + "^{commit}");
      String head = run(work, "rev-parse", "HEAD").trim();
      checkChecksum(ref, commit, head);
      if (ref.submodules().orElse(true) && Files.exists(work.resolve(".gitmodules"))) {
        try {
          run(work, "submodule", "update", "--init", "--recursive", "--depth=1");
        } catch (IOException e) {
          run(work, "submodule", "update", "--init", "--recursive");
        }
      }
      Instant commitTime =
          Instant.ofEpochSecond(Long.parseLong(run(work, "log", "-1", "--format=%ct", "HEAD").trim()));
      Path root = work;
      String subdir = SlashPaths.clean("/" + ref.subdir()).substring(1);
      if (!subdir.isEmpty()) {
        root = work.resolve(subdir);
        Path real = root.toRealPath();
        if (!real.startsWith(work.toRealPath())) {
          throw new IOException("subdir " + ref.subdir() + " leaves the repository");
        }
        if (!Files.isDirectory(real)) {
          throw new IOException("failed to open subdir " + ref.subdir() + ": not a directory in "
              + ref.redactedRemote() + " at " + head);
        }
        root = real;
      } else if (ref.keepsGitDir()) {
        // what BuildKit leaves in a kept .git: origin without credentials, no fetch leftovers
        run(work, "remote", "set-url", "origin", ref.redactedRemote());
        run(work, "reflog", "expire", "--all", "--expire=now");
        Files.deleteIfExists(work.resolve(".git/FETCH_HEAD"));
      }
      ok = true;
      return new Checkout(dir, root, head, commitTime);
    } finally {
      if (!ok) {
        TempTrees.delete(dir);
      }
    }
  }

  private void fetchShallow(Path work, String what) throws IOException {
    try {
      run(work, "fetch", "-q", "--depth=1", "--no-tags", "origin", what);
    } catch (IOException e) {
      String m = String.valueOf(e.getMessage());
      if (!m.contains("shallow") && !m.contains("--depth")) {
        throw e;
      }
      run(work, "fetch", "-q", "--no-tags", "origin", what);
    }
  }

  /** {@code --checksum} / {@code ?checksum=}: a prefix of the commit (or of the tag ls-remote gave). */
  private static void checkChecksum(GitRef ref, String resolved, String head) throws IOException {
    String sum = ref.checksum();
    if (sum.isEmpty()) {
      return;
    }
    if (resolved.startsWith(sum) || (head != null && head.startsWith(sum))) {
      return;
    }
    if (head == null && !GitRef.isCommit(sum)) {
      return; // a tag object id: the commit it points to is checked after the fetch
    }
    throw new IOException(
        "expected checksum to match " + sum + ", got " + (head != null ? head : resolved));
  }

  /**
   * Runs git with umask 022 (BuildKit's runWithStandardUmask), no terminal prompts, the C
   * locale, and file-protocol submodules refused ({@code protocol.file.allow=user}).
   */
  private String run(Path workDir, String... args) throws IOException {
    List<String> cmd = new ArrayList<>();
    cmd.add("/bin/sh");
    cmd.add("-c");
    cmd.add("umask 022 && exec \"$0\" \"$@\"");
    cmd.add(git.toString());
    cmd.add("-c");
    cmd.add("protocol.file.allow=user");
    if (workDir != null) {
      cmd.add("-C");
      cmd.add(workDir.toString());
    }
    cmd.addAll(List.of(args));
    ProcessBuilder pb = new ProcessBuilder(cmd);
    pb.environment().put("GIT_TERMINAL_PROMPT", "0");
    pb.environment().put("LC_ALL", "C");
    pb.redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
    Process p = pb.start();
    CompletableFuture<byte[]> err = CompletableFuture.supplyAsync(() -> readAll(p.getErrorStream()));
    byte[] out = readAll(p.getInputStream());
    int code;
    try {
      code = p.waitFor();
    } catch (InterruptedException e) {
      p.destroyForcibly();
      Thread.currentThread().interrupt();
      throw new IOException("interrupted while running git " + args[0]);
    }
    if (code != 0) {
      String tail = new String(err.join(), StandardCharsets.UTF_8).strip();
      if (tail.length() > 2000) {
        tail = tail.substring(tail.length() - 2000);
      }
      throw new IOException(
          "git " + args[0] + " failed (exit " + code + "): " + GitRef.redact(tail));
    }
    return new String(out, StandardCharsets.UTF_8);
  }

  private static byte[] readAll(InputStream in) {
    try (in) {
      ByteArrayOutputStream b = new ByteArrayOutputStream();
      in.transferTo(b);
      return b.toByteArray();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
